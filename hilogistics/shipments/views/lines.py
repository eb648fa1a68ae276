"""What the draft and plan forms share: their buttons, pasted or imported rows as lines, grants.

A dispatch draft and a consignment plan both take lines typed, pasted, or imported from a
CSV/XLSX file (hilogistics.lines.importing), check every line in one pass, and save through a
service whose ``lines-N-<field>`` names count only the filled lines.
"""

import re
from collections.abc import Callable, Sequence
from typing import Any

from flask import request, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from hilogistics.auth.access import STAFF, allow
from hilogistics.errors import DomainError
from hilogistics.forms import attach_error
from hilogistics.lines.formdata import is_blank, line_values, with_lines
from hilogistics.lines.importing import LinesImport, import_page, import_template
from hilogistics.lines.parsing import Column, Row, read_rows
from hilogistics.shipments.forms import FIRST_LINES, MAX_FORM_LINES, MORE_LINES
from hilogistics.shipments.models import Shipment
from hilogistics.shipments.views.blueprint import bp
from hilogistics.stock.queries.operations import active_grants
from hilogistics.views_support import submit

_SERVICE_LINE_FIELD = re.compile(r"^lines-(\d+)-(\w+)$")
# What a view's check of its form gives: (the service's lines, their positions, any error).
Checked = tuple[list[Any], list[int], bool]


def grant_choices() -> list[SelectChoice]:
    """The grants a shipment may be charged to: none, or an active one."""
    return [SelectChoice("", _("— none —"))] + [
        SelectChoice(str(g.id), f"{g.code} · {g.donor}") for g in active_grants()
    ]


def form_field(name: str | None, positions: list[int]) -> str | None:
    """Point a service's ``lines-<n>-<field>`` (n counts the lines given) at the form's line."""
    match = _SERVICE_LINE_FIELD.match(name or "")
    if match is None:
        return name
    index = int(match[1])
    return f"lines-{positions[index]}-{match[2]}" if index < len(positions) else None


def pasted_lines(
    form: Any,
    fields: Sequence[str],
    columns: Sequence[Column],
    line_from_row: Callable[[Row], dict[str, str]],
) -> list[dict[str, str]] | None:
    """The posted lines, then the pasted rows (when pasting); None with the paste box's error."""
    lines = [line for line in line_values(MultiDict(request.form), fields) if not is_blank(line)]
    if form.show_paste.data:
        if not form.paste.validate(form):
            return None
        read = read_rows(form.paste.data or "", columns)
        if not read.rows:
            form.paste.errors.append(_("Paste rows copied from a spreadsheet first."))
            return None
        lines += [line_from_row(row) for row in read.rows]
    if len(lines) > MAX_FORM_LINES:
        form.paste.errors.append(_("At most %(n)d lines.", n=MAX_FORM_LINES))
        return None
    return lines


def form_data(data: MultiDict, lines: list[dict[str, str]], fields: Sequence[str]) -> MultiDict:
    """``data`` with ``lines`` as its lines, room for more, and the paste box emptied."""
    total = min(MAX_FORM_LINES, max(FIRST_LINES, len(lines) + MORE_LINES))
    rebuilt = with_lines(data, lines, fields=fields, total=max(total, len(lines)))
    rebuilt.setlist("paste", [""])
    return rebuilt


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
    """A lines form's buttons: add lines, show pasted or imported rows, or check and save.

    Returns the response of a save, or the form to show again with every problem on it.
    """
    if form.add_lines.data:
        for _number in range(min(MORE_LINES, MAX_FORM_LINES - len(form.lines.entries))):
            form.lines.append_entry()
        return form
    if form.show_paste.data or form.show_lines.data:
        return with_pasted(form)
    lines, positions, failed = check(form, whole_form=True)
    if failed:
        return form

    def show(error: DomainError) -> None:
        error.field = form_field(error.field, positions)
        attach_error(form, error)

    def page(shipment: Shipment) -> str:
        return url_for("shipments.page", shipment_id=shipment.id)

    response = submit(form, lambda: save(lines), message, page, show_error=show)
    return response if response is not None else form


def lines_page(
    form: Any, handle: Callable[[Any], Response | Any], show: Callable[[Any], str]
) -> Response | str:
    """A lines form's request: its buttons handled when posted, else (or then) the page."""
    if form.is_submitted():
        answer = handle(form)
        if isinstance(answer, Response):
            return answer
        form = answer
    return show(form)


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


def edit_form(
    form_class: type, shipment: Shipment, data_of: Callable[[Shipment], MultiDict]
) -> Any:
    """The form as posted, or (to start editing) as the saved shipment fills it."""
    if request.method == "POST":
        return form_class()
    return form_class(formdata=data_of(shipment))
