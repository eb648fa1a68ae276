"""Words shown for shipment statuses, directions and history steps (translated lazily)."""

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from hilogistics.shipments.models import ShipmentAction, ShipmentDirection, ShipmentStatus

STATUS_LABELS: dict[ShipmentStatus, LazyString] = {
    ShipmentStatus.DRAFT: _l("Draft"),
    ShipmentStatus.DISPATCHED: _l("Dispatched"),
    ShipmentStatus.PARTLY_RECEIVED: _l("Partly received"),
    ShipmentStatus.RECEIVED: _l("Received"),
    ShipmentStatus.RECALLED: _l("Recalled"),
    ShipmentStatus.CANCELLED: _l("Cancelled"),
    ShipmentStatus.CLOSED: _l("Closed"),
}

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
