"""The shipments blueprint: list, shipment page, printing, recall, cancel and close."""

from hilogistics.shipments.views import actions, drafts, pages  # noqa: F401  (routes register)
from hilogistics.shipments.views.blueprint import bp

__all__ = ["bp"]
