"""Stock pages, stock operations and grants: one blueprint, split across modules by task."""

from hilogistics.stock.views import grants, lots, operations, pages, printing  # noqa: F401  (routes)
from hilogistics.stock.views.blueprint import bp

__all__ = ["bp"]
