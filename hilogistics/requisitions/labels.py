"""Words for requisition statuses, line decisions and history steps (message ids, see ``msg``)."""

from hilogistics.documents.layout import msg
from hilogistics.requisitions.models import LineDecision, RequisitionAction, RequisitionStatus

STATUS_LABELS: dict[RequisitionStatus, str] = {
    RequisitionStatus.DRAFT: msg("Draft"),
    RequisitionStatus.SUBMITTED: msg("Awaiting review"),
    RequisitionStatus.APPROVED: msg("Approved, being sent"),
    RequisitionStatus.REJECTED: msg("Rejected"),
    RequisitionStatus.CLOSED: msg("Closed"),
    RequisitionStatus.CANCELLED: msg("Cancelled"),
}

DECISION_LABELS: dict[LineDecision, str] = {
    LineDecision.APPROVED: msg("Approved"),
    LineDecision.REDUCED: msg("Approved in part"),
    LineDecision.REJECTED: msg("Rejected"),
}

ACTION_LABELS: dict[RequisitionAction, str] = {
    RequisitionAction.CREATED: msg("Raised"),
    RequisitionAction.EDITED: msg("Edited"),
    RequisitionAction.SUBMITTED: msg("Submitted"),
    RequisitionAction.REVIEWED: msg("Reviewed"),
    RequisitionAction.SHIPMENT: msg("Shipment drafted"),
    RequisitionAction.BACKORDER_CANCELLED: msg("Backorder cancelled"),
    RequisitionAction.CANCELLED: msg("Cancelled"),
    RequisitionAction.CLOSED: msg("Closed"),
}

LABELS = {
    "status_labels": STATUS_LABELS,
    "decision_labels": DECISION_LABELS,
    "action_labels": ACTION_LABELS,
}
