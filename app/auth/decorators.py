"""Thin decorators over governance.permissions for views and API resources."""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user

from app.extensions import login_manager
from governance.permissions import has_permission


def login_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        return view(*args, **kwargs)

    return wrapper


def permission_required(permission: str):
    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not has_permission(current_user, permission):
                abort(403, description=f"This needs the permission {permission!r}.")
            return view(*args, **kwargs)

        wrapper.required_permission = permission
        return wrapper

    return decorator
