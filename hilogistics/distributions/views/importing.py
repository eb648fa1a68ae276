"""A file of lines (CSV or XLSX) previewed row by row, then put into a new distribution.

The catalogue import's pattern: every problem listed by row, nothing written; confirming posts
the rows as lines into the distribution form, where the place and recipient are chosen and
every line is checked again before anything is recorded.
"""

from flask import render_template, request
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from hilogistics.auth.access import allow
from hilogistics.db import db
from hilogistics.distributions.forms import LINE_FIELDS, MAX_FORM_LINES, LinesFileForm
from hilogistics.distributions.views.blueprint import bp
from hilogistics.distributions.views.entry import LINE_COLUMNS, RECORDERS, line_from_row
from hilogistics.exports import download
from hilogistics.lines.files import read_lines_file
from hilogistics.lines.parsing import ReadRows, check_row, headings
from hilogistics.stock.queries.operations import active_items_by_code

EXAMPLE = ("ORT-KNEE-SA", 1, "K2407-03")


def _preview(read: ReadRows) -> list[dict[str, object]]:
    """Each row with its line texts, its item and its problems."""
    problems: dict[int, list[str]] = {}
    for problem in read.problems:
        problems.setdefault(problem.row, []).append(problem.message)
    for row in read.rows:
        for problem in check_row(row):
            problems.setdefault(row.number, []).append(problem.message)
    items = active_items_by_code(row.get("code") for row in read.rows if row.get("code"))
    previews = []
    for row in read.rows:
        line = line_from_row(row)
        item = items.get(line["item"])
        if line["item"] and item is None:
            problems.setdefault(row.number, []).append(_("No active item has this code."))
        found = problems.get(row.number, [])
        previews.append({"row": row.number, "line": line, "item": item, "problems": found})
    return previews


@bp.route("/distributions/import", methods=["GET", "POST"])
@allow(*RECORDERS)
def import_lines() -> str:
    """Read a file of lines and preview them; confirming puts them into a new distribution."""
    form = LinesFileForm()
    if form.validate_on_submit():
        upload = form.file.data
        read = read_lines_file(
            upload.read(), upload.filename or "", max_rows=MAX_FORM_LINES, columns=LINE_COLUMNS
        )
        if read.problems and not read.rows:
            form.file.errors = [problem.message for problem in read.problems]
        else:
            previews = _preview(read)
            db.session.rollback()  # a preview never writes
            return render_template(
                "distributions/import_preview.html",
                previews=previews,
                problem_count=sum(len(p["problems"]) for p in previews),  # type: ignore[misc,arg-type]
                line_fields=LINE_FIELDS,
                form=LinesFileForm(formdata=None),
            )
    return render_template("distributions/import.html", form=form, max_lines=MAX_FORM_LINES)


@bp.get("/distributions/import/template")
@allow(*RECORDERS)
def import_template() -> Response:
    """The template of a file of lines (CSV, or XLSX with ``?format=xlsx``)."""
    fmt = "xlsx" if request.args.get("format") == "xlsx" else "csv"
    return download(fmt, "distribution-lines", headings(LINE_COLUMNS), [list(EXAMPLE)])
