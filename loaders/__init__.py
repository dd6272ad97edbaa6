"""Loaders: detect, read, type and publish source files into the versioned Parquet warehouse."""

from __future__ import annotations


class LoadError(Exception):
    """A source cannot be loaded; the message is in French and `line` names the file line when known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line

    def __str__(self) -> str:
        return self.message


__all__ = ["LoadError"]
