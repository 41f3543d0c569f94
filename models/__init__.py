"""ORM models shared by `app/` (delivery) and `governance/` (workflows).

Plain SQLAlchemy 2.x declarative classes: this package imports neither Flask nor
`rules`. The schema itself is owned by Alembic revisions in `migrations/`; tests
migrate real databases rather than calling `create_all`.
"""

from models.approvals import ApprovalRuleSet, ChangeRequest, Vote
from models.audit import AuditChainHead, AuditRecord
from models.base import Base, metadata
from models.changes import InputChange
from models.deals import Deal, DealEvent, DealSplit, DealTeamMember, DealTouchpoint, FxRate
from models.disputes import Dispute, DisputeEvent
from models.exceptions import PayoutException
from models.identity import ApiToken, PasswordReset, User, UserRole, UserSession
from models.impacts import ImpactResult
from models.imports import ImportUpload
from models.jobs import Job
from models.notifications import (
    DeliveryAttempt,
    NotificationDelivery,
    NotificationEvent,
    NotificationPreference,
    Webhook,
)
from models.payout_builds import (
    PayoutBuild,
    PayoutBuildChange,
    ReplacedLine,
    ReplacedStatement,
)
from models.payout_jobs import PayoutRunJob, PayoutRunJobBatch, PayoutRunJobStaged
from models.payouts import PayoutLine, PayoutRun, Statement
from models.people import Assignment, Participant, Quota
from models.policy import PlanAcknowledgement, PlanTransition, PlanVersion, PolicyPlan

__all__ = [
    "ApiToken",
    "ApprovalRuleSet",
    "Assignment",
    "AuditChainHead",
    "AuditRecord",
    "Base",
    "ChangeRequest",
    "Deal",
    "DealEvent",
    "DealSplit",
    "DealTeamMember",
    "DealTouchpoint",
    "DeliveryAttempt",
    "Dispute",
    "DisputeEvent",
    "FxRate",
    "ImpactResult",
    "ImportUpload",
    "InputChange",
    "Job",
    "NotificationDelivery",
    "NotificationEvent",
    "NotificationPreference",
    "Participant",
    "PasswordReset",
    "PayoutBuild",
    "PayoutBuildChange",
    "ReplacedLine",
    "ReplacedStatement",
    "PayoutException",
    "PayoutLine",
    "PayoutRun",
    "PayoutRunJob",
    "PayoutRunJobBatch",
    "PayoutRunJobStaged",
    "PlanAcknowledgement",
    "PlanTransition",
    "PlanVersion",
    "PolicyPlan",
    "Quota",
    "Statement",
    "User",
    "UserRole",
    "UserSession",
    "Vote",
    "Webhook",
    "metadata",
]
