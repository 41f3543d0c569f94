"""`accord run|worker|serve`: the processes Accord runs as (docs/deployment.md).

    accord run [--no-worker] [flask run options]   # embedded: web + a solo worker beside it
    accord worker [--pool prefork -c 4] [--beat]   # a Celery worker (production: many)
    accord serve [gunicorn options]                # the web process under gunicorn

`accord run` is Flask's development server; it also starts one Celery worker (solo pool,
with beat) as a child process, so `make run` needs nothing else installed: with the
default broker (a SQLite file under `instance/`) the two processes are the whole
deployment. `worker` and `serve` replace themselves with `celery` and `gunicorn`.
"""

from __future__ import annotations

import atexit
import ctypes
import os
import signal
import subprocess
import sys

import click
from flask.cli import run_command

from config import INSTANCE_DIR, ROOT

WORKER_APP = "app.tasks.worker"


def worker_argv(pool: str = "solo", concurrency: int = 1, beat: bool = False) -> list[str]:
    """The command line of a worker (also what tests and compose start)."""
    argv = [sys.executable, "-m", "celery", "-A", WORKER_APP, "worker"]
    argv += [f"--pool={pool}", f"--concurrency={concurrency}", "--loglevel=INFO"]
    if beat:
        INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
        argv += ["--beat", f"--schedule={INSTANCE_DIR / 'celerybeat-schedule'}"]
    return argv


@click.command(
    "run",
    params=[
        *run_command.params,
        click.Option(
            ["--worker/--no-worker"],
            default=True,
            help="Start a Celery worker (solo pool, with beat) beside the server.",
        ),
    ],
    help="Run the development server and, beside it, a worker that builds payout runs.",
)
@click.pass_context
def run(ctx: click.Context, worker: bool, **options) -> None:
    # With the reloader, this runs twice: the worker is the watching parent's child only.
    if worker and os.environ.get("WERKZEUG_RUN_MAIN") != "true":
        INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
        child = subprocess.Popen(worker_argv(beat=True), preexec_fn=_die_with_parent)
        click.echo(f" * Celery worker started beside the server (pid {child.pid})", err=True)
        atexit.register(_stop, child)
        # SIGTERM ends the server as Ctrl-C does: through atexit, which stops the worker.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    ctx.invoke(run_command, **options)


def _die_with_parent() -> None:
    """Linux: the worker gets SIGTERM when `accord run` dies, even by SIGKILL."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _stop(child: subprocess.Popen) -> None:
    if child.poll() is None:
        child.terminate()  # warm shutdown: the task in hand is given back, not lost
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()


@click.command("worker", context_settings={"ignore_unknown_options": True})
@click.option("--pool", type=click.Choice(["solo", "prefork", "threads"]), default="prefork")
@click.option("-c", "--concurrency", type=int, default=os.cpu_count() or 1, show_default=True)
@click.option("--beat", is_flag=True, help="Also run the periodic tasks (one beat in all).")
@click.argument("celery_args", nargs=-1, type=click.UNPROCESSED)
def worker(pool: str, concurrency: int, beat: bool, celery_args: tuple[str, ...]) -> None:
    """Run a Celery worker (extra arguments go to `celery worker`)."""
    argv = worker_argv(pool, concurrency, beat) + list(celery_args)
    os.execv(argv[0], argv)


@click.command("serve", context_settings={"ignore_unknown_options": True})
@click.argument("gunicorn_args", nargs=-1, type=click.UNPROCESSED)
def serve(gunicorn_args: tuple[str, ...]) -> None:
    """Serve the app with gunicorn and gunicorn.conf.py (extra arguments go to gunicorn)."""
    argv = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py")]
    argv += [*gunicorn_args, "wsgi:app"]
    os.execv(argv[0], argv)
