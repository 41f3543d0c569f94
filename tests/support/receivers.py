"""Real local receivers for notification tests: an SMTP server (aiosmtpd) that keeps the
messages it is sent, and an HTTP server that checks each webhook's HMAC signature.

    with SmtpReceiver() as smtp: ... smtp.messages      # email.message.Message objects
    with WebhookReceiver(secret, fail_first=2) as hook: ... hook.received  # verified bodies
"""

from __future__ import annotations

import json
import socket
import threading
import time
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller

from governance.notifications import messages


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpReceiver:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.port = free_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's handler hook
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if m["To"] == address]

    def __enter__(self) -> SmtpReceiver:
        self._controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self._controller.stop()


class WebhookReceiver:
    """Answers 500 to the first `fail_first` requests, then 200; keeps every request with
    whether its signature verified."""

    def __init__(self, secret: str, *, fail_first: int = 0) -> None:
        self.secret, self.fail_first = secret, fail_first
        self.requests: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                verified = messages.verify(
                    receiver.secret,
                    self.headers.get(messages.TIMESTAMP_HEADER, ""),
                    body,
                    self.headers.get(messages.SIGNATURE_HEADER, ""),
                    now=int(time.time()),
                )
                receiver.requests.append(
                    {"body": json.loads(body), "verified": verified, "headers": dict(self.headers)}
                )
                status = 500 if len(receiver.requests) <= receiver.fail_first else 200
                self.send_response(status if verified else 401)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):  # quiet
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hook"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def received(self) -> list[dict]:
        """The bodies of verified requests."""
        return [r["body"] for r in self.requests if r["verified"]]

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
