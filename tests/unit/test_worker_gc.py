"""The worker's entry point freezes start-up's objects out of the cyclic collector."""

from __future__ import annotations

import subprocess
import sys

from tests.support.services import ROOT, environment

PROBE = "import gc, app.tasks.worker as w; print(w.celery.main, gc.get_freeze_count())"


def test_the_worker_module_freezes_what_start_up_made(tmp_path):
    env = environment(f"sqlite:///{tmp_path / 'db.sqlite'}", "memory://", tmp_path / "instance")
    before = subprocess.run(
        [sys.executable, "-c", "import gc; print(gc.get_freeze_count())"],
        env=env, cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    name, frozen = done.stdout.split()
    assert int(before.stdout) == 0
    assert int(frozen) > 50_000  # modules, Flask, SQLAlchemy, the app: ~100,000 objects
    assert name  # the Celery app was built before the freeze
