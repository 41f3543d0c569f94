"""Login, logout, password change, and the public page a reset link opens."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo

from app.auth.decorators import login_required
from app.auth.identity import SESSION_ID
from app.auth.throttle import Refusal, throttle, try_again_in
from app.database import unit_of_work
from governance import sign_in, users
from governance.accounts import AccountError, change_password
from governance.errors import GovernanceError

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired()])
    password = PasswordField("Password", validators=[DataRequired()])


class PasswordForm(FlaskForm):
    current = PasswordField("Current password", validators=[DataRequired()])
    new = PasswordField("New password", validators=[DataRequired()])
    confirm = PasswordField(
        "Repeat new password", validators=[DataRequired(), EqualTo("new", "Passwords differ.")]
    )


class ResetForm(FlaskForm):
    new = PasswordField("New password", validators=[DataRequired()])
    confirm = PasswordField(
        "Repeat new password", validators=[DataRequired(), EqualTo("new", "Passwords differ.")]
    )


def _safe_next(target: str | None) -> str:
    # Only same-site relative paths: an open redirect after login is a phishing aid.
    # Browsers read a backslash as "/" and drop tabs and newlines inside URLs, so "/\evil.x"
    # and "/<TAB>/evil.x" both mean "//evil.x": refuse backslashes and unprintable
    # characters outright rather than trying to normalise them the way a browser would.
    if not target or any(c == "\\" or not c.isprintable() for c in target):
        return url_for("pages.home")
    if target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("pages.home")


def _client() -> sign_in.Client:
    return sign_in.Client(request.remote_addr, request.user_agent.string)


def _throttled(template: str, form: FlaskForm, email: str, refusal: Refusal, **context):
    """429 with the form, a message and `Retry-After`; the refusal is audited (at most
    once a minute per limit and key, so a flood does not flood the audit chain)."""
    if refusal.report:
        with unit_of_work() as db:
            sign_in.record_throttled(db, email, _client(), refusal.limit)
    flash(f"Too many sign-in attempts. {try_again_in(refusal.retry_after)}", "error")
    headers = {"Retry-After": str(refusal.retry_after)}
    return render_template(template, form=form, **context), 429, headers


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        email, client = form.email.data, _client()
        refusal = throttle().attempt(email, client.address)
        if refusal is not None:
            return _throttled("auth/login.html", form, email, refusal)
        # One unit of work either way: a failed attempt's audit record is committed too.
        with unit_of_work() as db:
            opened = sign_in.sign_in(
                db, email, form.password.data, client, replaces=session.get(SESSION_ID)
            )
        if opened is not None:
            login_user(opened.user)
            session[SESSION_ID] = opened.id
            return redirect(_safe_next(request.args.get("next")))
        flash("E-mail or password is wrong.", "error")
        return render_template("auth/login.html", form=form), 401
    # A submitted but incomplete form is a client error, not a fresh page.
    return render_template("auth/login.html", form=form), 400 if form.is_submitted() else 200


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        with unit_of_work() as db:
            sign_in.sign_out(db, current_user, session.get(SESSION_ID))
    logout_user()
    session.pop(SESSION_ID, None)
    flash("Signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password():
    form = PasswordForm()
    if form.validate_on_submit():
        # The current password is a password attempt like a sign-in: same limits.
        refusal = throttle().attempt(current_user.email, request.remote_addr)
        if refusal is not None:
            return _throttled("auth/password.html", form, current_user.email, refusal)
        with unit_of_work() as db:
            right = sign_in.check_current_password(db, current_user, form.current.data, _client())
        if not right:
            form.current.errors.append("The current password is wrong.")
        else:
            try:
                with unit_of_work() as db:
                    change_password(db, current_user, form.new.data)
            except AccountError as exc:
                form.new.errors.append(str(exc))
            else:
                # This session is revoked with every other one: sign in again.
                logout_user()
                session.pop(SESSION_ID, None)
                flash("Password changed. Sign in with the new password.", "info")
                return redirect(url_for("auth.login"))
    return render_template("auth/password.html", form=form), 400 if form.is_submitted() else 200


@bp.route("/password-reset/<token>", methods=["GET", "POST"])
def password_reset(token: str):
    """The page a reset link opens: choose a password (the link works once). Posts count
    as password attempts, under the sign-in limits (per link and per address)."""
    form = ResetForm()
    if request.method == "POST":  # counted before the link is checked: guesses count too
        refusal = throttle().attempt(f"reset:{token.partition('.')[0]}", request.remote_addr)
        if refusal is not None:
            return _throttled("auth/password_reset.html", form, "", refusal, valid=True)
    with unit_of_work() as db:
        valid = users.live_reset(db, token) is not None
    if not valid:
        return render_template("auth/password_reset.html", form=form, valid=False), 404
    if form.validate_on_submit():
        try:
            with unit_of_work() as db:
                users.use_reset(db, token, form.new.data)
        except GovernanceError as exc:
            form.new.errors.append(exc.message)
        else:
            logout_user()  # whoever this browser was signed in as
            session.pop(SESSION_ID, None)
            flash("Your password is set. Sign in with it.", "info")
            return redirect(url_for("auth.login"))
    status = 400 if form.is_submitted() else 200
    return render_template("auth/password_reset.html", form=form, valid=True), status
