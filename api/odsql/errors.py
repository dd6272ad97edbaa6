"""The one error of the ODSQL layer, shaped like Opendatasoft's 400 answers (`error_code` + `message`)."""

from __future__ import annotations

from typing import Any


class ODSQLError(ValueError):
    """A clause that cannot be parsed or run: the API answers 400 with `to_dict()`.

    `clause` is the parameter holding the error (select, where, group_by, order_by, refine, exclude, limit…),
    `position` the 0-based character offset in that parameter's text when known."""

    error_code = "ODSQLError"

    def __init__(self, detail: str, clause: str = "", position: int | None = None) -> None:
        self.detail = detail
        self.clause = clause
        self.position = position
        super().__init__(self.message)

    @property
    def message(self) -> str:
        where = f" (at character {self.position + 1})" if self.position is not None and self.position >= 0 else ""
        clause = f" Clause(s) containing the error(s): {self.clause}." if self.clause else ""
        return f"ODSQL query is malformed: {self.detail}{where}{clause}"

    def in_clause(self, clause: str) -> ODSQLError:
        """The same error, naming the clause it was found in (the translator knows it, the helpers do not)."""
        if not self.clause:
            self.clause = clause
            self.args = (self.message,)
        return self

    def to_dict(self) -> dict[str, Any]:
        return {"error_code": self.error_code, "message": self.message}


class InvalidParameterError(ODSQLError):
    """A REST parameter out of its range (limit, offset, timezone, lang), as ODS reports it."""

    error_code = "InvalidRESTParameterError"

    @property
    def message(self) -> str:
        return self.detail
