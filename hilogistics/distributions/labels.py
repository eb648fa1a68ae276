"""Words for recipient types, services, sides, statuses and history steps.

They are message ids (marked with ``msg``): pages translate them with ``_()``, printed slips
print them in Korean and English with ``both()``.
"""

from hilogistics.distributions.models import (
    DistributionAction,
    DistributionStatus,
    FittingService,
    PreprintedStatus,
    RecipientType,
    Side,
)
from hilogistics.documents.layout import msg

RECIPIENT_LABELS: dict[RecipientType, str] = {
    RecipientType.PATIENT: msg("Patient fitting"),
    RecipientType.CLASS: msg("Class or school"),
    RecipientType.CAMP_SESSION: msg("Camp session"),
    RecipientType.OTHER: msg("Other recipient"),
    RecipientType.WORKSHOP: msg("Workshop use"),
}

SERVICE_LABELS: dict[FittingService, str] = {
    FittingService.NEW: msg("New fitting"),
    FittingService.REPAIR: msg("Repair"),
    FittingService.REPLACEMENT: msg("Replacement"),
}

SIDE_LABELS: dict[Side, str] = {
    Side.LEFT: msg("Left"),
    Side.RIGHT: msg("Right"),
    Side.BILATERAL: msg("Bilateral"),
    Side.NOT_APPLICABLE: msg("Not applicable"),
}

STATUS_LABELS: dict[DistributionStatus, str] = {
    DistributionStatus.ISSUED: msg("Slip not returned yet"),
    DistributionStatus.RETURNED: msg("Signed and returned"),
}

ACTION_LABELS: dict[DistributionAction, str] = {
    DistributionAction.RECORDED: msg("Recorded"),
    DistributionAction.RETURNED: msg("Signed slip returned"),
    DistributionAction.CORRECTED: msg("Corrected from the paper"),
}

HEADCOUNT_LABELS: dict[str, str] = {
    "girls": msg("Girls (0–17)"),
    "boys": msg("Boys (0–17)"),
    "women": msg("Women (18–59)"),
    "men": msg("Men (18–59)"),
    "older_women": msg("Women (60 and over)"),
    "older_men": msg("Men (60 and over)"),
}

PREPRINTED_LABELS: dict[PreprintedStatus, str] = {
    PreprintedStatus.RESERVED: msg("Printed blank, not keyed yet"),
    PreprintedStatus.USED: msg("Keyed"),
    PreprintedStatus.VOIDED: msg("Voided"),
}
