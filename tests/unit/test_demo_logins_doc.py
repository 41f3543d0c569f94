"""docs/demo.md's logins table says what `make run` prints (`accord demo`'s logins)."""

from __future__ import annotations

from pathlib import Path

from app.commands.demo import logins_table
from app.demo.users import DEMO_PASSWORD, DEMO_USERS

DOC = Path(__file__).resolve().parents[2] / "docs" / "demo.md"


def _doc_rows() -> list[list[str]]:
    text = DOC.read_text(encoding="utf-8")
    table = text[text.index("| role | e-mail | name | look at first |") :].split("\n\n")[0]
    return [[c.strip() for c in line.strip("|").split("|")] for line in table.splitlines()[2:]]


def test_the_documented_logins_are_the_printed_ones():
    rows = _doc_rows()
    assert [(r[0], r[1], r[3]) for r in rows] == [(u.label, u.email, u.look_at) for u in DEMO_USERS]
    printed = {}
    for line in logins_table().splitlines()[2:]:
        email = next(word for word in line.split() if "@" in word)
        printed[email] = line
    for user in DEMO_USERS:
        line = printed[user.email]
        assert line.startswith(user.label) and DEMO_PASSWORD in line
        assert line.endswith(user.look_at)
    assert f"**`{DEMO_PASSWORD}`**" in DOC.read_text(encoding="utf-8")
