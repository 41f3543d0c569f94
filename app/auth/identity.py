"""flask-login wiring: sessions for pages, bearer tokens for the API, CSRF for cookies.

A request that sends `Authorization: Bearer ...` is judged by that token alone: its
session cookie, if any, is ignored, so a token request never rides a browser session.
Such a request is exempt from CSRF (no browser attaches that header on its own). Any
other state-changing request that is authenticated by the session cookie must carry a
CSRF token, pages and API alike.
"""

from __future__ import annotations

from flask import Flask, abort, g, redirect, request, session, url_for
from flask_login import current_user
from sqlalchemy.exc import OperationalError

from app.database import database, db_session
from app.errors import wants_json
from app.extensions import csrf, login_manager
from governance import sign_in
from governance.accounts import user_for_token
from models import User

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
API_PREFIX = "/api/"
# The signed cookie's key for the id of the server-side session (`user_sessions`).
SESSION_ID = "_accord_sid"


@login_manager.user_loader
def load_user_from_session(user_id: str) -> User | None:
    """The cookie's user, if the server-side session it names is live (not signed out,
    not ended by a password change) and the user's epoch and status still match."""
    try:
        raw_id, raw_epoch = user_id.split(":", 1)
        uid, epoch = int(raw_id), int(raw_epoch)
    except ValueError:
        return None
    session_id = session.get(SESSION_ID)
    if not isinstance(session_id, str):
        return None
    # Like a token (below): checked, and its last use recorded, in a session of its own,
    # so that the request's transaction is not begun before the view needs one.
    with database().session() as bookkeeping:
        row = sign_in.live_session(bookkeeping, session_id, uid)
        if row is None or not row.user.is_active or row.user.session_epoch != epoch:
            return None
        # Into the request's session before any rollback here could expire it.
        user = db_session().merge(row.user, load=False)
        if sign_in.seen_long_ago(row):
            sign_in.touch(bookkeeping, session_id)
            try:
                bookkeeping.commit()
            except OperationalError:
                bookkeeping.rollback()  # best-effort, as for tokens
        return user


def bearer_secret(req) -> str | None:
    """The secret of an `Authorization: Bearer <secret>` header, or None."""
    scheme, _, secret = req.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return secret.strip()


def load_user_from_token(req) -> User | None:
    secret = bearer_secret(req)
    if not secret:
        return None
    # The token's last use is recorded in a session of its own, committed at once: it
    # stays out of the request's transaction (a GET writes nothing). The user it loaded,
    # with its roles, joins the request's session without a query, so that no request
    # transaction is begun before the view needs one.
    with database().session() as bookkeeping:
        user = user_for_token(bookkeeping, secret)
        if user is None:
            return None
        try:
            bookkeeping.commit()
        except OperationalError:
            # SQLite while a payout run is built in the background: the build holds the
            # only write lock. The usage time is best-effort; the request goes on.
            bookkeeping.rollback()
        return db_session().merge(user, load=False)


def _authenticate_bearer() -> None:
    # flask-login looks at the session first, and its "strong" session protection answers
    # "anonymous" without consulting a request_loader whenever the cookie's identifier
    # does not match (an anonymous session holding only a CSRF token is enough). So a
    # token is resolved here, before anything reads current_user, and the result (a user
    # or anonymous) is installed as the request's user; the cookie is not looked at.
    if bearer_secret(request) is None:
        return
    user = load_user_from_token(request)
    g.auth_method = "token" if user is not None else None
    login_manager._update_request_context_with_user(user)


@login_manager.unauthorized_handler
def unauthorized():
    if wants_json():
        abort(401, description="Authentication required: sign in or send a bearer token.")
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def _csrf_for_cookie_sessions() -> None:
    if request.method in SAFE_METHODS or request.endpoint in (None, "static"):
        return
    if g.get("auth_method") == "token":
        return
    if request.path.startswith(API_PREFIX) and not current_user.is_authenticated:
        # No credentials to ride, so nothing to forge: the endpoint answers 401 itself
        # (the permission matrix holds every API route to that), which tells an API
        # client more than "CSRF token missing" would. Pages keep the check, because
        # the login form is a page and login CSRF is a thing.
        return
    csrf.protect()


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"
    csrf.init_app(app)
    app.before_request(_authenticate_bearer)  # before the CSRF check, which needs to know
    app.before_request(_csrf_for_cookie_sessions)

    @app.context_processor
    def inject_user():
        return {"current_user": current_user}
