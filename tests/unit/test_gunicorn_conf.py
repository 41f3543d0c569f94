"""gunicorn.conf.py's worker hook: start-up objects frozen out of the collector."""

from __future__ import annotations

import gc
import runpy
from pathlib import Path

CONF = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"


def test_a_worker_freezes_what_start_up_made_once_the_app_is_loaded(monkeypatch, tmp_path):
    # Given, so that reading the settings sets no environment of this process.
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    settings = runpy.run_path(str(CONF))
    assert settings["preload_app"] is False  # each worker loads the app, then freezes
    gc.unfreeze()
    try:
        settings["post_worker_init"](None)
        assert gc.get_freeze_count() > 1000  # this test process's modules, at least
    finally:
        gc.unfreeze()
    assert gc.get_freeze_count() == 0
