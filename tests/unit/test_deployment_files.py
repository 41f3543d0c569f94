"""compose.yaml and the Dockerfile, without Docker: every accord service runs an `accord`
subcommand that exists, and the native end-to-end tests start the same entry points
(`accord serve`, `accord worker`; `accord db upgrade` is run by the CLI tests)."""

from __future__ import annotations

import re
from pathlib import Path

import click
import yaml

from app.cli import main

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
SERVICES = COMPOSE["services"]
ACCORD_SERVICES = {name: s for name, s in SERVICES.items() if s.get("image") == "accord:latest"}


def _command(argv: list[str]) -> click.Command:
    """The click command `accord argv...` runs (its options parsed: bad ones raise)."""
    command: click.Command = main
    args = list(argv)
    while isinstance(command, click.Group) and args and not args[0].startswith("-"):
        sub = command.commands.get(args[0])
        assert sub is not None, f"accord has no subcommand {args[0]!r} ({argv})"
        command, args = sub, args[1:]
    command.make_context(command.name, args)  # parses its options as `accord` would
    return command


def _started_by(path: Path) -> set[str]:
    """Subcommands a test module starts as processes: `[ACCORD, "name", ...]`."""
    return set(re.findall(r'\[ACCORD, "([a-z-]+)"', path.read_text(encoding="utf-8")))


def test_the_reference_deployment_has_its_processes():
    assert {"web", "worker", "beat", "migrate", "postgres", "redis"} <= set(SERVICES)
    assert set(ACCORD_SERVICES) == {"web", "worker", "beat", "migrate"}
    assert "--beat" in SERVICES["beat"]["command"]
    assert all("--beat" not in SERVICES[s]["command"] for s in ("web", "worker", "migrate"))
    depends = SERVICES["web"]["depends_on"]
    assert depends["migrate"] == {"condition": "service_completed_successfully"}
    for name, service in ACCORD_SERVICES.items():
        env = service["environment"]
        assert env["ACCORD_ENV"] == "production", name
        assert env["DATABASE_URL"].startswith("postgresql+psycopg://"), name
        assert env["ACCORD_BROKER_URL"] == "redis://redis:6379/0", name


def test_every_accord_service_runs_an_existing_subcommand_the_native_e2e_starts():
    started = _started_by(ROOT / "tests/support/services.py")
    started |= _started_by(ROOT / "tests/integration/test_worker_e2e.py")
    assert {"serve", "worker"} <= started
    cli_tests = "\n".join(p.read_text() for p in (ROOT / "tests/integration").glob("test_*.py"))
    for name, service in ACCORD_SERVICES.items():
        argv = service["command"]
        command = _command(argv)
        if argv[:2] == ["db", "upgrade"]:
            assert command.name == "upgrade"
            assert '"db", "upgrade"' in cli_tests  # run for real by the CLI tests
        else:
            assert argv[0] in started, f"{name}: `accord {argv[0]}` is not started natively"


def test_the_image_runs_accord_as_a_non_root_user():
    lines = (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines()
    assert lines[[i for i, x in enumerate(lines) if x.startswith("FROM")][0]] == (
        "FROM python:3.11-slim"
    )
    assert any(x.strip().startswith("RUN pip install .") for x in lines)
    user = [x for x in lines if x.startswith("USER ")]
    assert user == ["USER accord"]
    assert 'ENTRYPOINT ["accord"]' in lines and 'CMD ["serve"]' in lines
    # The default command is the one compose's web service runs.
    assert SERVICES["web"]["command"][0] == "serve"


def test_the_image_byte_compiles_the_sources_it_imports():
    """PYTHONPATH=/app imports the copied sources, not the wheel's compiled copy, and
    PYTHONDONTWRITEBYTECODE with a read-only /app would make every process compile them
    at start-up: the build compiles them once, after the last COPY."""
    lines = [x.strip() for x in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines()]
    assert any(x.startswith("PYTHONPATH=/app") for x in lines)
    compiled = [i for i, x in enumerate(lines) if "python -m compileall -q /app" in x]
    copies = [i for i, x in enumerate(lines) if x.startswith("COPY ")]
    assert compiled and compiled[0] > max(copies)
