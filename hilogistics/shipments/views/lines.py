"""What the draft and plan forms share: pasted or imported rows as lines, and the file import.

A dispatch draft and a consignment plan both take lines typed, pasted, or imported from a
CSV/XLSX packing list (previewed row by row with its problems, then put into the form, where
every line is checked again). Each passes its own columns, line fields and endpoints.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from flask import render_template, request
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from hilogistics.db import db
from hilogistics.lines.files import header_values, read_lines_file, template_download
from hilogistics.lines.formdata import is_blank, line_values, with_lines
from hilogistics.lines.parsing import Column, InputError, Row, check_row, read_rows
from hilogistics.shipments.forms import FIRST_LINES, MAX_FORM_LINES, MORE_LINES
from hilogistics.stock.forms_operations import PackingListForm
from hilogistics.stock.queries.operations import active_grants, active_items_by_code


def normalised(text: str, parse: Callable[[str], Any]) -> str:
    """A pasted cell as the form shows it: parsed and written plainly, or as typed if unreadable."""
    try:
        value = parse(text) if text else None
    except InputError:
        return text  # shown as typed, with the field's message
    return "" if value is None else getattr(value, "isoformat", value.__str__)()


def grant_choices() -> list[SelectChoice]:
    """The grants a shipment may be charged to: none, or an active one."""
    return [SelectChoice("", _("— none —"))] + [
        SelectChoice(str(g.id), f"{g.code} · {g.donor}") for g in active_grants()
    ]


def add_lines(form: Any) -> None:
    """Ten more blank lines, up to what a form holds."""
    for _number in range(min(MORE_LINES, MAX_FORM_LINES - len(form.lines.entries))):
        form.lines.append_entry()


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


def form_with_lines(lines: list[dict[str, str]], fields: Sequence[str]) -> MultiDict:
    """The posted data with ``lines`` as its lines, room for more, and the paste box emptied."""
    total = min(MAX_FORM_LINES, max(FIRST_LINES, len(lines) + MORE_LINES))
    rebuilt = with_lines(
        MultiDict(request.form), lines, fields=fields, total=max(total, len(lines))
    )
    rebuilt.setlist("paste", [""])
    return rebuilt


@dataclass(frozen=True)
class LinesImport:
    """One form's file import: its columns, how a row becomes a line, where the lines go."""

    columns: tuple[Column, ...]
    line_fields: tuple[str, ...]
    line_from_row: Callable[[Row], dict[str, str]]
    # The line's fields the preview shows after the item, with their headings.
    shown: tuple[tuple[str, str], ...]
    example: tuple[object, ...]
    # Endpoints: the form the lines go into, this import page, its template download.
    form_endpoint: str
    import_endpoint: str
    template_endpoint: str
    title: str
    intro: str
    columns_help: str


def import_page(spec: LinesImport) -> str:
    """Upload a file, or its preview: each row's line and problems, nothing recorded."""
    form = PackingListForm()
    if form.validate_on_submit():
        upload = form.file.data
        read = read_lines_file(
            upload.read(), upload.filename or "", max_rows=MAX_FORM_LINES, columns=spec.columns
        )
        if read.problems and not read.rows:
            form.file.errors = [problem.message for problem in read.problems]
        else:
            previews = _previews(read.rows, read.problems, spec)
            db.session.rollback()  # a preview never writes
            return render_template(
                "shipments/import_preview.html",
                spec=spec,
                previews=previews,
                header=header_values(read.rows),
                problem_count=sum(len(p["problems"]) for p in previews),
                form=PackingListForm(formdata=None),
            )
    return render_template("shipments/import.html", spec=spec, form=form, max_lines=MAX_FORM_LINES)


def import_template(spec: LinesImport) -> Response:
    """The file template of ``spec`` (CSV, or XLSX with ``?format=xlsx``), in the reader's words."""
    return template_download(request.args.get("format", "csv"), spec.example, spec.columns)


def _previews(rows: list[Row], read_problems: list[Any], spec: LinesImport) -> list[dict]:
    problems_of: dict[int, list[str]] = {}
    for problem in read_problems:
        problems_of.setdefault(problem.row, []).append(problem.message)
    for row in rows:
        for problem in check_row(row):
            problems_of.setdefault(row.number, []).append(problem.message)
    items = active_items_by_code(row.get("code") for row in rows if row.get("code"))
    previews = []
    for row in rows:
        line = spec.line_from_row(row)
        item = items.get(line["item"])
        if line["item"] and item is None:
            problems_of.setdefault(row.number, []).append(_("No active item has this code."))
        previews.append(
            {
                "row": row.number,
                "line": line,
                "item": item,
                "problems": problems_of.get(row.number, []),
            }
        )
    return previews
