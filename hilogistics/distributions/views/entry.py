"""Record a distribution, or correct one from its signed paper: the line-entry pattern.

Lines are item code, lot code and quantity; every problem of every line is shown at once, and
the form keeps what was typed. "Suggest lots" fills blank lots first expiry first out at the
place (splitting a line over several lots when one does not hold it). Technicians record at
their own place only: the place list holds just theirs.
"""

import re
from collections.abc import Callable

from flask import render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from hilogistics.auth.access import acting_user, allow
from hilogistics.auth.models import Role
from hilogistics.db import db
from hilogistics.distributions import services
from hilogistics.distributions.forms import (
    FIRST_LINES,
    LINE_FIELDS,
    MAX_FORM_LINES,
    MORE_LINES,
    CorrectionForm,
    DistributionForm,
    enum_or_none,
)
from hilogistics.distributions.models import (
    HEADCOUNT_FIELDS,
    Distribution,
    FittingService,
    RecipientType,
    Side,
)
from hilogistics.distributions.queries import reserved_slip
from hilogistics.distributions.views.blueprint import bp
from hilogistics.distributions.views.pages import loaded_distribution
from hilogistics.errors import DomainError
from hilogistics.forms import attach_error
from hilogistics.i18n import current_locale
from hilogistics.inputs import bounded_int
from hilogistics.lines.checking import resolve_items, validate_lines
from hilogistics.lines.entry import short_suggestion
from hilogistics.lines.formdata import is_blank, line_values, with_lines
from hilogistics.lines.parsing import RECEIPT_COLUMNS, InputError, Row, parse_quantity, read_rows
from hilogistics.lines.problems import LineProblem, LineProblems
from hilogistics.locations.queries import visible_locations_query
from hilogistics.shipments.queries import available_at, fefo_lots, lots_by_text, uncoded_lots_at
from hilogistics.stock.models import Lot
from hilogistics.stock.queries.operations import active_items_by_code
from hilogistics.views_support import submit

RECORDERS = (Role.ADMIN, Role.LOGISTICS, Role.TECHNICIAN)
_LINE_FIELD = re.compile(r"^lines-(\d+)-(\w+)$")
# Pasted or imported rows: item code, quantity, lot code (headings in any language).
LINE_COLUMNS = tuple(c for c in RECEIPT_COLUMNS if c.key in ("code", "quantity", "lot"))

LineForm = DistributionForm | CorrectionForm


def _lot_text(lot: Lot) -> str:
    return lot.code or lot.serial or ""


def _fill_places(form: DistributionForm) -> None:
    user = acting_user()
    places = [
        SelectChoice(str(place.id), place.display_name(current_locale()))
        for place in db.session.scalars(visible_locations_query(user, active_only=True))
        if place.kind.is_physical
    ]
    if user.role is Role.TECHNICIAN:
        form.location_id.choices = places
        form.location_id.data = user.location_id
    else:
        form.location_id.choices = [SelectChoice("", _("— choose a place —")), *places]
        # ?location_id= pre-selects a place offered (a camp page's "record a distribution").
        wanted = request.args.get("location_id", "")
        if not form.is_submitted() and any(choice.value == wanted for choice in places):
            form.location_id.data = int(wanted)


def _describe(form: DistributionForm) -> None:
    form.recipient_ref.description = _(
        "A code such as %(example)s, never a name. Not needed for workshop use.",
        example=services.reference_example(),
    )


def _check_lines(
    form: LineForm,
    location_id: int | None,
    *,
    whole_form: bool,
    given: dict[int, Lot] | None = None,
) -> tuple[list[services.LineInput], list[int], bool]:
    """The form's own checks on every line: (lines read, their positions, any error).

    ``given``: per item, the code-less lot a corrected slip handed out, which a blank lot
    means when the place holds none of it any more (the correction gives it back first).
    """
    validate_lines(form, whole_form=whole_form)
    filled = form.filled_lines()
    items = resolve_items(filled)
    if len(filled) > MAX_FORM_LINES:
        form.form_errors.append(_("At most %(n)d lines.", n=MAX_FORM_LINES))
    wanted = set()
    for _index, line in filled:
        item = items.get((line.item.data or "").upper())
        if item is not None and line.lot.data:
            wanted.add((item.id, line.lot.data.upper()))
    lots = lots_by_text(wanted, location_id)
    blank = {
        item.id
        for _index, line in filled
        if not (line.lot.data or "").strip()
        and (item := items.get((line.item.data or "").upper())) is not None
    }
    uncoded = {**(given or {}), **uncoded_lots_at(blank, location_id)}
    lines: list[services.LineInput] = []
    positions: list[int] = []
    for index, line in filled:
        item = items.get((line.item.data or "").upper())
        lot = None
        if item is not None and line.lot.data and not line.lot.errors:
            lot = lots.get((item.id, line.lot.data.upper()))
            if lot is None:
                line.lot.errors.append(_("%(item)s has no lot of this code.", item=item.code))
        elif item is not None:
            lot = uncoded.get(item.id)
        if item is None or any(f.errors for f in line):
            continue
        lines.append(
            services.LineInput(
                item_id=item.id, lot_id=lot.id if lot else None, quantity=line.quantity.data or 0
            )
        )
        positions.append(index)
    if not filled and whole_form:
        form.form_errors.append(_("Enter at least one line."))
    failed = bool(form.form_errors) or any(f.errors for f in form if f.type != "FieldList")
    failed = failed or any(f.errors for _index, line in filled for f in line)
    return lines, positions, failed


def _show_problems(form: LineForm, problems: list[LineProblem], positions: list[int]) -> None:
    for problem in problems:
        name = problem.field
        match = _LINE_FIELD.match(name or "")
        if match is not None:
            index = int(match[1])
            name = f"lines-{positions[index]}-{match[2]}" if index < len(positions) else None
        attach_error(form, DomainError(problem.message, field=name))


def _posted_lines(data: MultiDict) -> list[dict[str, str]]:
    return [line for line in line_values(data, LINE_FIELDS) if not is_blank(line)]


def _rebuilt(form_class: type, data: MultiDict, lines: list[dict[str, str]]) -> LineForm:
    total = min(MAX_FORM_LINES, max(FIRST_LINES, len(lines) + MORE_LINES))
    rebuilt = with_lines(data, lines, fields=LINE_FIELDS, total=max(total, len(lines)))
    return form_class(formdata=rebuilt)


def _with_suggested_lots(
    form: LineForm, location_id: int | None, short: dict[int, str]
) -> MultiDict | None:
    """The posted data with blank lots filled first expiry first out at the place.

    ``short`` receives, per line index, what the place could not cover (for :func:`_say_short`).
    """
    if location_id is None:
        if isinstance(form, DistributionForm):
            form.location_id.errors.append(_("Choose the place first."))
        return None
    data = MultiDict(request.form)
    items = active_items_by_code(line.get("item") for line in _posted_lines(data))
    lines: list[dict[str, str]] = []
    for line in _posted_lines(data):
        item = items.get((line.get("item") or "").strip().upper())
        try:
            quantity = parse_quantity(line.get("quantity") or "")
        except InputError:
            quantity = 0
        if item is None or quantity <= 0 or line.get("lot", "").strip():
            lines.append(line)
            continue
        suggested = fefo_lots(location_id=location_id, item_id=item.id, quantity=quantity)
        if not suggested:
            lines.append(line)
        for suggestion in suggested:
            lines.append(
                {
                    "item": item.code,
                    "lot": _lot_text(suggestion.lot),
                    "quantity": str(suggestion.quantity),
                }
            )
        covered = sum(suggestion.quantity for suggestion in suggested)
        if covered < quantity:
            short[len(lines) - 1] = short_suggestion(item.code, covered, quantity)
    total = min(MAX_FORM_LINES, max(FIRST_LINES, len(lines) + MORE_LINES))
    return with_lines(data, lines[:MAX_FORM_LINES], fields=LINE_FIELDS, total=total)


def _say_short(form: LineForm, short: dict[int, str]) -> None:
    """Put each shortfall of the suggestion on its line's quantity."""
    for index, message in short.items():
        if index < len(form.lines.entries):
            quantity = form.lines.entries[index].form.quantity
            quantity.errors = [*quantity.errors, message]


def line_from_row(row: Row) -> dict[str, str]:
    """A pasted or imported row as a line's texts (a readable quantity normalised)."""
    quantity = row.get("quantity")
    try:
        quantity = str(parse_quantity(quantity)) if quantity else ""
    except InputError:
        pass  # shown as typed, with the field's message
    return {"item": row.get("code").upper(), "lot": row.get("lot"), "quantity": quantity}


def _with_pasted(form: DistributionForm) -> MultiDict | None:
    """The posted data with the pasted rows after its lines (None: the paste is refused)."""
    if not form.paste.validate(form):
        return None
    read = read_rows(form.paste.data or "", LINE_COLUMNS)
    if not read.rows:
        form.paste.errors.append(_("Paste rows copied from a spreadsheet first."))
        return None
    data = MultiDict(request.form)
    lines = _posted_lines(data) + [line_from_row(row) for row in read.rows]
    if len(lines) > MAX_FORM_LINES:
        form.paste.errors.append(_("At most %(n)d lines.", n=MAX_FORM_LINES))
        return None
    data.setlist("paste", [""])
    total = min(MAX_FORM_LINES, max(FIRST_LINES, len(lines) + MORE_LINES))
    return with_lines(data, lines, fields=LINE_FIELDS, total=total)


def _hints(form: LineForm, location_id: int | None) -> list[str | None]:
    """Per line, what the place has available of its item: a hint beside the line."""
    hints: list[str | None] = [None] * len(form.lines.entries)
    if location_id is None:
        return hints
    codes = [(entry.form.item.data or "").upper() for entry in form.lines.entries]
    items = active_items_by_code(codes)
    available = available_at(location_id, [item.id for item in items.values()])
    for index, code in enumerate(codes):
        item = items.get(code)
        if item is not None:
            hints[index] = _(
                "%(name)s: %(n)d available here.",
                name=item.display_name(current_locale()),
                n=available.get(item.id, 0),
            )
    return hints


def _submit(
    form: LineForm,
    location_id: int | None,
    call: Callable[[list[services.LineInput]], object],
    success: str,
    given: dict[int, Lot] | None = None,
    header: Callable[[], list[LineProblem]] | None = None,
) -> Response | None:
    lines, positions, failed = _check_lines(form, location_id, whole_form=True, given=given)
    if failed:
        if header is not None:
            # The header's problems too, in the same reply (the service would only find them
            # once the lines were right); a field already marked keeps its own message.
            marked = {f.name for f in form if f.type != "FieldList" and f.errors}
            _show_problems(form, [p for p in header() if p.field not in marked], positions)
        return None

    def show(error: DomainError) -> None:
        if isinstance(error, LineProblems):
            _show_problems(form, error.problems, positions)
        else:
            _show_problems(form, [LineProblem(error.field, error.message)], positions)

    return submit(
        form,
        lambda: call(lines),
        success,
        lambda d: url_for("distributions.page", distribution_id=d.id),  # type: ignore[attr-defined]
        show_error=show,
    )


def _recipient(form: DistributionForm) -> services.Recipient:
    kind = enum_or_none(RecipientType, form.recipient_type.data) or RecipientType.OTHER
    return services.Recipient(
        type=kind,  # type: ignore[arg-type]
        reference=form.recipient_ref.data or "",
        service=enum_or_none(FittingService, form.service.data),  # type: ignore[arg-type]
        side=enum_or_none(Side, form.side.data),  # type: ignore[arg-type]
        headcounts={name: getattr(form, name).data or 0 for name in HEADCOUNT_FIELDS},
    )


def _from_preprinted(form: DistributionForm, number: str) -> None:
    """Start the form from a reserved pre-printed slip (its number, place and planned day)."""
    slip = reserved_slip(acting_user(), number) if number else None
    if slip is not None:
        form.slip_number.data = slip.number
        form.location_id.data = slip.location_id
        form.distributed_on.data = slip.planned_on


@bp.route("/distributions/new", methods=["GET", "POST"])
@allow(*RECORDERS)
def new() -> Response | str:
    """Record a distribution: place, date, recipient code, lines; posted once."""
    form = DistributionForm()
    _fill_places(form)
    _describe(form)
    if not form.is_submitted():
        _from_preprinted(form, request.args.get("slip", ""))
    if form.is_submitted():
        location_id = form.location_id.data
        if form.add_lines.data:
            for _number in range(min(MORE_LINES, MAX_FORM_LINES - len(form.lines.entries))):
                form.lines.append_entry()
        elif form.suggest_lots.data or form.show_paste.data or form.show_lines.data:
            short: dict[int, str] = {}
            if form.suggest_lots.data:
                data = _with_suggested_lots(form, location_id, short)
            elif form.show_paste.data:
                data = _with_pasted(form)
            else:  # lines from a previewed file, or shown again: checked, never posted
                data = MultiDict(request.form)
            if data is not None:
                form = _rebuilt(DistributionForm, data, _posted_lines(data))  # type: ignore[assignment]
                _fill_places(form)
                _describe(form)
                _check_lines(form, location_id, whole_form=False)
                _say_short(form, short)
        else:
            response = _submit(
                form,
                location_id,
                lambda lines: services.record_distribution(
                    actor=acting_user(),
                    location_id=location_id,  # type: ignore[arg-type]
                    distributed_on=form.distributed_on.data,  # type: ignore[arg-type]
                    recipient=_recipient(form),
                    lines=lines,
                    operation_key=form.operation_key.data,
                    note=form.note.data or "",
                    slip_number=form.slip_number.data or "",
                ),
                _("Distribution recorded."),
                header=lambda: services.header_problems(
                    location_id=location_id,
                    distributed_on=form.distributed_on.data,
                    recipient=_recipient(form),
                    note=form.note.data or "",
                ),
            )
            if response is not None:
                return response
    return render_template(
        "distributions/new.html",
        form=form,
        hints=_hints(form, form.location_id.data),
        can_add_lines=len(form.lines.entries) < MAX_FORM_LINES,
        example=services.reference_example(),
        headcount_fields=HEADCOUNT_FIELDS,
    )


def _given_uncoded(distribution: Distribution) -> dict[int, Lot]:
    """Per item, the lot without a code or serial that the slip's current lines handed out."""
    return {
        line.item_id: line.lot
        for line in distribution.lines
        if line.lot is not None and not line.lot.code and line.lot.serial is None
    }


def _current_lines(distribution: Distribution) -> MultiDict:
    lines = [
        {"item": line.item.code, "lot": _lot_text(line.lot), "quantity": str(line.quantity)}
        for line in distribution.lines
    ]
    total = min(MAX_FORM_LINES, max(FIRST_LINES, len(lines) + MORE_LINES))
    return with_lines(MultiDict(), lines, fields=LINE_FIELDS, total=max(total, len(lines)))


@bp.route("/distributions/<int:distribution_id>/correct", methods=["GET", "POST"])
@allow(*RECORDERS)
def correct(distribution_id: int) -> Response | str:
    """Correct a slip from its signed paper: a reversal and the corrected lines, on the slip."""
    distribution = loaded_distribution(distribution_id)
    # The revision the clerk saw: a correction made meanwhile is then refused, not overwritten.
    revision = bounded_int(request.form.get("revision")) or distribution.revision
    form = (
        CorrectionForm()
        if request.method == "POST"
        else CorrectionForm(formdata=_current_lines(distribution))
    )
    location_id = distribution.location_id
    if form.is_submitted():
        if form.add_lines.data:
            for _number in range(min(MORE_LINES, MAX_FORM_LINES - len(form.lines.entries))):
                form.lines.append_entry()
        elif form.suggest_lots.data:
            short = {}
            data = _with_suggested_lots(form, location_id, short)
            if data is not None:
                form = _rebuilt(CorrectionForm, data, _posted_lines(data))  # type: ignore[assignment]
                _check_lines(
                    form, location_id, whole_form=False, given=_given_uncoded(distribution)
                )
                _say_short(form, short)
        else:
            response = _submit(
                form,
                location_id,
                lambda lines: services.correct_distribution(
                    actor=acting_user(),
                    distribution_id=distribution.id,
                    revision=revision,
                    lines=lines,
                    note=form.note.data or "",
                    operation_key=form.operation_key.data,
                ),
                _("Correction recorded: the stock was moved back and the paper's lines posted."),
                given=_given_uncoded(distribution),
            )
            if response is not None:
                return response
            distribution = loaded_distribution(distribution_id)
    return render_template(
        "distributions/correct.html",
        form=form,
        distribution=distribution,
        revision=revision,
        hints=_hints(form, location_id),
        can_add_lines=len(form.lines.entries) < MAX_FORM_LINES,
    )
