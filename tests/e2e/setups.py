"""Data the browser tests set up, shared by their modules (the live database outlives
each test, so each setup names its own plan, period or participants):

    plan_change_waiting(live_server, key, prefix)   KEY/1 active at 6%, KEY/2 at 9%
                                                    submitted, no vote yet: its author
    rep_with_a_line(live_server)                    a rep and a line of theirs in a
                                                    locked, published run: (rep, line id)
    rep_statements(live_server, period, prefix, state=...)  the demo quarter's statements
                                                    of ana and raj as PREFIX-ana/-raj in
                                                    PERIOD; a rep who is PREFIX-ana
    mailbox(live_server) as mail                    a real SMTP server the live app mails
                                                    to while the block runs; mail.to(),
                                                    mail.link(message)
    deliver(live_server)                            the notification workers' sweep, now
"""

from __future__ import annotations

import re
import secrets
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

from governance.imports.service import import_data
from governance.plans import lifecycle
from tests.integration.committee import plan_history, plan_text
from tests.support.receivers import SmtpReceiver


def plan_change_waiting(
    live_server, key: str, prefix: str, author_name: str | None = None, history=None
):
    """KEY/1 active at 6% (from 2025), KEY/2 at 9% (from 2026) submitted by its author,
    nobody has voted; participants PREFIX-ana... on KEY with a year of deals (or the
    import payload `history`). The author."""
    from app.database import db_session
    from models import User

    author = live_server.make_user("comp_admin", name=author_name)
    history = history or plan_history(key, {f"{prefix.lower()}-ana": "new"}, prefix)
    with live_server.app.app_context():
        session = db_session()
        import_data(session, history, source=f"e2e {key}")
        writer = session.get(User, author.id)
        lifecycle.create_draft(session, writer, plan_text("0.06").replace("ae-plan", key))
        lifecycle.submit(session, writer, key, 1, effective_from=date(2025, 1, 1))
        lifecycle.approve(session, None, key, 1)
        lifecycle.activate(session, writer, key, 1)
        lifecycle.create_draft(session, writer, plan_text("0.09").replace("ae-plan", key))
        lifecycle.submit(session, writer, key, 2, effective_from=date(2026, 1, 1))
        session.commit()
    return author


def rep_with_a_line(live_server, name: str = "Rita Rep"):
    """A published run with a line of a new participant; a rep user who is them."""
    from app.database import db_session
    from models import User
    from tests.support.disputes import participants, run_with_lines

    rep = live_server.make_user("rep", name=name)
    with live_server.app.app_context():
        session = db_session()
        _mia, ana, bob = participants(session, suffix=f"-{secrets.token_hex(3)}")
        lines = run_with_lines(session, ana, bob)
        session.get(User, rep.id).participant_id = ana
        session.commit()
        return rep, lines.ana.id


def rep_statements(live_server, period: str, prefix: str, *, state: str = "published"):
    """ana's and raj's 2026-Q3 statements of the demo, as PREFIX-ana/PREFIX-raj in
    PERIOD, in a run brought to `state`; a rep user who is PREFIX-ana.
    (rep, {participant: statement id}, run id)."""
    from app.database import db_session
    from models import Participant, User
    from models.payouts import Statement
    from tests.support.statements import engine_output, persist_run

    rep = live_server.make_user("rep", name="Ana Alves")
    with live_server.app.app_context():
        session = db_session()
        output = engine_output("2026-Q3")
        output["period"] = period
        output["statements"] = [
            dict(st, participant=f"{prefix}-{st['participant']}")
            for st in output["statements"]
            if st["participant"] in ("ana", "raj")
        ]
        session.add_all(
            [
                Participant(id=f"{prefix}-ana", name="Ana Alves"),
                Participant(id=f"{prefix}-raj", name="Raj"),
            ]
        )
        session.flush()
        run = persist_run(session, output, state=state)
        session.get(User, rep.id).participant_id = f"{prefix}-ana"
        ids = {
            st.participant_id: st.id
            for st in session.query(Statement).filter(Statement.run_id == run.id)
        }
        session.commit()
        return rep, ids, run.id


def deliver(live_server) -> None:
    """Run the notification workers' sweep now (tasks are eager in the tests): events
    written so far are fanned out and sent (e-mail only inside `mailbox`)."""
    from app.tasks import EXTENSION
    from app.tasks.notifications import SWEEP

    app = live_server.app
    with app.app_context():
        app.extensions[EXTENSION].tasks[SWEEP].apply_async().get()


LINK = re.compile(r"https?://\S+")


@dataclass
class Mailbox:
    """What the live app mailed while the block ran (a real SMTP server, aiosmtpd)."""

    live_server: object
    receiver: SmtpReceiver

    def deliver(self) -> None:
        deliver(self.live_server)

    def to(self, address: str, subject: str = "") -> list:
        return [m for m in self.receiver.to(address) if subject in m["Subject"]]

    @staticmethod
    def link(message) -> str:
        """The first link of an e-mail, as a path on the live server."""
        text = message.get_payload(decode=True).decode(message.get_content_charset() or "utf-8")
        parts = urlsplit(LINK.search(text).group(0))
        return parts.path + (f"?{parts.query}" if parts.query else "")


@contextmanager
def mailbox(live_server):
    """The live app mails to a local SMTP server (links to itself) while the block runs."""
    config = live_server.app.config
    keys = ("SMTP_HOST", "SMTP_PORT", "BASE_URL")
    before = {k: config.get(k) for k in keys}
    with SmtpReceiver() as receiver:
        config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=receiver.port, BASE_URL=live_server.url)
        try:
            yield Mailbox(live_server, receiver)
        finally:
            config.update(before)


def signed_in_page(new_context, sign_in, user):
    """A new browser profile's page, signed in as `user`."""
    page = new_context().new_page()
    sign_in(page, user)
    return page
