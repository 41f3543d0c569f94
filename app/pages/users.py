"""Admin pages for user accounts (`users.manage`); governance/users.py does the work.

    GET  /admin/users                      search by name or e-mail, sorted, paged
    GET  /admin/users/new, POST            invite: create, and mail a link to set a password
    GET  /admin/users/<id>                 roles, functions, status, actions
    POST /admin/users/<id>/roles           replace roles and committee functions
    POST /admin/users/<id>/deactivate      sessions and tokens stop at the next request
    POST /admin/users/<id>/reactivate
    POST /admin/users/<id>/reset-link      mail a one-time link (24 h)

Every form carries the CSRF token; a refusal (409 last admin, 422 bad roles) re-renders
the page with its message.
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func

from app.auth.decorators import permission_required
from app.database import db_session, unit_of_work
from app.errors import on_refusal
from app.pages.listing import page_arg, search_arg, sort_arg
from governance import paging, users
from governance.paging import Sort
from models.identity import FUNCTIONS, ROLES, User

bp = Blueprint("user_pages", __name__, url_prefix="/admin/users")
PER_PAGE = 25
COLUMNS = {"email": User.email, "name": func.lower(User.name), "status": User.is_active}
DEFAULT_SORT = Sort("email")


def _key() -> str:
    return current_app.config["SECRET_KEY"]


def _form_roles() -> dict:
    return {
        "roles": request.form.getlist("roles"),
        "functions": request.form.getlist("functions"),
    }


@bp.get("")
@permission_required(users.MANAGE)
def index():
    page, query = page_arg(), search_arg()
    sort = sort_arg(COLUMNS, DEFAULT_SORT)
    stmt = paging.ordered(users.search(query or None).order_by(None), sort, COLUMNS, User.id)
    rows, total = paging.page(db_session(), stmt, offset=(page - 1) * PER_PAGE, limit=PER_PAGE)
    return render_template(
        "admin/users.html",
        rows=rows,
        total=total,
        q=query,
        sort=sort,
        page=page,
        pages=paging.pages(total, PER_PAGE),
    )


def _new(status: int = 200, **_ignored):
    return render_template(
        "admin/new_user.html", roles=ROLES, functions=FUNCTIONS, form=request.form
    ), status


@bp.get("/new")
@permission_required(users.MANAGE)
def new():
    return _new()


@bp.post("/new")
@permission_required(users.MANAGE)
@on_refusal(_new)
def create():
    with unit_of_work() as session:
        user, _reset = users.invite(
            session,
            current_user,
            key=_key(),
            email=request.form.get("email", "").strip(),
            name=request.form.get("name", "").strip(),
            participant_id=request.form.get("participant_id", "").strip() or None,
            **_form_roles(),
        )
    flash(f"{user.email} is invited: a link to set a password is on its way.", "success")
    return redirect(url_for("user_pages.detail", user_id=user.id), 303)


def _detail(user_id: int, status: int = 200):
    user = users.find(db_session(), user_id)
    return render_template(
        "admin/user.html", user=user, roles=ROLES, functions=FUNCTIONS, mail=_mails()
    ), status


def _mails() -> bool:
    return bool(current_app.config.get("SMTP_HOST"))


@bp.get("/<int:user_id>")
@permission_required(users.MANAGE)
def detail(user_id: int):
    return _detail(user_id)


def _act(user_id: int, action, message: str, **kwargs):
    with unit_of_work() as session:
        user = users.find(session, user_id)
        action(session, current_user, user, **kwargs)
        email = user.email
    flash(message.format(email=email), "success")
    return redirect(url_for("user_pages.detail", user_id=user_id), 303)


@bp.post("/<int:user_id>/roles")
@permission_required(users.MANAGE)
@on_refusal(_detail)
def roles(user_id: int):
    return _act(user_id, users.change_roles, "Roles of {email} saved.", **_form_roles())


@bp.post("/<int:user_id>/deactivate")
@permission_required(users.MANAGE)
@on_refusal(_detail)
def deactivate(user_id: int):
    return _act(user_id, users.deactivate, "{email} is deactivated: signed out, tokens revoked.")


@bp.post("/<int:user_id>/reactivate")
@permission_required(users.MANAGE)
@on_refusal(_detail)
def reactivate(user_id: int):
    return _act(user_id, users.reactivate, "{email} may sign in again.")


@bp.post("/<int:user_id>/reset-link")
@permission_required(users.MANAGE)
@on_refusal(_detail)
def reset_link(user_id: int):
    return _act(
        user_id, users.issue_reset, "A one-time link to set a password is mailed to {email}.",
        key=_key(),
    )  # fmt: skip
