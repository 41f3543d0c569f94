"""CSV files without a database: which kind of data a header names, and `;` as the delimiter
(the imports themselves, on both databases: tests/integration/test_import_csv.py)."""

from __future__ import annotations

from governance.imports.csv_formats import read_csv, recognise


def test_kind_is_recognised_or_named():
    assert recognise(["Opportunity ID", "Amount", "Close Date", "Owner"]) == "deals"
    assert recognise(["deal", "event", "date"]) == "events"
    assert recognise(["participant", "plan", "period", "quota"]) == "quotas"
    assert recognise(["participant", "plan", "start"]) == "assignments"
    assert recognise(["pair", "rate"]) == "fx"
    assert recognise(["Employee ID", "Full Name"]) == "participants"
    assert recognise(["colour", "size"]) is None
    parsed = read_csv("id;name\nana;Ana\n", name="people.csv", kind="participants")
    assert parsed.records == [{"id": "ana", "name": "Ana"}]  # ; as the delimiter
