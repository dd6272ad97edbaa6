"""Moderators told of a new submission by e-mail, against a real SMTP server on a local socket (aiosmtpd): the
message, authentication, and a slow or absent server never delaying nor losing the submission."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from reuses import notify, service, store
from tests.conftest import free_port
from tests.reuses.helpers import DATASETS, draft, raw

MODERATORS = "moderation@exemple.fr"


class Inbox:
    """aiosmtpd handler keeping every message delivered; `delay_s` makes the server answer DATA slowly."""

    def __init__(self, delay_s: float = 0.0) -> None:
        self.delay_s = delay_s
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.received = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook
        await asyncio.sleep(self.delay_s)
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content, policy=policy.default)))
        self.received.set()
        return "250 OK"

    def wait(self, timeout: float = 15) -> tuple[list[str], EmailMessage]:
        assert self.received.wait(timeout), "no e-mail reached the SMTP server"
        return self.messages[-1]


def smtp_env(monkeypatch: pytest.MonkeyPatch, port: int, **extra: str) -> None:
    values = {"TERRITOIRE_SMTP_HOST": "127.0.0.1", "TERRITOIRE_SMTP_PORT": str(port),
              "TERRITOIRE_SMTP_FROM": "portail@exemple.fr", "TERRITOIRE_MODERATION_EMAIL": MODERATORS, **extra}
    for name, value in values.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def smtp_server(reuse_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Controller, Inbox]]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    smtp_env(monkeypatch, controller.port)
    try:
        yield controller, inbox
    finally:
        controller.stop()


def wait_for_notifications() -> None:
    for thread in [t for t in threading.enumerate() if t.name.startswith("notify-")]:
        thread.join(timeout=30)


def test_a_submission_sends_one_french_email_to_the_moderators(smtp_server: tuple[Controller, Inbox]) -> None:
    _controller, inbox = smtp_server
    outcome = service.submit_form(raw(title="Carte des écoles\nBcc: victime@exemple.fr", type="map",
                                      email="auteur.prive@exemple.fr"), "198.51.100.3", known_datasets=DATASETS)
    assert outcome.ok
    recipients, message = inbox.wait()
    assert recipients == [MODERATORS]
    assert message["From"] == "portail@exemple.fr" and message["To"] == MODERATORS and message["Bcc"] is None
    assert message["Subject"] == "Réutilisation à modérer : Carte des écoles Bcc: victime@exemple.fr"
    body = message.get_content()
    assert "Type : Carte" in body and "Auteur ou autrice : Alice Martin" in body
    assert "https://donnees.exemple.fr/admin" in body and outcome.reuse_id in body
    assert "auteur.prive@exemple.fr" not in body and outcome.reference not in body  # private to the submitter
    wait_for_notifications()
    assert len(inbox.messages) == 1


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # a test server on 127.0.0.1
def test_login_when_a_user_is_configured(reuse_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    logins: list[tuple[bytes, bytes]] = []

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        assert isinstance(data, LoginPassword)
        logins.append((data.login, data.password))
        return AuthResult(success=data.password == b"mot-de-passe")

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), authenticator=authenticator,
                            auth_require_tls=False, auth_required=True)
    controller.start()
    try:
        smtp_env(monkeypatch, controller.port, TERRITOIRE_SMTP_USER="portail",
                 TERRITOIRE_SMTP_PASSWORD="mot-de-passe")
        thread = notify.notify_moderators("carte-1234", draft())
        assert thread is not None
        thread.join(timeout=30)
        inbox.wait()
        assert logins == [(b"portail", b"mot-de-passe")]
    finally:
        controller.stop()


def test_a_slow_smtp_server_neither_delays_nor_loses_the_submission(smtp_server: tuple[Controller, Inbox]) -> None:
    _controller, inbox = smtp_server
    inbox.delay_s = 3.0
    started = time.monotonic()
    outcome = service.submit_form(raw(), "198.51.100.4", known_datasets=DATASETS)
    elapsed = time.monotonic() - started
    assert outcome.ok and elapsed < 2.0, elapsed
    assert store.get_by_reference(outcome.reference).status == "pending"  # committed before the e-mail left
    inbox.wait()


def test_an_unreachable_smtp_server_is_logged_not_shown(reuse_env: Path, monkeypatch: pytest.MonkeyPatch,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    smtp_env(monkeypatch, free_port())  # nothing listens there
    caplog.set_level(logging.WARNING, logger="reuses.notify")
    outcome = service.submit_form(raw(), "198.51.100.5", known_datasets=DATASETS)
    assert outcome.ok and not outcome.errors
    wait_for_notifications()
    assert store.get(outcome.reuse_id).status == "pending"
    [record] = [r for r in caplog.records if r.name == "reuses.notify"]
    assert "not sent" in record.getMessage() and outcome.reuse_id in record.getMessage()


def test_no_smtp_settings_no_email(reuse_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert notify.notify_moderators("x", draft()) is None
    smtp_env(monkeypatch, free_port())
    monkeypatch.delenv("TERRITOIRE_MODERATION_EMAIL")  # a host but nobody to write to
    assert notify.notify_moderators("x", draft()) is None
