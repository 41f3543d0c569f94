"""Background jobs other than payout runs (issue 13): one mechanism for every kind.

    jobs.py      queue (commit, publish, 503 and withdraw), claim, run, fail, status
    kind.py      what a kind supplies: its work, who may read anyone's job of it
    registry.py  the kinds: `import` (imports.py), `statement_export` (exports.py)
    app/tasks/background.py   the Celery tasks: run a job, sweep stranded ones

A kind is a function `run(session, actor, job) -> Outcome` that works in the given
session (flushes, never commits); the mechanism commits it together with the job
becoming `done`, so a job is done exactly when its work is written.
"""
