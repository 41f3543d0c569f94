"""Progress of a payout run job on SQLite: a small file per job beside the database.

On SQLite the build's transaction holds the database's only write lock until it commits,
so neither the worker (another process) nor anyone else can write the job row's progress
meanwhile. The worker writes `<database>-jobs/<job id>.json` instead (atomically: a
temporary file renamed over it) and readers merge it into the job's status. SQLite
deployments are one machine, so the web process and the worker share the folder. An
in-memory database (tests) keeps progress in this process.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker


class ProgressFiles:
    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self._memory: dict[int, tuple[int, int]] = {}
        self._lock = threading.Lock()

    @classmethod
    def of(cls, source: Session | sessionmaker) -> ProgressFiles | None:
        """The store of the database `source` is bound to; None unless SQLite."""
        bind = source.get_bind() if isinstance(source, Session) else source.kw["bind"]
        url = getattr(bind, "engine", bind).url
        if url.get_backend_name() != "sqlite":
            return None
        database = url.database
        if not database or database == ":memory:":
            return _IN_MEMORY
        path = Path(database)
        return cls(path.with_name(f"{path.name}-jobs"))

    def put(self, job_id: int, done: int, total: int) -> None:
        if self.folder is None:
            with self._lock:
                self._memory[job_id] = (done, total)
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump({"done": done, "total": total}, out)
        os.replace(temporary, self.folder / f"{job_id}.json")

    def get(self, job_id: int) -> tuple[int, int] | None:
        if self.folder is None:
            with self._lock:
                return self._memory.get(job_id)
        try:
            reported = json.loads((self.folder / f"{job_id}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return int(reported["done"]), int(reported["total"])

    def drop(self, job_id: int) -> None:
        if self.folder is None:
            with self._lock:
                self._memory.pop(job_id, None)
            return
        (self.folder / f"{job_id}.json").unlink(missing_ok=True)


_IN_MEMORY = ProgressFiles(None)
