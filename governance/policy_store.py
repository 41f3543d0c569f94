"""The versioned policy store: plan versions, their lifecycle, and which version governs when.

draft -> submitted -> approved -> active -> superseded; submitted -> rejected; draft,
submitted or approved -> withdrawn (the diagram and the guarantees: docs/governance.md).

This module is the store's public face: callers import from here. The code lives in
- governance/policy_errors.py    the refusals (PolicyError and its kinds), `require`
- governance/policy_lookup.py    reading: plans, versions, `version_governing`, YAML export
- governance/policy_checks.py    the gates: `SUBMISSION_CHECKS` (lint, embedded tests; the
                                 impact simulation is then stored with the change request by
                                 `change_requests.attach_review`), who may record an approval
                                 (committee votes, `governance.votes`), effective dates
                                 inside locked payout periods
- governance/policy_lifecycle.py one function per transition, each audited
"""

from __future__ import annotations

from governance.policy_checks import SUBMISSION_CHECKS
from governance.policy_errors import (
    Conflict,
    DocumentRejected,
    InvalidTransition,
    NotAllowed,
    NotFound,
    PolicyError,
    StaleEdit,
)
from governance.policy_lifecycle import (
    activate,
    approve,
    create_draft,
    reject,
    submit,
    update_draft,
    withdraw,
)
from governance.policy_lookup import (
    OBJECT_TYPE,
    export_yaml,
    get_plan,
    get_version,
    list_plans,
    parse_document,
    plan_of,
    version_governing,
)

__all__ = [
    "OBJECT_TYPE",
    "SUBMISSION_CHECKS",
    "Conflict",
    "DocumentRejected",
    "InvalidTransition",
    "NotAllowed",
    "NotFound",
    "PolicyError",
    "StaleEdit",
    "activate",
    "approve",
    "create_draft",
    "export_yaml",
    "get_plan",
    "get_version",
    "list_plans",
    "parse_document",
    "plan_of",
    "reject",
    "submit",
    "update_draft",
    "version_governing",
    "withdraw",
]
