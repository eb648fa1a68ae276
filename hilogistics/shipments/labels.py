"""Words shown for shipment statuses, directions and history steps (translated lazily)."""

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from hilogistics.shipments.models import (
    Shipment,
    ShipmentAction,
    ShipmentDirection,
    ShipmentStatus,
)

# An inbound consignment's draft is its plan: the goods are awaited, nothing is being written.
EXPECTED_LABEL = _l("Expected")


class ShipmentStatusLabels(dict[ShipmentStatus, LazyString]):
    """The status words, and the word a given shipment shows (`of`)."""

    def of(self, shipment: Shipment, status: ShipmentStatus | None = None) -> LazyString:
        """The word for this shipment's status (or for ``status``, a past one of it)."""
        status = status or shipment.status
        if status is ShipmentStatus.DRAFT and shipment.is_inbound:
            return EXPECTED_LABEL
        return self[status]


STATUS_LABELS = ShipmentStatusLabels(
    {
        ShipmentStatus.DRAFT: _l("Draft"),
        ShipmentStatus.DISPATCHED: _l("Dispatched"),
        ShipmentStatus.PARTLY_RECEIVED: _l("Partly received"),
        ShipmentStatus.RECEIVED: _l("Received"),
        ShipmentStatus.RECALLED: _l("Recalled"),
        ShipmentStatus.CANCELLED: _l("Cancelled"),
        ShipmentStatus.CLOSED: _l("Closed"),
    }
)

DIRECTION_LABELS: dict[ShipmentDirection, LazyString] = {
    ShipmentDirection.INBOUND: _l("Inbound consignment"),
    ShipmentDirection.OUTBOUND: _l("Outbound dispatch"),
}

ACTION_LABELS: dict[ShipmentAction, LazyString] = {
    ShipmentAction.CREATED: _l("Created"),
    ShipmentAction.EDITED: _l("Edited"),
    ShipmentAction.DISPATCHED: _l("Dispatched"),
    ShipmentAction.RECEIVED: _l("Received"),
    ShipmentAction.RECALLED: _l("Recalled"),
    ShipmentAction.CANCELLED: _l("Cancelled"),
    ShipmentAction.CLOSED: _l("Closed"),
}

DOCUMENT_LABELS: dict[str, LazyString] = {
    "waybill": _l("Waybill"),
    "picking-list": _l("Picking list"),
    "goods-received": _l("Goods-received note"),
}
