"""Extension objects, created unbound here and bound to the app in `create_app`."""

from __future__ import annotations

import threading

from flask_login import LoginManager
from flask_smorest import Api as SmorestApi
from flask_wtf.csrf import CSRFProtect

from app.api.responses import CommonResponses
from app.errors import ErrorSchema


class Api(SmorestApi):
    """flask-smorest with Accord's error envelope (see app.errors) for docs and handling."""

    ERROR_SCHEMA = ErrorSchema

    def __init__(self, *args, **kwargs):
        # Blueprints whose operations `spec` adds to the document when it is first read.
        self._undocumented: list[tuple] = []
        self._documenting = threading.Lock()  # two first reads (threaded `accord run`)
        super().__init__(*args, **kwargs)

    def register_blueprint(self, blp, *, parameters=None, **options):
        """Register the blueprint's routes now and its operations in the OpenAPI document
        when the document is first read (`spec`): building the document is most of the
        cost of creating an app (0.06 of 0.10 s), which every CLI command and every test
        pays and few read. The document is the same (tests/api/test_openapi.py)."""
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)
        self._undocumented.append((blp, name, parameters))

    @property
    def spec(self):
        """The OpenAPI document (apispec), with every registered blueprint's operations."""
        if self._spec is not None and self._undocumented:
            with self._documenting:
                for blp, name, parameters in self._undocumented:
                    blp.register_views_in_doc(
                        self, self._app, self._spec, name=name, parameters=parameters
                    )
                    self._spec.tag({"name": name, "description": blp.description})
                self._undocumented.clear()
        return self._spec

    @spec.setter
    def spec(self, value):
        self._spec = value

    def _init_spec(self, *, extra_plugins=None, **options):
        # The statuses every operation can answer (401, 403, 404...): app/api/responses.py.
        super()._init_spec(extra_plugins=[CommonResponses(), *(extra_plugins or ())], **options)

    def _register_error_handlers(self):
        # app.errors registers one handler for pages and API alike.
        pass


login_manager = LoginManager()
csrf = CSRFProtect()
