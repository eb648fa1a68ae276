"""Shipment operations: drafts and plans, dispatch, receipt, recall, cancel and close.

Every stock effect goes through ``ledger.post`` with the shipment's document: ``dispatch``
(origin → transit), ``arrival`` (transit → destination), ``transit_loss`` (transit → loss),
``recall`` (transit → origin), and for inbound consignments ``receipt`` (supplier → warehouse,
damaged on arrival supplier → loss). Status changes are guarded one-shot transitions taken
first, so that the shipment's row is the first lock every writer of a shipment waits for;
receipts add to each line with a guarded UPDATE that never passes what was sent. Functions
take keyword arguments and an explicit actor, flush, and never commit.
"""

from hilogistics.shipments.services._common import (
    DraftLine,
    Header,
    LineReceipt,
    after_receipt,
    can_see,
    visible_shipment,
)
from hilogistics.shipments.services.dispatching import dispatch_shipment, recall_shipment
from hilogistics.shipments.services.drafts import (
    MAX_LINES,
    cancel_shipment,
    close_consignment,
    create_dispatch,
    created_once,
    plan_consignment,
    update_draft,
)
from hilogistics.shipments.services.printing import default_document_kind, print_shipment
from hilogistics.shipments.services.receiving import receive_shipment

__all__ = [
    "DraftLine",
    "Header",
    "LineReceipt",
    "MAX_LINES",
    "after_receipt",
    "can_see",
    "cancel_shipment",
    "close_consignment",
    "create_dispatch",
    "created_once",
    "default_document_kind",
    "dispatch_shipment",
    "plan_consignment",
    "print_shipment",
    "recall_shipment",
    "receive_shipment",
    "update_draft",
    "visible_shipment",
]
