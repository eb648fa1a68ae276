"""Words for camp statuses.

Message ids (``msg``): pages translate them, the report prints them in Korean and English.
"""

from hilogistics.camps.models import CampStatus
from hilogistics.documents.layout import msg

STATUS_LABELS: dict[CampStatus, str] = {
    CampStatus.OPEN: msg("Camp open"),
    CampStatus.CLOSING: msg("Camp closing"),
    CampStatus.CLOSED: msg("Camp closed"),
}
