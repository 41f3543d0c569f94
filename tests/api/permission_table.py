"""Who may call what: the expected status of every route for every principal.

The reviewed table of tests/api/test_permissions_matrix.py (read its docstring first): an
entry maps a principal to the exact status it gets; "*" stands for every principal not
named. The rows name roles one by one instead of deriving them from
governance/permissions.py, so a change of a role's reach shows up as a failing test.
"""

from __future__ import annotations

# Principal -> (roles, committee functions); None is the anonymous visitor.
PRINCIPALS: dict[str, tuple[tuple[str, ...], tuple[str, ...]] | None] = {
    "anonymous": None,
    "admin": (("admin",), ()),
    "comp_admin": (("comp_admin",), ()),
    "committee": (("committee",), ("finance",)),
    "deal_desk": (("deal_desk",), ()),
    "manager": (("manager",), ()),
    "rep": (("rep",), ()),
    "auditor": (("auditor",), ()),
    "no_role": ((), ()),  # signed in, but granted nothing
}

VERSION = "/api/v1/plans/<string:key>/versions/<int:number>"
PLANS_READ = {
    "anonymous": 401,
    "admin": 200,
    "comp_admin": 200,
    "committee": 200,
    "deal_desk": 200,
    "auditor": 200,
    "*": 403,
}
PLANS_EDIT = {"anonymous": 401, "admin": 200, "comp_admin": 200, "*": 403}
PLANS_APPROVE = {"anonymous": 401, "admin": 200, "committee": 200, "*": 403}
# Approval is by committee vote: a direct approval without the votes is a 409.
PLANS_APPROVE_WITHOUT_VOTES = {"anonymous": 401, "admin": 409, "committee": 409, "*": 403}
CHANGES_VOTE = {"anonymous": 401, "admin": 201, "committee": 201, "*": 403}
RULES = "/api/v1/approval-rules"
PLANS_ACTIVATE = {"anonymous": 401, "admin": 200, "comp_admin": 200, "*": 403}
AUDIT_READ = {"anonymous": 401, "admin": 200, "auditor": 200, "*": 403}
RUN_CLOSE = "/api/v1/payout-runs/<int:run_id>"
STATEMENTS_READ_ALL = {
    "anonymous": 401,
    "admin": 200,
    "comp_admin": 200,
    "committee": 200,
    "auditor": 200,
    "*": 403,
}
# Statements: any statements permission lists (reps and managers see their own and their
# team: here, nothing); a statement of someone else is a 404 for them, never a 403.
STATEMENTS_LIST = {"anonymous": 401, "deal_desk": 403, "no_role": 403, "*": 200}
STATEMENT_OF_ANOTHER = {**STATEMENTS_LIST, "rep": 404, "manager": 404}
STATEMENT = "/api/v1/statements/<int:statement_id>"
STATEMENT_PAGE = "/statements/<int:statement_id>"
# Web pages (app/pages): anonymous visitors are sent to the login page.
CHANGE_PAGE = "/committee/changes/<string:key>/<int:number>"
PLANS_PAGE = {**PLANS_READ, "anonymous": 302}
PLANS_SUBMIT_PAGE = {"anonymous": 302, "admin": 303, "comp_admin": 303, "*": 403}
AUDIT_PAGE = {**AUDIT_READ, "anonymous": 302}

DISPUTE = "/api/v1/disputes/<int:dispute_id>"
DISPUTES_LIST = {
    "anonymous": 401,
    "admin": 200,
    "comp_admin": 200,
    "manager": 200,
    "rep": 200,
    "auditor": 200,
    "*": 403,
}
DISPUTES_REVIEW = {"anonymous": 401, "admin": 200, "comp_admin": 200, "*": 403}
DISPUTE_PAGE = "/disputes/<int:dispute_id>"
NEW_DISPUTE_PAGE = "/disputes/lines/<int:line_id>/new"
DISPUTES_PAGE = {**DISPUTES_LIST, "anonymous": 302}
DISPUTES_REVIEW_PAGE = {"anonymous": 302, "admin": 303, "comp_admin": 303, "*": 403}

EXCEPTION = "/api/v1/exceptions/<int:exception_id>"
EXCEPTIONS_READ = {**PLANS_READ, "comp_admin": 200}
EXCEPTIONS_FILE = {"anonymous": 401, "admin": 422, "comp_admin": 422, "deal_desk": 422, "*": 403}

EXCEPTION_PAGE = "/exceptions/<int:exception_id>"
RUN_PAGE = "/payout-runs/<int:run_id>"
RUN_PAGES_READ = {**STATEMENTS_READ_ALL, "anonymous": 302}
RUNS_PAGE_RUN = {"anonymous": 302, "admin": 303, "comp_admin": 303, "*": 403}
EXCEPTION_PAGES_READ = {**EXCEPTIONS_READ, "anonymous": 302}
EXCEPTIONS_FILE_PAGE = {**EXCEPTIONS_FILE, "anonymous": 302}

USER = "/api/v1/users/<int:user_id>"
USER_PAGE = "/admin/users/<int:user_id>"
USERS_MANAGE = {"anonymous": 401, "admin": 200, "*": 403}
USERS_PAGE = {"anonymous": 302, "admin": 200, "*": 403}
USERS_PAGE_POST = {"anonymous": 302, "admin": 303, "*": 403}
WEBHOOK = "/api/v1/webhooks/<int:webhook_id>"
WEBHOOK_PAGE = "/admin/webhooks/<int:webhook_id>"

IMPORTS_PAGE = {"anonymous": 302, "admin": 200, "comp_admin": 200, "*": 403}
DATA_READ = {
    "anonymous": 401,
    "admin": 200,
    "comp_admin": 200,
    "committee": 200,
    "deal_desk": 200,
    "auditor": 200,
    "*": 403,
}

EXPECTED: dict[tuple[str, str], dict[str, int]] = {
    # Public
    ("GET", "/healthz"): {"*": 200},
    # Open in development and tests; a token or 404 in production (tests/api/test_operations.py)
    ("GET", "/metrics"): {"*": 200},
    ("GET", "/api/openapi.json"): {"*": 200},
    ("GET", "/static/<path:filename>"): {"*": 200},
    # Identity pages
    ("GET", "/login"): {"*": 200},
    ("POST", "/login"): {"*": 401},  # REQUESTS sends wrong credentials
    ("POST", "/logout"): {"*": 302},
    ("GET", "/account/password"): {"anonymous": 302, "*": 200},
    ("POST", "/account/password"): {"anonymous": 302, "*": 400},  # wrong current password
    ("GET", "/"): {"anonymous": 302, "*": 200},
    # /api/v1/me
    ("GET", "/api/v1/me"): {"anonymous": 401, "*": 200},
    ("GET", "/api/v1/me/tokens"): {"anonymous": 401, "no_role": 403, "*": 200},
    ("POST", "/api/v1/me/tokens"): {"anonymous": 401, "no_role": 403, "*": 201},
    ("DELETE", "/api/v1/me/tokens/<int:token_id>"): {
        "anonymous": 401,
        "no_role": 403,
        "*": 204,
    },
    # Inbox, notification preferences (one's own) and webhooks (admins)
    ("GET", "/api/v1/me/inbox"): {"anonymous": 401, "*": 200},
    ("GET", "/api/v1/me/notification-preferences"): {"anonymous": 401, "*": 200},
    ("PUT", "/api/v1/me/notification-preferences"): {"anonymous": 401, "*": 200},
    ("GET", "/inbox"): {"anonymous": 302, "*": 200},
    ("POST", "/inbox/preferences"): {"anonymous": 302, "*": 303},
    ("GET", "/api/v1/webhooks"): {"anonymous": 401, "admin": 200, "*": 403},
    ("POST", "/api/v1/webhooks"): {"anonymous": 401, "admin": 201, "*": 403},
    ("DELETE", "/api/v1/webhooks/<int:webhook_id>"): {"anonymous": 401, "admin": 200, "*": 403},
    ("GET", "/api/v1/webhooks/<int:webhook_id>/deliveries"): {
        "anonymous": 401,
        "admin": 200,
        "*": 403,
    },
    ("POST", WEBHOOK + "/enable"): USERS_MANAGE,
    ("POST", WEBHOOK + "/test"): {**USERS_MANAGE, "admin": 202},
    ("GET", "/admin/webhooks"): USERS_PAGE,
    ("GET", "/admin/webhooks/new"): USERS_PAGE,
    ("POST", "/admin/webhooks/new"): {**USERS_PAGE_POST, "admin": 201},
    ("POST", WEBHOOK_PAGE + "/disable"): USERS_PAGE_POST,
    ("POST", WEBHOOK_PAGE + "/enable"): USERS_PAGE_POST,
    ("POST", WEBHOOK_PAGE + "/delete"): USERS_PAGE_POST,
    ("POST", WEBHOOK_PAGE + "/test"): USERS_PAGE_POST,
    # Users (admins, users.manage) and the public page a reset link opens
    ("GET", "/api/v1/users"): USERS_MANAGE,
    ("POST", "/api/v1/users"): {**USERS_MANAGE, "admin": 201},
    ("GET", USER): USERS_MANAGE,
    ("PUT", USER + "/roles"): USERS_MANAGE,
    ("POST", USER + "/deactivate"): USERS_MANAGE,
    ("POST", USER + "/reactivate"): USERS_MANAGE,
    ("POST", USER + "/reset-link"): {**USERS_MANAGE, "admin": 202},
    ("GET", "/admin/users"): USERS_PAGE,
    ("GET", "/admin/users/new"): USERS_PAGE,
    ("POST", "/admin/users/new"): USERS_PAGE_POST,
    ("GET", USER_PAGE): USERS_PAGE,
    ("POST", USER_PAGE + "/roles"): USERS_PAGE_POST,
    ("POST", USER_PAGE + "/deactivate"): USERS_PAGE_POST,
    ("POST", USER_PAGE + "/reactivate"): USERS_PAGE_POST,
    ("POST", USER_PAGE + "/reset-link"): USERS_PAGE_POST,
    ("GET", "/password-reset/<token>"): {"*": 404},  # an unknown link
    ("POST", "/password-reset/<token>"): {"*": 404},
    # Data
    ("POST", "/api/v1/imports"): {"anonymous": 401, "admin": 200, "comp_admin": 200, "*": 403},
    # Imports in the browser (data.import): no file is a 422, a confirm without the digest 409
    ("GET", "/imports"): IMPORTS_PAGE,
    ("POST", "/imports"): {**IMPORTS_PAGE, "admin": 422, "comp_admin": 422},
    ("GET", "/imports/<int:upload_id>"): IMPORTS_PAGE,
    ("POST", "/imports/<int:upload_id>/confirm"): {**IMPORTS_PAGE, "admin": 409, "comp_admin": 409},
    # Deal desk look-ups (data.read; reps and managers: none); filing needs exceptions.file
    ("GET", "/api/v1/deals"): DATA_READ,
    ("GET", "/api/v1/deals/<string:deal_id>"): DATA_READ,
    ("GET", "/api/v1/participants"): DATA_READ,
    ("GET", "/desk"): {**DATA_READ, "anonymous": 302},
    ("GET", "/desk/deals/<deal_id>"): {**DATA_READ, "anonymous": 302},
    ("POST", "/desk/deals/<deal_id>/exceptions"): EXCEPTIONS_FILE_PAGE,
    # Background jobs (another's: its kind's readers only; 404 to the rest, as if none)
    ("GET", "/api/v1/jobs"): {"anonymous": 401, "*": 200},  # one's own
    ("GET", "/api/v1/jobs/<int:job_id>"): {
        "anonymous": 401,
        "admin": 200,
        "comp_admin": 200,
        "*": 404,
    },
    ("GET", "/api/v1/jobs/<int:job_id>/download"): {**STATEMENTS_READ_ALL, "*": 404},
    # Plans
    ("GET", "/api/v1/plans"): PLANS_READ,
    ("POST", "/api/v1/plans"): {"anonymous": 401, "admin": 201, "comp_admin": 201, "*": 403},
    ("GET", "/api/v1/plans/<string:key>"): PLANS_READ,
    ("GET", VERSION): PLANS_READ,
    ("PUT", VERSION): PLANS_EDIT,
    ("GET", VERSION + "/export"): PLANS_READ,
    ("POST", VERSION + "/submit"): PLANS_EDIT,
    ("POST", VERSION + "/approve"): PLANS_APPROVE_WITHOUT_VOTES,
    ("POST", VERSION + "/reject"): PLANS_APPROVE,
    ("POST", VERSION + "/activate"): PLANS_ACTIVATE,
    ("POST", VERSION + "/withdraw"): PLANS_EDIT,
    ("GET", "/api/v1/plans/<string:key>/diff"): PLANS_READ,
    ("GET", "/api/v1/plans/<string:key>/governing"): PLANS_READ,
    # Committee: votes, change-request impact, approval rules
    ("GET", VERSION + "/votes"): PLANS_READ,
    ("POST", VERSION + "/votes"): CHANGES_VOTE,
    ("GET", VERSION + "/impact"): PLANS_READ,
    ("POST", VERSION + "/impact"): {"anonymous": 401, "admin": 202, "committee": 202, "*": 403},
    ("GET", RULES): PLANS_READ,
    ("POST", RULES): {"anonymous": 401, "admin": 201, "comp_admin": 201, "*": 403},
    ("GET", RULES + "/<int:number>"): PLANS_READ,
    ("POST", RULES + "/<int:number>/votes"): CHANGES_VOTE,
    ("POST", RULES + "/<int:number>/withdraw"): PLANS_EDIT,
    # Payout run close (governance/payout_close.py)
    ("GET", RUN_CLOSE + "/tally"): STATEMENTS_READ_ALL,
    ("POST", RUN_CLOSE + "/votes"): CHANGES_VOTE,
    ("POST", RUN_CLOSE + "/lock"): {"anonymous": 401, "admin": 200, "comp_admin": 200, "*": 403},
    ("POST", RUN_CLOSE + "/discard"): {"anonymous": 401, "admin": 200, "comp_admin": 200, "*": 403},
    ("POST", RUN_CLOSE + "/publish"): {"anonymous": 401, "admin": 200, "comp_admin": 200, "*": 403},
    # Payout runs (governance/payout_runs.py): start with payouts.run, read with read_all
    # (202: a build job; its task runs eagerly under TestConfig, TASKS_EAGER)
    ("POST", "/api/v1/payout-runs"): {"anonymous": 401, "admin": 202, "comp_admin": 202, "*": 403},
    ("GET", "/api/v1/payout-runs"): STATEMENTS_READ_ALL,
    ("GET", "/api/v1/payout-runs/jobs"): STATEMENTS_READ_ALL,
    ("GET", "/api/v1/payout-runs/jobs/<int:job_id>"): STATEMENTS_READ_ALL,
    ("GET", RUN_CLOSE): STATEMENTS_READ_ALL,
    ("GET", RUN_CLOSE + "/lines"): STATEMENTS_READ_ALL,
    ("GET", RUN_CLOSE + "/changes"): STATEMENTS_READ_ALL,
    ("GET", RUN_CLOSE + "/figures"): STATEMENTS_READ_ALL,
    ("GET", "/api/v1/payout-runs/finance"): STATEMENTS_READ_ALL,
    # Audit
    ("GET", "/api/v1/audit"): AUDIT_READ,
    ("GET", "/api/v1/audit/export"): AUDIT_READ,
    ("GET", "/api/v1/audit/plan-versions"): AUDIT_READ,
    ("GET", "/api/v1/audit/plan-transitions"): AUDIT_READ,
    ("GET", "/api/v1/audit/plan-diffs"): AUDIT_READ,
    ("GET", "/api/v1/audit/approvals"): AUDIT_READ,
    ("GET", "/api/v1/audit/verify"): AUDIT_READ,
    ("POST", "/api/v1/audit/verify"): AUDIT_READ,  # reads the anchors sent, writes nothing
    ("GET", "/api/v1/audit/anchor"): AUDIT_READ,
    # Statements
    ("GET", "/api/v1/statements"): STATEMENTS_LIST,
    ("GET", "/api/v1/statements/periods"): STATEMENTS_LIST,
    ("GET", "/api/v1/statements/export"): STATEMENTS_LIST,
    ("POST", "/api/v1/statements/exports"): {**STATEMENTS_LIST, "*": 202},
    ("GET", STATEMENT): STATEMENT_OF_ANOTHER,
    ("GET", STATEMENT + "/lines/<int:line_id>"): STATEMENT_OF_ANOTHER,
    ("GET", STATEMENT + "/changes"): STATEMENT_OF_ANOTHER,
    ("GET", "/api/v1/statements/runs/<int:run_id>/payroll"): STATEMENTS_READ_ALL,
    ("GET", "/statements"): {**STATEMENTS_LIST, "anonymous": 302},
    ("GET", STATEMENT_PAGE): {**STATEMENT_OF_ANOTHER, "anonymous": 302},
    ("GET", STATEMENT_PAGE + "/lines/<int:line_id>"): {**STATEMENT_OF_ANOTHER, "anonymous": 302},
    ("GET", STATEMENT_PAGE + "/changes"): {**STATEMENT_OF_ANOTHER, "anonymous": 302},
    # Committee, plan and audit pages
    ("GET", "/committee/changes"): PLANS_PAGE,
    ("GET", CHANGE_PAGE): PLANS_PAGE,
    ("GET", CHANGE_PAGE + "/why/<string:participant>"): PLANS_PAGE,
    ("POST", CHANGE_PAGE + "/vote"): {"anonymous": 302, "admin": 303, "committee": 303, "*": 403},
    ("POST", CHANGE_PAGE + "/impact"): {
        "anonymous": 302,
        "admin": 303,
        "committee": 303,
        "*": 403,
    },
    ("GET", "/committee/approval-rules"): PLANS_PAGE,
    ("POST", "/committee/approval-rules/<int:number>/vote"): {
        "anonymous": 302,
        "admin": 303,
        "committee": 303,
        "*": 403,
    },
    ("GET", "/plans"): PLANS_PAGE,
    ("GET", "/plans/<string:key>"): PLANS_PAGE,
    ("GET", "/plans/<string:key>/<int:number>"): PLANS_PAGE,
    ("POST", "/plans/<string:key>/<int:number>/submit"): PLANS_SUBMIT_PAGE,
    ("GET", "/plans/<string:key>/diff"): PLANS_PAGE,
    # The plan editor (plans.edit) and the approve/activate forms (as the API's)
    ("POST", "/plans/<string:key>/draft"): PLANS_SUBMIT_PAGE,
    ("GET", "/plans/<string:key>/<int:number>/edit"): {**PLANS_EDIT, "anonymous": 302},
    ("POST", "/plans/<string:key>/<int:number>/edit"): {**PLANS_EDIT, "anonymous": 302},
    ("POST", "/plans/<string:key>/<int:number>/check"): {**PLANS_EDIT, "anonymous": 302},
    ("POST", "/plans/<string:key>/<int:number>/approve"): {
        **PLANS_APPROVE_WITHOUT_VOTES,
        "anonymous": 302,
    },
    ("POST", "/plans/<string:key>/<int:number>/activate"): PLANS_SUBMIT_PAGE,
    # One's own plan in words, and acknowledging it: nobody here is assigned to a plan
    ("GET", "/my-plan"): {"anonymous": 302, "*": 200},
    ("POST", "/my-plan/acknowledge"): {"anonymous": 302, "*": 403},
    ("GET", "/api/v1/me/plan-acknowledgements"): {"anonymous": 401, "*": 200},
    ("POST", "/api/v1/me/plan-acknowledgements"): {"anonymous": 401, "*": 403},
    # A pay estimate is a participant's own: nobody here is one
    ("POST", "/api/v1/me/estimate"): {"anonymous": 401, "*": 403},
    ("GET", "/audit"): AUDIT_PAGE,
    ("GET", "/audit/verify"): AUDIT_PAGE,
    # Disputes: a rep is linked to the disputed line's payee, a manager to its manager
    ("GET", "/api/v1/disputes"): DISPUTES_LIST,
    ("POST", "/api/v1/disputes"): {"anonymous": 401, "rep": 201, "admin": 404, "*": 403},
    ("GET", DISPUTE): DISPUTES_LIST,
    ("POST", DISPUTE + "/review"): DISPUTES_REVIEW,
    ("POST", DISPUTE + "/accept"): {"anonymous": 401, "admin": 422, "comp_admin": 422, "*": 403},
    ("POST", DISPUTE + "/reject"): DISPUTES_REVIEW,
    ("POST", DISPUTE + "/comments"): {
        "anonymous": 401,
        "admin": 201,
        "comp_admin": 201,
        "rep": 201,
        "*": 403,
    },
    ("GET", "/disputes"): DISPUTES_PAGE,
    ("GET", DISPUTE_PAGE): DISPUTES_PAGE,
    ("GET", NEW_DISPUTE_PAGE): {"anonymous": 302, "rep": 200, "admin": 404, "*": 403},
    ("POST", NEW_DISPUTE_PAGE): {"anonymous": 302, "rep": 303, "admin": 404, "*": 403},
    ("POST", DISPUTE_PAGE + "/review"): DISPUTES_REVIEW_PAGE,
    ("POST", DISPUTE_PAGE + "/accept"): {
        "anonymous": 302,
        "admin": 422,
        "comp_admin": 422,
        "*": 403,
    },
    ("POST", DISPUTE_PAGE + "/reject"): DISPUTES_REVIEW_PAGE,
    ("POST", DISPUTE_PAGE + "/comment"): {
        "anonymous": 302,
        "admin": 303,
        "comp_admin": 303,
        "rep": 303,
        "*": 403,
    },
    # Exceptions (deal desk): readers are the desk, the committee, comp admins, auditors
    ("GET", "/api/v1/exceptions"): EXCEPTIONS_READ,
    ("POST", "/api/v1/exceptions"): EXCEPTIONS_FILE,  # allowed callers: 422 (no such plan)
    ("GET", EXCEPTION): EXCEPTIONS_READ,
    ("POST", EXCEPTION + "/votes"): {**CHANGES_VOTE, "deal_desk": 201},
    ("POST", EXCEPTION + "/withdraw"): {"anonymous": 401, "admin": 200, "deal_desk": 200, "*": 403},
    # Payout run pages (app/pages/payout_runs.py): read as the API reads, act as it acts
    ("GET", "/payout-runs"): RUN_PAGES_READ,
    ("POST", "/payout-runs"): RUNS_PAGE_RUN,
    ("GET", RUN_PAGE): RUN_PAGES_READ,
    ("GET", "/payout-runs/jobs/<int:job_id>"): RUN_PAGES_READ,  # a failed job: its page
    ("POST", RUN_PAGE + "/vote"): {"anonymous": 302, "admin": 303, "committee": 303, "*": 403},
    ("POST", RUN_PAGE + "/lock"): RUNS_PAGE_RUN,
    ("POST", RUN_PAGE + "/discard"): RUNS_PAGE_RUN,
    ("POST", RUN_PAGE + "/publish"): RUNS_PAGE_RUN,
    ("GET", "/finance"): RUN_PAGES_READ,  # app/pages/finance.py
    # Exception pages
    ("GET", "/exceptions"): EXCEPTION_PAGES_READ,
    ("GET", "/exceptions/new"): {
        **EXCEPTIONS_FILE_PAGE,
        "admin": 200,
        "comp_admin": 200,
        "deal_desk": 200,
    },
    ("POST", "/exceptions/new"): EXCEPTIONS_FILE_PAGE,  # allowed callers: 422 (no such plan)
    ("GET", EXCEPTION_PAGE): EXCEPTION_PAGES_READ,
    ("POST", EXCEPTION_PAGE + "/vote"): {
        "anonymous": 302,
        "admin": 303,
        "committee": 303,
        "deal_desk": 303,
        "*": 403,
    },
    ("POST", EXCEPTION_PAGE + "/withdraw"): {
        "anonymous": 302,
        "admin": 303,
        "deal_desk": 303,
        "*": 403,
    },
}

# API routes anonymous callers may use; every other API route answers them 401.
PUBLIC_API = {("GET", "/api/openapi.json")}
