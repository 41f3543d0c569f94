"""Demo logins: one user per role (and per committee function), one shared password.

`DEMO_PASSWORD` is for the demo only: it is printed by `accord demo` and written in
docs/demo.md, so anyone can sign in as anyone. Never load the demo into a database that
holds real people or money.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance.accounts import AccountError, create_user
from governance.auditing import data_changes
from models import User, UserRole
from models.identity import FUNCTIONS, ROLES

DEMO_PASSWORD = "accord-demo-2026"


@dataclass(frozen=True)
class DemoUser:
    email: str
    name: str
    label: str  # the role as people say it, for the logins table
    look_at: str  # what to look at first
    roles: tuple[str, ...]
    functions: tuple[str, ...] = ()
    participant_id: str | None = None


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser(
        "dana.whitfield@example.com",
        "Dana Whitfield",
        "admin",
        "users and roles, API tokens, data imports",
        ("admin",),
    ),
    DemoUser(
        "claire.donovan@example.com",
        "Claire Donovan",
        "comp admin",
        "ae-plan's history (v1 superseded in July); the 2026-Q4 draft run; disputes to review",
        ("comp_admin",),
    ),
    DemoUser(
        "olivia.grant@example.com",
        "Olivia Grant",
        "committee: sales",
        "manager-rollup/2 waits for your vote (diff, impact); why se-overlay/2 was rejected",
        ("committee",),
        ("sales",),
    ),
    DemoUser(
        "henrik.larsen@example.com",
        "Henrik Larsen",
        "committee: finance + revops",
        "the 2026-Q4 draft run and manager-rollup/2 wait for finance; two functions, one vote",
        ("committee",),
        ("finance", "revops"),
    ),
    DemoUser(
        "amara.nwosu@example.com",
        "Amara Nwosu",
        "committee: hr",
        "leavers and joiners (Jamal Harris, Maya Patel); her approval of manager-rollup/2",
        ("committee",),
        ("hr",),
    ),
    DemoUser(
        "sofia.marquez@example.com",
        "Sofia Marquez",
        "committee: marketing",
        "marketing-attribution: touchpoint credit; the 12,500 adjustment for the committee",
        ("committee",),
        ("marketing",),
    ),
    DemoUser(
        "naomi.kim@example.com",
        "Naomi Kim",
        "committee: customer success",
        "csm-renewals: renewal credit and churn clawbacks",
        ("committee",),
        ("customer_success",),
    ),
    DemoUser(
        "theo.lambert@example.com",
        "Theo Lambert",
        "committee: revops",
        "approval rules; the locked runs of 2026-Q1..Q3 he approved; their audit trail",
        ("committee",),
        ("revops",),
    ),
    DemoUser(
        "rafael.costa@example.com",
        "Rafael Costa",
        "deal desk (lead)",
        "exceptions in every state: approved, expired, rejected, withdrawn, waiting",
        ("deal_desk",),
    ),
    DemoUser(
        "mei.tanaka@example.com",
        "Mei Tanaka",
        "deal desk",
        "her split override on an EMEA deal; her clawback waiver waiting for finance",
        ("deal_desk",),
    ),
    DemoUser(
        "jordan.reyes@example.com",
        "Jordan Reyes",
        "manager (NA East)",
        "the team's statements (Q1..Q3 locked, Q4 draft); Frank Moretti's ramp",
        ("manager",),
        participant_id="jordan-reyes",
    ),
    DemoUser(
        "ana.silva@example.com",
        "Ana Silva",
        "rep (AE, NA East)",
        "her statements (Q1..Q3 locked, Q4 draft); her disputes: one overdue, one in review",
        ("rep",),
        participant_id="ana-silva",
    ),
    DemoUser(
        "sophie.laurent@example.com",
        "Sophie Laurent",
        "rep (AE, EMEA)",
        "EUR deals in USD; her disputes: one accepted and paid, one rejected, one open",
        ("rep",),
        participant_id="sophie-laurent",
    ),
    DemoUser(
        "ingrid.svensson@example.com",
        "Ingrid Svensson",
        "auditor",
        "the hash-chained audit log of the year: plan approvals, runs, exceptions, disputes",
        ("auditor",),
    ),
)


def create_demo_users(session: Session, password: str = DEMO_PASSWORD) -> list[User]:
    """Create the demo users that do not exist yet (by e-mail); flush, do not commit.

    The first is made by `create_user` (the password policy, role and function checks);
    the others share its scrypt hash, since they share its password: scrypt takes a
    deliberate fraction of a second per hash, which over 14 users would dominate the
    demo's load time. The checks `create_user` makes are repeated for them, and their role
    grants are audited as `create_user` audits them.
    """
    existing = set(session.scalars(select(User.email)))
    missing = [demo for demo in DEMO_USERS if demo.email not in existing]
    if not missing:
        return []
    first = _create(session, missing[0], password)
    created = [first]
    for demo in missing[1:]:
        _check(demo)
        user = User(
            email=demo.email.lower(),
            name=demo.name,
            password_hash=first.password_hash,
            participant_id=demo.participant_id,
        )
        for role in demo.roles:
            functions = demo.functions if role == "committee" else (None,)
            user.roles.extend(UserRole(role=role, function=f) for f in functions)
        session.add(user)
        created.append(user)
    session.flush()
    for user in created[1:]:  # create_user audited the first one's grants itself
        data_changes.record_roles(session, None, user, before=[])
    return created


def _create(session: Session, demo: DemoUser, password: str) -> User:
    return create_user(
        session,
        email=demo.email,
        name=demo.name,
        password=password,
        roles=list(demo.roles),
        functions=list(demo.functions),
        participant_id=demo.participant_id,
    )


def _check(demo: DemoUser) -> None:
    unknown = [r for r in demo.roles if r not in ROLES]
    unknown += [f for f in demo.functions if f not in FUNCTIONS]
    if unknown or bool(demo.functions) != ("committee" in demo.roles):
        raise AccountError(f"demo user {demo.email}: bad roles or functions")


# Who acts in the demo's history (app/demo/history.py, payouts.py, exceptions.py,
# disputes.py): the comp admin authors, committee members vote, the deal desk files.
AUTHOR = "claire.donovan@example.com"
SALES = "olivia.grant@example.com"
FINANCE = "henrik.larsen@example.com"  # also revops; one person fills one function
HR = "amara.nwosu@example.com"
MARKETING = "sofia.marquez@example.com"
CUSTOMER_SUCCESS = "naomi.kim@example.com"
REVOPS = "theo.lambert@example.com"
DESK_LEAD = "rafael.costa@example.com"
DESK = "mei.tanaka@example.com"
REP_NA = "ana.silva@example.com"
REP_EMEA = "sophie.laurent@example.com"


class DemoUsers:
    """The demo's users by e-mail, read once."""

    def __init__(self, session: Session):
        self.by_email = {u.email: u for u in session.scalars(select(User))}

    def __getitem__(self, email: str) -> User:
        return self.by_email[email]
