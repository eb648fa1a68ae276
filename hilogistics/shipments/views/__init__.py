"""The shipments blueprint: lists, shipment page, drafts and dispatch, receipt, consignments."""

from hilogistics.shipments.views import (  # noqa: F401  (routes register on import)
    actions,
    consignments,
    drafts,
    pages,
    receiving,
)
from hilogistics.shipments.views.blueprint import bp

__all__ = ["bp"]
