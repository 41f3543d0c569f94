"""Extension objects, created unbound here and bound to the app in `create_app`."""

from __future__ import annotations

from flask_login import LoginManager
from flask_smorest import Api as SmorestApi
from flask_wtf.csrf import CSRFProtect

from app.api.responses import CommonResponses
from app.errors import ErrorSchema


class Api(SmorestApi):
    """flask-smorest with Accord's error envelope (see app.errors) for docs and handling."""

    ERROR_SCHEMA = ErrorSchema

    def _init_spec(self, *, extra_plugins=None, **options):
        # The statuses every operation can answer (401, 403, 404...): app/api/responses.py.
        super()._init_spec(extra_plugins=[CommonResponses(), *(extra_plugins or ())], **options)

    def _register_error_handlers(self):
        # app.errors registers one handler for pages and API alike.
        pass


login_manager = LoginManager()
csrf = CSRFProtect()
