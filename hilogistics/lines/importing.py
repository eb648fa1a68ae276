"""The file import of a form's lines: upload a CSV/XLSX file, preview each row, then the form.

A receipt, a consignment plan and a dispatch draft each describe their import with a
:class:`LinesImport` (columns, how a row becomes a line, where the lines go, the page's words);
:func:`import_page` reads the file and shows every row with its problems, writing nothing;
"put these lines in the form" posts them to the form, where every line is checked again.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from flask import render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from werkzeug.wrappers import Response
from wtforms import SubmitField

from hilogistics.db import db
from hilogistics.forms import Form
from hilogistics.lines.files import (
    EXTENSIONS,
    header_values,
    read_lines_file,
    template_download,
)
from hilogistics.lines.parsing import Column, InputError, Row, check_row
from hilogistics.stock.queries.operations import active_items_by_code

# A preview row: {"row": number, "line": field → text, "item": Item | None, "problems": [...]}
Preview = dict[str, Any]


class PackingListForm(Form):
    """A packing list file (CSV or XLSX) to read into a form's lines."""

    file = FileField(
        _l("Packing list file"),
        validators=[
            FileRequired(_l("Choose a file.")),
            FileAllowed(list(EXTENSIONS), _l("Choose a .csv or .xlsx file.")),
        ],
        description=_l("CSV (UTF-8) or XLSX with the columns of the template."),
        render_kw={"accept": ".csv,.xlsx"},
    )
    submit = SubmitField(_l("Check the file"))


def normalised(text: str, parse: Callable[[str], Any]) -> str:
    """A pasted cell as the form shows it: parsed and written plainly, or as typed if unreadable."""
    try:
        value = parse(text) if text else None
    except InputError:
        return text  # shown as typed, with the field's message
    return "" if value is None else getattr(value, "isoformat", value.__str__)()


@dataclass(frozen=True)
class LinesImport:
    """One form's file import: its columns, how a row becomes a line, where the lines go."""

    columns: tuple[Column, ...]
    line_fields: tuple[str, ...]
    line_from_row: Callable[[Row], dict[str, str]]
    # The line's fields the preview shows after the item, with their headings.
    shown: tuple[tuple[str, str], ...]
    example: tuple[object, ...]
    max_lines: int
    # Endpoints: the form the lines go into, this import page, its template download.
    form_endpoint: str
    import_endpoint: str
    template_endpoint: str
    title: str
    intro: str
    columns_help: str
    # The document's own checks of the previews without a problem: (row number, message).
    check: Callable[[list[Preview]], list[tuple[int, str]]] | None = None


def import_page(spec: LinesImport) -> str:
    """Upload a file, or its preview: each row's line and problems, nothing recorded."""
    form = PackingListForm()
    if form.validate_on_submit():
        upload = form.file.data
        read = read_lines_file(
            upload.read(), upload.filename or "", max_rows=spec.max_lines, columns=spec.columns
        )
        if read.problems and not read.rows:
            form.file.errors = [problem.message for problem in read.problems]
        else:
            previews = _previews(read.rows, read.problems, spec)
            db.session.rollback()  # a preview never writes
            return render_template(
                "lines/import_preview.html",
                spec=spec,
                previews=previews,
                header=header_values(read.rows),
                problem_count=sum(len(p["problems"]) for p in previews),
                form=PackingListForm(formdata=None),
            )
    return render_template("lines/import.html", spec=spec, form=form)


def import_template(spec: LinesImport) -> Response:
    """The file template of ``spec`` (CSV, or XLSX with ``?format=xlsx``), in the reader's words."""
    return template_download(request.args.get("format", "csv"), spec.example, spec.columns)


def _previews(
    rows: Sequence[Row], read_problems: Sequence[Any], spec: LinesImport
) -> list[Preview]:
    problems_of: dict[int, list[str]] = {}
    for problem in read_problems:
        problems_of.setdefault(problem.row, []).append(problem.message)
    for row in rows:
        for problem in check_row(row):
            problems_of.setdefault(row.number, []).append(problem.message)
    items = active_items_by_code(row.get("code") for row in rows if row.get("code"))
    previews: list[Preview] = []
    for row in rows:
        line = spec.line_from_row(row)
        item = items.get(line["item"])
        if line["item"] and item is None:
            problems_of.setdefault(row.number, []).append(_("No active item has this code."))
        previews.append({"row": row.number, "line": line, "item": item})
    if spec.check is not None:
        clean = [p for p in previews if p["item"] is not None and p["row"] not in problems_of]
        for number, message in spec.check(clean):
            problems_of.setdefault(number, []).append(message)
    for preview in previews:
        preview["problems"] = problems_of.get(preview["row"], [])
    return previews
