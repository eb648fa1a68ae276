"""Stock pages, stock operations and grants: one blueprint, split across modules by task."""

from hilogistics.stock.views import (  # noqa: F401  (routes)
    attention,
    grants,
    lots,
    operations,
    pages,
    printing,
)
from hilogistics.stock.views.blueprint import bp

__all__ = ["bp"]
