"""The requisitions blueprint: raise and edit, lists, the page and timeline, review, fulfil."""

from hilogistics.requisitions.views import (  # noqa: F401  (routes register on import)
    actions,
    entry,
    pages,
)
from hilogistics.requisitions.views.blueprint import bp

__all__ = ["bp"]
