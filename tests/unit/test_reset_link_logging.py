"""A password-reset link's token never reaches a log line: the app's access lines and
request context, and gunicorn's access log, show `<token>` instead."""

from __future__ import annotations

import datetime

from gunicorn.config import Config

from app.logs import GunicornLogger, loggable


def test_the_token_is_cut_out_of_paths():
    assert loggable("/password-reset/12.AbC_-x") == "/password-reset/<token>"
    assert loggable("/password-reset/12.AbC?next=1") == "/password-reset/<token>?next=1"
    assert loggable("/login") == "/login"


def test_gunicorn_access_lines_do_not_show_the_token():
    class Response:
        status, headers, response_length, sent = "200 OK", [], 5, 5

    class Request:
        method, path, query, uri = "GET", "/password-reset/7.SECRET", "", "/password-reset/7.SECRET"
        version, headers = (1, 1), []

    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/password-reset/7.SECRET",
        "PATH_INFO": "/password-reset/7.SECRET",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "QUERY_STRING": "",
        "REMOTE_ADDR": "192.0.2.1",
    }
    atoms = GunicornLogger(Config()).atoms(
        Response(), Request(), environ, datetime.timedelta(seconds=0.1)
    )
    assert atoms["r"] == "GET /password-reset/<token> HTTP/1.1"
    assert "SECRET" not in str(atoms)
