"""The demo organisation `make run` loads on first start (see docs/demo.md).

`generator.generate_demo_data(seed, deals)` builds the section-3 JSON of a fictional
software company, Northwind Cloud: 47 participants on five plans, four quarters of
quotas and about 2,000 deals with the awkward cases compensation plans exist for.
`users.DEMO_USERS` are the logins for every role, with one shared demo-only password;
`loader.load_demo(session, ...)` writes both in the caller's transaction, then a year of
governance history through the governance services: plan versions and change requests
(`history`), payout exceptions (`exceptions`), payout runs (`payouts`) and disputes
(`disputes`), on the story's dates (`clock`).

Everything is deterministic: the same seed gives byte-identical JSON, and "today" is
pinned to `DEMO_TODAY` (2026-11-24), so the demo's current quarter is 2026-Q4.
"""

from app.demo.roster import DEMO_TODAY

__all__ = ["DEMO_TODAY"]
