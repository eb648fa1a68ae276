"""The first steps of checking a form's lines, shared by every document with lines.

A view calls :func:`validate_lines` (the form's own checks: the whole form, or only its filled
lines when it is only shown again), then :func:`resolve_items` (every typed item code in one
query, an unknown code marked on its line), and builds its service's lines from the result.
"""

from typing import Any

from flask_babel import gettext as _

from hilogistics.catalogue.models import Item
from hilogistics.stock.queries.operations import active_items_by_code


def validate_lines(form: Any, *, whole_form: bool) -> None:
    """Run the form's checks: all of it, or only its filled lines (``filled_lines()``)."""
    if whole_form:
        form.validate()
    else:
        for _index, line in form.filled_lines():
            line.validate()


def resolve_items(filled: list[tuple[int, Any]]) -> dict[str, Item]:
    """Active items by upper-case code for the lines' ``item`` fields, in one query.

    A line whose code names no active item gets that error on its item field, unless the
    field has an error already.
    """
    items = active_items_by_code(line.item.data for _index, line in filled if line.item.data)
    for _index, line in filled:
        code = line.item.data
        if code and not line.item.errors and code.upper() not in items:
            line.item.errors.append(_("No active item has this code."))
    return items
