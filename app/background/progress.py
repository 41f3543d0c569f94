"""A running background job's progress, visible to whoever polls it (`GET /jobs/N`).

    progress = Progress(session, job.id, total)   # in the job's work
    progress(len(chunk))                          # after each chunk: at most once a second

The work's transaction cannot carry it (nobody sees it before the commit), so it is
written apart: on PostgreSQL the job row's `progress_done` / `progress_total`, in a
transaction of its own; on SQLite, whose one write lock the work holds, the progress
file beside the database that payout run jobs use too (`app/job_progress.py`; the
job's id there is negated, apart from payout run jobs' ids). `read(session, job)` is the
figure to show.
"""

from __future__ import annotations

import time

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from app.job_progress import ProgressFiles
from models.jobs import Job

EVERY = 1.0  # seconds between two progress writes


class Progress:
    def __init__(self, session: Session, job_id: int, total: int) -> None:
        self.job_id, self.total, self.done = job_id, total, 0
        self.files = ProgressFiles.of(session)
        # Apart from `session`: its own connection (a test's connection: a savepoint).
        self.sessions = sessionmaker(
            bind=session.get_bind(), join_transaction_mode="create_savepoint"
        )
        self.last = float("-inf")
        self._write()

    def __call__(self, count: int) -> None:
        self.done = min(self.total, self.done + count)
        now = time.monotonic()
        if now - self.last >= EVERY or self.done >= self.total:
            self._write()

    def _write(self) -> None:
        self.last = time.monotonic()
        if self.files is not None:
            self.files.put(-self.job_id, self.done, self.total)
            return
        with self.sessions() as side:
            side.execute(
                update(Job)
                .where(Job.id == self.job_id, Job.state == "running")
                .values(progress_done=self.done, progress_total=self.total)
            )
            side.commit()

    def drop(self) -> None:
        """The work is over: its figure is the job's result now (the file is deleted)."""
        if self.files is not None:
            self.files.drop(-self.job_id)


def read(session: Session | None, job: Job) -> tuple[int | None, int | None]:
    """(done, total) of a running job: the progress file's on SQLite, else the row's."""
    files = ProgressFiles.of(session) if session is not None else None
    if files is not None and job.state == "running":
        reported = files.get(-job.id)
        if reported is not None:
            return reported
    return job.progress_done, job.progress_total
