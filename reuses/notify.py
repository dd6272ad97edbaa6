"""Tell the moderators by e-mail that a submission awaits them, when SMTP is configured (`settings.smtp_settings`).

The message leaves in a background thread, after the submission is committed: a slow or absent SMTP server never
delays the visitor nor loses the submission (the moderation page lists it anyway). Failures are logged.
"""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
import threading
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from catalogue.vocab import REUSE_TYPES
from config import get_settings
from reuses.settings import SmtpSettings, smtp_settings
from reuses.validation import ReuseDraft

log = logging.getLogger(__name__)
IMPLICIT_TLS_PORT = 465


def _one_line(text: str, limit: int = 120) -> str:
    """Header-safe: no line break can reach a header (the e-mail policy would refuse it anyway)."""
    line = re.sub(r"\s+", " ", text).strip()
    return line if len(line) <= limit else line[: limit - 1] + "…"


def moderation_message(reuse_id: str, draft: ReuseDraft, smtp: SmtpSettings) -> EmailMessage:
    """The French notice to the moderators. The submitter's e-mail is not in it: it stays in the database."""
    admin_url = f"{get_settings().public_base_url}/admin"
    msg = EmailMessage()
    msg["Subject"] = f"Réutilisation à modérer : {_one_line(draft.title)}"
    msg["From"] = smtp.sender
    msg["To"] = smtp.to
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=smtp.sender.rpartition("@")[2] or None)
    msg.set_content(
        "Une nouvelle réutilisation a été proposée sur le portail et attend votre relecture.\n\n"
        f"Titre : {_one_line(draft.title, 400)}\n"
        f"Type : {REUSE_TYPES.get(draft.type, draft.type)}\n"
        f"Auteur ou autrice : {_one_line(draft.author_name)}\n"
        f"Adresse : {draft.url}\n"
        f"Identifiant : {reuse_id}\n\n"
        f"Modérer les propositions : {admin_url}\n"
    )
    return msg


def send(message: EmailMessage, smtp: SmtpSettings) -> None:
    """Deliver one message: implicit TLS on port 465, otherwise STARTTLS whenever the server offers it; a login
    only when a user is configured. Raises smtplib.SMTPException or OSError."""
    context = ssl.create_default_context()
    if smtp.port == IMPLICIT_TLS_PORT:
        client: smtplib.SMTP = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout_s, context=context)
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_s)
    with client:
        client.ehlo()
        if smtp.port != IMPLICIT_TLS_PORT and client.has_extn("starttls"):
            client.starttls(context=context)
            client.ehlo()
        if smtp.user:
            client.login(smtp.user, smtp.password)
        client.send_message(message)


def _deliver(message: EmailMessage, smtp: SmtpSettings, reuse_id: str) -> None:
    try:
        send(message, smtp)
    except (smtplib.SMTPException, OSError) as exc:
        log.warning("moderation e-mail for reuse %s not sent (%s:%s): %s", reuse_id, smtp.host, smtp.port, exc)
    else:
        log.info("moderation e-mail for reuse %s sent to %s", reuse_id, smtp.to)


def notify_moderators(reuse_id: str, draft: ReuseDraft) -> threading.Thread | None:
    """Send the notice in a background thread (returned, so tests can wait for it); None when SMTP is not set."""
    smtp = smtp_settings()
    if not smtp.enabled:
        return None
    try:
        message = moderation_message(reuse_id, draft, smtp)
    except (ValueError, TypeError) as exc:  # e.g. a malformed address in the settings
        log.warning("moderation e-mail for reuse %s not built: %s", reuse_id, exc)
        return None
    thread = threading.Thread(target=_deliver, args=(message, smtp, reuse_id), name=f"notify-{reuse_id}",
                              daemon=True)
    thread.start()
    return thread
