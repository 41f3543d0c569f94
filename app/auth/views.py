"""Login, logout and password change pages."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo

from app.auth.decorators import login_required
from app.database import db_session, unit_of_work
from governance.accounts import AccountError, authenticate, change_password, verify_password

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


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(db_session(), form.email.data, form.password.data)
        if user is not None:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
        flash("E-mail or password is wrong.", "error")
        return render_template("auth/login.html", form=form), 401
    # A submitted but incomplete form is a client error, not a fresh page.
    return render_template("auth/login.html", form=form), 400 if form.is_submitted() else 200


@bp.post("/logout")
def logout():
    logout_user()
    flash("Signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password():
    form = PasswordForm()
    if form.validate_on_submit():
        if not verify_password(current_user.password_hash, form.current.data):
            form.current.errors.append("The current password is wrong.")
        else:
            try:
                with unit_of_work() as session:
                    change_password(session, current_user, form.new.data)
            except AccountError as exc:
                form.new.errors.append(str(exc))
            else:
                # This session carries the old epoch: sign in again, like every other one.
                logout_user()
                flash("Password changed. Sign in with the new password.", "info")
                return redirect(url_for("auth.login"))
    return render_template("auth/password.html", form=form), 400 if form.is_submitted() else 200
