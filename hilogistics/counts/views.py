"""Count pages: the list, opening a count, its page, keyed entry, recounts, post, abandon, print.

Keying uses the line-entry pattern of hilogistics.lines: the sheet's lots not counted yet are
offered as lines (the lot named by id), blank lines follow for lots found; every problem of
every line is shown at once; pasted rows and a previewed file become lines to check; a blank
lot and expiry can be repeated from the line above. The count page is the registered page of
``CNT`` documents, so ``/d/CNT-2026-00007`` opens it; technicians see only their place's.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from hilogistics.auth.access import ALL_ROLES, STAFF, acting_user, allow
from hilogistics.auth.models import Role, User
from hilogistics.catalogue.models import Item
from hilogistics.catalogue.queries import categories_query, category_tree
from hilogistics.counts import queries, services
from hilogistics.counts.forms import (
    LINE_FIELDS,
    MAX_FORM_LINES,
    MORE_LINES,
    SHEET_BATCH,
    AbandonCountForm,
    CountFilterForm,
    CountLinesForm,
    OpenCountForm,
    PostCountForm,
    PrintSheetForm,
    RecountForm,
)
from hilogistics.counts.labels import STATUS_LABELS
from hilogistics.counts.models import CountStatus, StockCount, StockCountLine
from hilogistics.db import db
from hilogistics.errors import DomainError, NotFoundError
from hilogistics.forms import attach_error
from hilogistics.i18n import current_locale
from hilogistics.inputs import bounded_int
from hilogistics.lines.checking import validate_lines
from hilogistics.lines.files import read_lines_file
from hilogistics.lines.formdata import carry_down, is_blank, line_values, with_lines
from hilogistics.lines.parsing import (
    RECEIPT_COLUMNS,
    Column,
    InputError,
    Row,
    parse_date,
    parse_quantity,
    read_rows,
)
from hilogistics.lines.problems import LineProblems
from hilogistics.locations.queries import physical_locations_query, visible_locations_query
from hilogistics.registry.models import DocumentType
from hilogistics.stock.models import Lot
from hilogistics.stock.views.printing import pdf_response, printing, strict_glyphs
from hilogistics.views_support import check_ids, page_args, register_record_page, submit

bp = Blueprint("counts", __name__)

COUNTERS = frozenset({Role.ADMIN, Role.LOGISTICS, Role.TECHNICIAN})
# Pasted or imported rows of a count: item code, lot code, expiry, counted (any language).
COUNT_COLUMNS = (
    *(c for c in RECEIPT_COLUMNS if c.key in ("code", "lot", "expiry")),
    Column("counted", _l("Counted"), ("count", "counted quantity", "quantity", "qty", "수량")),
)
_LINE_FIELD = re.compile(r"^lines-(\d+)-(\w+)$")


def _page_url(count: StockCount | int) -> str:
    count_id = count if isinstance(count, int) else count.id
    return url_for("counts.page", count_id=count_id)


def loaded_count(count_id: int) -> StockCount:
    """The count with its lines, or a 404 when the reader may not see it."""
    check_ids(count_id)
    count = queries.count_with_lines(count_id)
    if count is None or not services.can_see(acting_user(), count):
        raise NotFoundError(_("No such count."))
    return count


@dataclass(frozen=True)
class Actions:
    """What the reader may do with a count now."""

    enter: bool
    recount: bool
    post: bool
    abandon: bool


def actions_for(user: User, count: StockCount) -> Actions:
    """The actions ``user`` may take on ``count`` in its present state."""
    is_open = count.status is CountStatus.OPEN
    counter = user.role in STAFF or (
        user.role is Role.TECHNICIAN and user.location_id == count.location_id
    )
    waiting = any(line.awaiting_recount for line in count.lines)
    return Actions(
        enter=is_open and counter,
        recount=is_open and counter and waiting,
        post=is_open and user.role in STAFF and bool(count.lines),
        abandon=is_open and counter,
    )


@bp.get("/counts")
@allow(ALL_ROLES)
def index() -> str:
    """Counts the reader may see, newest first, by status, a page at a time."""
    form = CountFilterForm(request.args)
    form.validate_or_default()
    status = CountStatus(form.status.data) if form.status.data else None
    page_number, per_page = page_args()
    page = db.paginate(
        queries.counts_query(acting_user(), status),
        page=page_number,
        per_page=per_page,
        error_out=False,
    )
    return render_template("counts/index.html", form=form, page=page, status_labels=STATUS_LABELS)


def _fill_open_choices(form: OpenCountForm, user: User) -> None:
    locale = current_locale()
    places = db.session.scalars(
        visible_locations_query(user)
        if user.role is Role.TECHNICIAN
        else physical_locations_query(active_only=True)
    ).all()
    form.location_id.choices = [SelectChoice("", _("— choose a place —"))] + [
        SelectChoice(str(place.id), place.display_name(locale)) for place in places
    ]
    if request.method == "GET" and len(places) == 1:
        form.location_id.data = places[0].id
    tree = category_tree(list(db.session.scalars(categories_query())))
    form.category_ids.choices = [
        SelectChoice(
            str(category.id),
            ("— " if category.parent_id else "") + category.display_name(locale),
        )
        for category in tree
    ]


@bp.route("/counts/new", methods=["GET", "POST"])
@allow(COUNTERS)
def new() -> Response | str:
    """Open a count of a place (technicians: their own), whole or by category."""
    user = acting_user()
    form = OpenCountForm()
    _fill_open_choices(form, user)
    if request.method == "GET":
        form.recount_quantity.data = current_app.config["COUNT_RECOUNT_QUANTITY"]
        form.recount_percent.data = current_app.config["COUNT_RECOUNT_PERCENT"]
    if form.validate_on_submit():
        response = submit(
            form,
            lambda: services.open_count(
                actor=user,
                location_id=form.location_id.data,
                category_ids=[i for i in form.category_ids.data or [] if i is not None],
                note=form.note.data or "",
                recount_quantity=form.recount_quantity.data,
                recount_percent=form.recount_percent.data,
            ),
            lambda count: _("Count %(number)s opened.", number=count.number),
            lambda count: _page_url(count),
        )
        if response is not None:
            return response
    return render_template("counts/new.html", form=form)


@bp.get("/counts/<int:count_id>")
@allow(ALL_ROLES)
def page(count_id: int) -> str:
    """One count: its scope, people, lines with their differences, actions and sheet."""
    count = loaded_count(count_id)
    uncounted = _uncounted_rows(count)
    lines = count.lines
    return render_template(
        "counts/page.html",
        count=count,
        actions=actions_for(acting_user(), count),
        uncounted=len(uncounted),
        found=sum(line.difference for line in lines if line.difference > 0),
        missing=-sum(line.difference for line in lines if line.difference < 0),
        waiting=sum(1 for line in lines if line.awaiting_recount),
        print_form=PrintSheetForm(),
        status_labels=STATUS_LABELS,
    )


def _uncounted_rows(count: StockCount) -> list[queries.SheetRow]:
    counted = {(line.item_id, line.lot_key) for line in count.lines}
    return [
        row for row in queries.sheet_rows(count) if (row.item.id, str(row.lot.id)) not in counted
    ]


# --- keyed entry -------------------------------------------------------------------------


def _sheet_lines(count: StockCount) -> list[dict[str, str]]:
    """The sheet's lots not counted yet, as lines to fill in (a batch at a time)."""
    return [
        {
            "item": row.item.code,
            "lot_code": row.lot.serial or row.lot.code,
            "expires_on": row.lot.expires_on.isoformat() if row.lot.expires_on else "",
            "counted": "",
            "lot_id": str(row.lot.id),
        }
        for row in _uncounted_rows(count)[:SHEET_BATCH]
    ]


def _rebuilt(data: MultiDict, lines: list[dict[str, str]]) -> CountLinesForm:
    total = min(MAX_FORM_LINES, max(len(lines) + MORE_LINES, MORE_LINES))
    rebuilt = with_lines(data, lines, fields=LINE_FIELDS, total=max(total, len(lines)))
    rebuilt.setlist("paste", [""])
    return CountLinesForm(formdata=rebuilt)


def _posted_lines(data: MultiDict) -> list[dict[str, str]]:
    return [line for line in line_values(data, LINE_FIELDS) if not _unused(line)]


def _unused(line: dict[str, str]) -> bool:
    """A line with nothing typed, or a sheet lot left blank (kept: it is still to count)."""
    return is_blank({k: v for k, v in line.items() if k != "lot_id"}) and not line.get("lot_id")


def _line_from_row(row: Row) -> dict[str, str]:
    def normal(text: str, parse: Callable[[str], object]) -> str:
        try:
            value = parse(text) if text else None
        except InputError:
            return text  # shown as typed, with the field's message
        return "" if value is None else getattr(value, "isoformat", value.__str__)()

    return {
        "item": row.get("code").upper(),
        "lot_code": row.get("lot"),
        "expires_on": normal(row.get("expiry"), parse_date),
        "counted": normal(row.get("counted"), parse_quantity),
        "lot_id": "",
    }


def _resolve_items(filled: list[tuple[int, Any]]) -> dict[str, Item]:
    """Items by upper-case code for the lines, an unknown code marked on its line."""
    items = queries.items_by_code(line.item.data for _index, line in filled)
    for _index, line in filled:
        code = line.item.data
        if code and not line.item.errors and code.upper() not in items:
            line.item.errors.append(_("No item has this code."))
    return items


def _lot_text(lot: Lot) -> str:
    return (lot.serial or lot.code or "").upper()


def _check_lines(
    form: CountLinesForm, count: StockCount, *, whole_form: bool
) -> tuple[list[services.CountEntry], list[int], bool]:
    """The form's own checks on every line: (entries read, their positions, any error)."""
    validate_lines(form, whole_form=whole_form)
    filled = form.filled_lines()
    if len(filled) > MAX_FORM_LINES:
        form.form_errors.append(_("At most %(n)d lines.", n=MAX_FORM_LINES))
    items = _resolve_items(filled)
    wanted = {bounded_int(line.lot_id.data or "") for _index, line in filled}
    lots = queries.lots_by_ids({i for i in wanted if i is not None})
    entries: list[services.CountEntry] = []
    positions: list[int] = []
    for index, line in filled:
        item = items.get((line.item.data or "").upper())
        if item is None or any(f.errors for f in line):
            continue
        lot = lots.get(bounded_int(line.lot_id.data or "") or 0)
        typed = (line.lot_code.data or "").upper()
        # A sheet line names its lot by id, unless the clerk changed the lot written there.
        lot_id = (
            lot.id
            if lot is not None and lot.item_id == item.id and _lot_text(lot) == typed
            else None
        )
        entries.append(
            services.CountEntry(
                item_id=item.id,
                counted=line.counted.data or 0,
                lot_id=lot_id,
                lot_code="" if lot_id else line.lot_code.data or "",
                expires_on=None if lot_id else line.expires_on.data,
            )
        )
        positions.append(index)
    if not filled and whole_form:
        form.form_errors.append(_("Enter at least one counted quantity."))
    failed = bool(form.form_errors) or any(f.errors for _index, line in filled for f in line)
    return entries, positions, failed or len(entries) < len(filled)


def _show_problems(form: CountLinesForm, error: DomainError, positions: list[int]) -> None:
    problems = error.problems if isinstance(error, LineProblems) else [error]
    for problem in problems:
        name = problem.field
        match = _LINE_FIELD.match(name or "")
        if match is not None and int(match[1]) < len(positions):
            name = f"lines-{positions[int(match[1])]}-{match[2]}"
        attach_error(form, DomainError(problem.message, field=name))


def _check_shown(form: CountLinesForm, count: StockCount) -> None:
    """Check the lines shown again (pasted, imported, repeated): every problem, nothing saved."""
    entries, positions, _failed = _check_lines(form, count, whole_form=False)
    if entries:
        try:
            services.check_count_entries(count, entries)
        except LineProblems as error:
            _show_problems(form, error, positions)


def _rows_into_form(
    form: CountLinesForm, count: StockCount, rows: list[Row], field_errors: list[str]
) -> CountLinesForm:
    data = MultiDict(request.form)
    lines = _posted_lines(data) + [_line_from_row(row) for row in rows]
    if len(lines) > MAX_FORM_LINES:
        field_errors.append(_("At most %(n)d lines.", n=MAX_FORM_LINES))
        return form
    shown = _rebuilt(data, lines)
    _check_shown(shown, count)
    return shown


def _with_pasted(form: CountLinesForm, count: StockCount) -> CountLinesForm:
    if not form.paste.validate(form):
        return form
    read = read_rows(form.paste.data or "", COUNT_COLUMNS)
    if not read.rows:
        form.paste.errors.append(_("Paste rows copied from a spreadsheet first."))
        return form
    return _rows_into_form(form, count, read.rows, form.paste.errors)


def _with_file(form: CountLinesForm, count: StockCount) -> CountLinesForm:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        form.file.errors = [_("Choose a .csv or .xlsx file.")]
        return form
    read = read_lines_file(
        upload.read(), upload.filename, max_rows=MAX_FORM_LINES, columns=COUNT_COLUMNS
    )
    if read.problems:
        form.file.errors = [
            _("Row %(row)d, %(column)s: %(message)s", row=p.row, column=p.column, message=p.message)
            if p.column
            else _("Row %(row)d: %(message)s", row=p.row, message=p.message)
            for p in read.problems[:20]
        ]
        return form
    errors: list[str] = []
    shown = _rows_into_form(form, count, read.rows, errors)
    if errors:
        form.file.errors = errors
    return shown


@bp.route("/counts/<int:count_id>/enter", methods=["GET", "POST"])
@allow(COUNTERS)
def enter(count_id: int) -> Response | str:
    """Key counted quantities: the sheet's lots not counted yet and lots found, saved at once.

    Besides Save, the buttons only show the form again: longer, with pasted rows or a file's
    rows as lines to check, or with blank lots repeated from the line above. They save nothing.
    """
    count = loaded_count(count_id)
    user = acting_user()
    if not actions_for(user, count).enter:
        flash(_("This count is no longer open for keying."), "error")
        return redirect(_page_url(count))
    if request.method == "GET":
        form = _rebuilt(MultiDict(), _sheet_lines(count))
    else:
        form = CountLinesForm()
        data = MultiDict(request.form)
        if form.add_lines.data:
            form = _rebuilt(data, line_values(data, LINE_FIELDS))  # and 10 blank lines
        elif form.repeat_lot.data:
            posted = line_values(data, LINE_FIELDS)
            form = _rebuilt(data, carry_down(posted, ("lot_code", "expires_on")))
            _check_shown(form, count)
        elif form.show_paste.data:
            form = _with_pasted(form, count)
        elif form.show_file.data:
            form = _with_file(form, count)
        else:
            response = _save(form, count, user)
            if response is not None:
                return response
    items = queries.items_by_code(e.form.item.data for e in form.lines.entries)
    return render_template(
        "counts/enter.html",
        count=count,
        form=form,
        line_items=[items.get((e.form.item.data or "").upper()) for e in form.lines.entries],
        can_add_lines=len(form.lines.entries) + MORE_LINES <= MAX_FORM_LINES,
        remaining=len(_uncounted_rows(count)),
        sheet_batch=SHEET_BATCH,
    )


def _save(form: CountLinesForm, count: StockCount, user: User) -> Response | None:
    entries, positions, failed = _check_lines(form, count, whole_form=True)
    if failed:
        if entries:
            try:
                services.check_count_entries(count, entries)
            except LineProblems as error:
                _show_problems(form, error, positions)
        return None
    return submit(
        form,
        lambda: services.record_counts(actor=user, count_id=count.id, entries=entries),
        lambda saved: _("%(n)d counted lines saved.", n=len(saved)),
        url_for("counts.enter", count_id=count.id),
        show_error=lambda error: _show_problems(form, error, positions),
    )


# --- recounts, post, abandon, print ------------------------------------------------------


def _awaiting(count: StockCount) -> list[StockCountLine]:
    return [line for line in count.lines if line.awaiting_recount]


@bp.route("/counts/<int:count_id>/recount", methods=["GET", "POST"])
@allow(COUNTERS)
def recount(count_id: int) -> Response | str:
    """Recount the lines whose difference is above the threshold (someone else than the first)."""
    count = loaded_count(count_id)
    user = acting_user()
    awaiting = _awaiting(count)
    if not actions_for(user, count).recount:
        flash(_("No line of this count waits for a recount."), "error")
        return redirect(_page_url(count))
    if request.method == "GET":
        form = RecountForm(data={"lines": [{"line_id": str(line.id)} for line in awaiting]})
    else:
        form = RecountForm()
    by_id = {line.id: line for line in awaiting}
    shown = [by_id.get(bounded_int(e.form.line_id.data or "") or 0) for e in form.lines.entries]
    if request.method == "POST" and form.validate_on_submit():
        recounts = [
            services.Recount(line_id=line.id, counted=entry.form.counted.data)
            for entry, line in zip(form.lines.entries, shown, strict=True)
            if line is not None and entry.form.counted.data is not None
        ]
        positions = [
            index
            for index, (entry, line) in enumerate(zip(form.lines.entries, shown, strict=True))
            if line is not None and entry.form.counted.data is not None
        ]
        if not recounts:
            form.form_errors.append(_("Enter at least one counted quantity."))
        else:
            response = submit(
                form,
                lambda: services.record_recounts(actor=user, count_id=count.id, recounts=recounts),
                lambda saved: _("%(n)d recounts saved.", n=len(saved)),
                _page_url(count),
                show_error=lambda error: _show_problems(form, error, positions),  # type: ignore[arg-type]
            )
            if response is not None:
                return response
    return render_template("counts/recount.html", count=count, form=form, lines=shown)


@bp.route("/counts/<int:count_id>/post", methods=["GET", "POST"])
@allow(STAFF)
def post(count_id: int) -> Response | str:
    """Approve and post the differences: what will move is shown before anything moves."""
    count = loaded_count(count_id)
    form = PostCountForm()
    if count.status is not CountStatus.OPEN:
        form.form_errors.append(
            _(
                "This count is %(status)s: it can no longer be posted.",
                status=STATUS_LABELS[count.status],
            )
        )
    elif form.validate_on_submit():
        response = submit(
            form,
            lambda: services.post_count(
                actor=acting_user(),
                count_id=count.id,
                occurred_on=form.occurred_on.data,
                operation_key=form.operation_key.data,
                note=form.note.data or "",
            ),
            _("Count posted: the differences are in the ledger."),
            _page_url(count),
        )
        if response is not None:
            return response
        count = loaded_count(count_id)
    differences = [line for line in count.lines if line.difference != 0]
    return render_template(
        "counts/post.html",
        count=count,
        form=form,
        differences=differences,
        waiting=len(_awaiting(count)),
        uncounted=len(_uncounted_rows(count)),
        status_labels=STATUS_LABELS,
    )


@bp.route("/counts/<int:count_id>/abandon", methods=["GET", "POST"])
@allow(COUNTERS)
def abandon(count_id: int) -> Response | str:
    """Abandon a count: nothing is posted, its lines stay for the record."""
    count = loaded_count(count_id)
    form = AbandonCountForm()
    if not actions_for(acting_user(), count).abandon:
        form.form_errors.append(
            _(
                "This count is %(status)s: it can no longer be abandoned.",
                status=STATUS_LABELS[count.status],
            )
        )
    elif form.validate_on_submit():
        response = submit(
            form,
            lambda: services.abandon_count(
                actor=acting_user(), count_id=count.id, reason=form.reason.data or ""
            ),
            _("Count abandoned: nothing was posted."),
            _page_url(count),
        )
        if response is not None:
            return response
    return render_template(
        "counts/abandon.html", count=count, form=form, status_labels=STATUS_LABELS
    )


@bp.post("/counts/<int:count_id>/print")
@allow(ALL_ROLES)
def print_sheet(count_id: int) -> Response:
    """One logged print of the blind count sheet as a PDF ("COPY n" from the second on)."""
    count = loaded_count(count_id)
    form = PrintSheetForm()
    if not form.validate_on_submit():
        return redirect(_page_url(count))
    try:
        body, filename = services.print_count_sheet(
            actor=acting_user(), count_id=count.id, printing=printing(), strict=strict_glyphs()
        )
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(_page_url(count))
    db.session.commit()
    return pdf_response(body, filename)


register_record_page(
    DocumentType.COUNT,
    record_of=queries.count_of_document,
    endpoint="counts.page",
    id_arg="count_id",
    can_see=services.can_see,
)
