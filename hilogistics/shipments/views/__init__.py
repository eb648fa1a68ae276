"""The shipments blueprint: list, shipment page, printing, recall, cancel and close."""

from hilogistics.shipments.views import (  # noqa: F401  (routes register on import)
    actions,
    drafts,
    pages,
    receiving,
)
from hilogistics.shipments.views.blueprint import bp

__all__ = ["bp"]
