"""The shipments blueprint: list, shipment page, printing, recall, cancel and close."""

from hilogistics.shipments.views import actions, pages  # noqa: F401  (routes register on import)
from hilogistics.shipments.views.blueprint import bp

__all__ = ["bp"]
