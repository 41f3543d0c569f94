"""flask-login wiring: sessions for pages, bearer tokens for the API, CSRF for cookies.

A request authenticated by a bearer token is exempt from CSRF (no browser sends that
header on its own); any state-changing request authenticated by the session cookie must
carry a CSRF token, pages and API alike.
"""

from __future__ import annotations

from flask import Flask, abort, g, redirect, request, url_for
from flask_login import current_user

from app.auth.accounts import user_for_token
from app.database import db_session
from app.errors import wants_json
from app.extensions import csrf, login_manager
from models import User

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@login_manager.user_loader
def load_user_from_session(user_id: str) -> User | None:
    try:
        raw_id, raw_epoch = user_id.split(":", 1)
        uid, epoch = int(raw_id), int(raw_epoch)
    except ValueError:
        return None
    user = db_session().get(User, uid)
    if user is None or not user.is_active or user.session_epoch != epoch:
        return None
    return user


@login_manager.request_loader
def load_user_from_token(req) -> User | None:
    header = req.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret:
        return None
    user = user_for_token(db_session(), secret.strip())
    if user is not None:
        g.auth_method = "token"
        db_session().commit()  # records last_used_at; nothing else is pending yet
    return user


@login_manager.unauthorized_handler
def unauthorized():
    if wants_json():
        abort(401, description="Authentication required: sign in or send a bearer token.")
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def _csrf_for_cookie_sessions() -> None:
    if request.method in SAFE_METHODS or request.endpoint in (None, "static"):
        return
    if request.headers.get("Authorization", "").lower().startswith("bearer "):
        return
    csrf.protect()


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"
    csrf.init_app(app)
    app.before_request(_csrf_for_cookie_sessions)

    @app.context_processor
    def inject_user():
        return {"current_user": current_user}
