"""The distributions blueprint: record and correct, lists, slip page, printing, traceability."""

from hilogistics.distributions.views import (  # noqa: F401  (routes register on import)
    actions,
    entry,
    importing,
    pages,
    preprinted,
    summary,
    tracing,
)
from hilogistics.distributions.views.blueprint import bp

__all__ = ["bp"]
