"""Stock pages views."""

from hilogistics.stock.views.blueprint import bp  # noqa: F401
