"""What the draft and plan forms share: their buttons, pasted or imported rows as lines, grants.

A dispatch draft and a consignment plan both take lines typed, pasted, or imported from a
CSV/XLSX file (hilogistics.lines.importing), check every line in one pass, and save through a
service whose ``lines-N-<field>`` names count only the filled lines.
"""

from collections.abc import Callable, Sequence
from typing import Any

from flask import request, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from hilogistics.auth.access import STAFF, allow
from hilogistics.lines import entry
from hilogistics.lines.entry import Checked, Sizes, edit_form, form_field, lines_page
from hilogistics.lines.importing import LinesImport, import_page, import_template
from hilogistics.lines.parsing import Column, Row
from hilogistics.shipments.forms import FIRST_LINES, MAX_FORM_LINES, MORE_LINES
from hilogistics.shipments.models import Shipment
from hilogistics.shipments.views.blueprint import bp
from hilogistics.stock.queries.operations import active_grants

__all__ = [
    "Checked",
    "edit_form",
    "form_data",
    "form_field",
    "form_with_lines",
    "grant_choices",
    "handle_lines",
    "import_routes",
    "lines_page",
    "pasted_lines",
]


def grant_choices() -> list[SelectChoice]:
    """The grants a shipment may be charged to: none, or an active one."""
    return [SelectChoice("", _("— none —"))] + [
        SelectChoice(str(g.id), f"{g.code} · {g.donor}") for g in active_grants()
    ]


SIZES = Sizes(first=FIRST_LINES, more=MORE_LINES, most=MAX_FORM_LINES)


def pasted_lines(
    form: Any,
    fields: Sequence[str],
    columns: Sequence[Column],
    line_from_row: Callable[[Row], dict[str, str]],
) -> list[dict[str, str]] | None:
    """The posted lines, then the pasted rows (when pasting); None with the paste box's error."""
    return entry.pasted_lines(form, fields, columns, line_from_row, SIZES)


def form_data(data: MultiDict, lines: list[dict[str, str]], fields: Sequence[str]) -> MultiDict:
    """``data`` with ``lines`` as its lines, room for more, and the paste box emptied."""
    return entry.form_data(data, lines, fields, SIZES)


def form_with_lines(lines: list[dict[str, str]], fields: Sequence[str]) -> MultiDict:
    """The posted data with ``lines`` as its lines (pasted or imported rows added)."""
    return form_data(MultiDict(request.form), lines, fields)


def handle_lines(
    form: Any,
    *,
    check: Callable[..., Checked],
    with_pasted: Callable[[Any], Any],
    save: Callable[[list[Any]], Shipment],
    message: str,
) -> Response | Any:
    """A shipment lines form's buttons (hilogistics.lines.entry); a save opens the shipment."""

    def page(shipment: Shipment) -> str:
        return url_for("shipments.page", shipment_id=shipment.id)

    return entry.handle_lines(
        form,
        check=check,
        with_pasted=with_pasted,
        save=save,
        message=message,
        page=page,
        sizes=SIZES,
    )


def import_routes(spec: LinesImport, url: str, doc: str) -> None:
    """Register ``spec``'s import page at ``url`` and its template at ``url/template`` (staff)."""

    def page() -> str:
        return import_page(spec)

    def template() -> Response:
        return import_template(spec)

    page.__doc__ = doc
    template.__doc__ = _TEMPLATE_DOC
    bp.add_url_rule(
        url,
        endpoint=spec.import_endpoint.split(".")[-1],
        view_func=allow(STAFF)(page),
        methods=["GET", "POST"],
    )
    bp.add_url_rule(
        url + "/template",
        endpoint=spec.template_endpoint.split(".")[-1],
        view_func=allow(STAFF)(template),
    )


_TEMPLATE_DOC = "The file template (CSV, or XLSX with ``?format=xlsx``) in the reader's language."
