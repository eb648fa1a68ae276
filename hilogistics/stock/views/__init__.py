"""Stock pages, stock operations and grants: one blueprint, split across modules by task."""

from hilogistics.stock.views import grants, operations, pages  # noqa: F401  (they add the routes)
from hilogistics.stock.views.blueprint import bp

__all__ = ["bp"]
