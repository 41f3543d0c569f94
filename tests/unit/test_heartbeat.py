"""Worker heartbeats on the embedded broker (a file per worker under the instance folder):
counted while recent, dropped when stale or withdrawn. Redis's: test_operations_e2e.py."""

from __future__ import annotations

import os
import time

from app.tasks import heartbeat

EMBEDDED = "sqla+sqlite:///broker.sqlite"


def test_file_heartbeats_count_recent_workers_only(tmp_path, monkeypatch):
    monkeypatch.setattr(heartbeat, "INSTANCE_DIR", tmp_path)
    assert heartbeat.alive(EMBEDDED) == []
    heartbeat.beat(EMBEDDED, "celery@a")
    heartbeat.beat(EMBEDDED, "celery@b")
    assert heartbeat.alive(EMBEDDED) == ["celery@a", "celery@b"]
    old = time.time() - heartbeat.STALE - 5
    os.utime(tmp_path / "workers" / "celery@b", (old, old))
    assert heartbeat.alive(EMBEDDED) == ["celery@a"]
    heartbeat.forget(EMBEDDED, "celery@a")
    assert heartbeat.alive(EMBEDDED) == []
