"""Imports every model so that the metadata (and Alembic) sees all tables."""

from hubbar.accounts.models import (  # noqa: F401
    LoginAttempt,
    Notification,
    Organisation,
    RoleAssignment,
    User,
)
from hubbar.api.models import ApiToken  # noqa: F401
from hubbar.audit.models import AuditEvent  # noqa: F401
from hubbar.bookings.models import Booking, BookingEvent, BookingSeries, DemandMiss  # noqa: F401
from hubbar.costs.models import Agreement, FollowUp, Headcount  # noqa: F401
from hubbar.hubs.models import (  # noqa: F401
    Closure,
    Desk,
    DeskEquipment,
    Hub,
    OpeningHours,
    OutOfService,
)
from hubbar.mail.models import OutboxMessage  # noqa: F401
from hubbar.pilots.models import (  # noqa: F401
    Criterion,
    CriterionChange,
    Feedback,
    Pilot,
    PilotReport,
)
from hubbar.privacy.models import SiteText  # noqa: F401
