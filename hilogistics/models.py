"""Every domain's models, imported in one place so Alembic autogenerate sees all tables."""

from hilogistics.auth.models import LoginThrottle, User
from hilogistics.camps.models import Camp
from hilogistics.catalogue.models import Category, Item, Unit
from hilogistics.counts.models import StockCount, StockCountLine
from hilogistics.distributions.models import (
    Distribution,
    DistributionEvent,
    DistributionLine,
    PreprintedSlip,
)
from hilogistics.history.models import ChangeRecord
from hilogistics.locations.models import Location, Province
from hilogistics.registry.models import Document, DocumentCounter, DocumentPrint
from hilogistics.reports.distribution_months import DistributionMonth
from hilogistics.reports.stockout_spans import StockOutSpan
from hilogistics.requisitions.models import Requisition, RequisitionEvent, RequisitionLine
from hilogistics.shipments.models import Shipment, ShipmentEvent, ShipmentLine
from hilogistics.stock.models import (
    AdjustmentReason,
    Balance,
    Grant,
    ItemBalance,
    Lot,
    Movement,
    ReorderLevel,
    Reservation,
    StockSummary,
    StockTransaction,
)

__all__ = [
    "AdjustmentReason",
    "Balance",
    "Camp",
    "Category",
    "ChangeRecord",
    "Distribution",
    "DistributionEvent",
    "DistributionLine",
    "DistributionMonth",
    "Document",
    "DocumentCounter",
    "DocumentPrint",
    "Grant",
    "Item",
    "ItemBalance",
    "Location",
    "LoginThrottle",
    "Lot",
    "Movement",
    "PreprintedSlip",
    "Province",
    "ReorderLevel",
    "Requisition",
    "RequisitionEvent",
    "RequisitionLine",
    "Shipment",
    "ShipmentEvent",
    "ShipmentLine",
    "Reservation",
    "StockSummary",
    "StockCount",
    "StockCountLine",
    "StockOutSpan",
    "StockTransaction",
    "Unit",
    "User",
]
