"""The request side of the line-entry pattern, for any document with lines.

A lines form has the buttons *add lines*, *show the pasted rows as lines*, *put the previewed
file's lines in the form* and *save*. :func:`handle_lines` answers them: pasted or imported
rows are shown as lines to check (nothing saved), and saving checks every line in one pass and
calls one service through ``views_support.submit``, whose ``lines-N-<field>`` names count only
the filled lines (:func:`form_field` points them back at the form's lines). Each document
passes its own sizes (first lines shown, how many more a click adds, the most a form holds).
"""

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from flask import request
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from hilogistics.errors import DomainError
from hilogistics.forms import attach_error
from hilogistics.lines.formdata import is_blank, line_values, with_lines
from hilogistics.lines.parsing import Column, Row, read_rows
from hilogistics.views_support import submit

_SERVICE_LINE_FIELD = re.compile(r"^lines-(\d+)-(\w+)$")
# What a view's check of its form gives: (the service's lines, their positions, any error).
Checked = tuple[list[Any], list[int], bool]


@dataclass(frozen=True)
class Sizes:
    """How many lines a form shows first, adds per click, and holds at most."""

    first: int
    more: int
    most: int


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
    sizes: Sizes,
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
    if len(lines) > sizes.most:
        form.paste.errors.append(_("At most %(n)d lines.", n=sizes.most))
        return None
    return lines


def form_data(
    data: MultiDict, lines: list[dict[str, str]], fields: Sequence[str], sizes: Sizes
) -> MultiDict:
    """``data`` with ``lines`` as its lines, room for more, and the paste box emptied."""
    total = min(sizes.most, max(sizes.first, len(lines) + sizes.more))
    rebuilt = with_lines(data, lines, fields=fields, total=max(total, len(lines)))
    rebuilt.setlist("paste", [""])
    return rebuilt


def handle_lines(
    form: Any,
    *,
    check: Callable[..., Checked],
    with_pasted: Callable[[Any], Any],
    save: Callable[[list[Any]], Any],
    message: str,
    page: Callable[[Any], str],
    sizes: Sizes,
) -> Response | Any:
    """A lines form's buttons: add lines, show pasted or imported rows, or check and save.

    Returns the response of a save (a redirect to ``page(result)``), or the form to show
    again with every problem on it.
    """
    if form.add_lines.data:
        for _number in range(min(sizes.more, sizes.most - len(form.lines.entries))):
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


def edit_form(form_class: type, document: Any, data_of: Callable[[Any], MultiDict]) -> Any:
    """The form as posted, or (to start editing) as the saved document fills it."""
    if request.method == "POST":
        return form_class()
    return form_class(formdata=data_of(document))


def short_suggestion(code: str, available: int, wanted: int) -> str:
    """Said on a line whose suggested lots cover less than was asked (never a silent cut)."""
    return _(
        "Only %(n)d of %(item)s available here, %(wanted)d asked: the suggested lots take "
        "%(n)d. Check the quantity.",
        n=available,
        item=code,
        wanted=wanted,
    )
