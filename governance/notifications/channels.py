"""Sending: e-mail over SMTP (smtplib) and webhooks over HTTP(S) (urllib).

Both raise `SendFailed` with what went wrong (a refused connection, an SMTP error, an
HTTP status outside 2xx); the caller logs the try and retries with backoff. Settings
come from the caller (the app's config): this module reads no environment.
"""

from __future__ import annotations

import smtplib
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage


class SendFailed(Exception):
    def __init__(self, message: str, status_code: int | None = None):
        super().__init__(message)
        self.status_code = status_code


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 25
    sender: str = "accord@localhost"
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout: float = 10.0


def send_email(settings: SmtpSettings, to: str, subject: str, text: str) -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = settings.sender, to, subject
    message.set_content(text)
    try:
        with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as smtp:
            if settings.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.username:
                smtp.login(settings.username, settings.password or "")
            smtp.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        raise SendFailed(f"SMTP {settings.host}:{settings.port}: {exc}") from exc


def post_webhook(url: str, body: bytes, headers: dict[str, str], *, timeout: float) -> int:
    """POST the body; the status (2xx), or SendFailed."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        raise SendFailed(f"HTTP {exc.code} from {url}", exc.code) from exc
    except (urllib.error.URLError, OSError) as exc:
        raise SendFailed(f"{url}: {getattr(exc, 'reason', exc)}") from exc
