"""Forms of the shipment pages: filters, drafts and dispatch, printing, recall, cancel, close."""

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    FormField,
    HiddenField,
    IntegerField,
    SearchField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from hilogistics.dates import business_today
from hilogistics.forms import Form, OperationKeyField, planning_date
from hilogistics.inputs import bounded_int
from hilogistics.lines.fields import MAX_PASTE_TEXT, TypedDateField, paste_field
from hilogistics.lines.parsing import InputError, expand_serials
from hilogistics.shipments.labels import DIRECTION_LABELS, STATUS_LABELS
from hilogistics.shipments.models import ShipmentDirection, ShipmentStatus
from hilogistics.shipments.services.drafts import MAX_LINES
from hilogistics.stock.forms_operations import (
    _strip,
    line_item_field,
    line_quantity_field,
    optional_id,
)
from hilogistics.stock.forms_pages import FilterForm
from hilogistics.stock.ledger import MAX_QUANTITY

# The status filter's choice for what is still on its way: dispatched or partly received.
AWAITING_STATUS = "awaiting"


class ShipmentFilterForm(FilterForm):
    """Filters of the shipments list (places and grants are filled in by the view)."""

    q = SearchField(
        _l("Number, reference, supplier, carrier, driver or vehicle"),
        validators=[Optional(), Length(max=120)],
    )
    direction = SelectField(
        _l("Direction"),
        default="",
        choices=[
            SelectChoice("", _l("Both directions")),
            *(SelectChoice(d.value, DIRECTION_LABELS[d]) for d in ShipmentDirection),
        ],
    )
    status = SelectField(
        _l("Status"),
        default="",
        choices=[
            SelectChoice("", _l("Any status")),
            SelectChoice(AWAITING_STATUS, _l("Awaiting receipt (dispatched or partly received)")),
            *(SelectChoice(s.value, STATUS_LABELS[s]) for s in ShipmentStatus),
        ],
    )
    origin = SelectField(_l("From"), default="")
    destination = SelectField(_l("To"), default="")
    grant = SelectField(_l("Grant"), default="")
    date_from = DateField(
        _l("From date"),
        validators=[Optional(), planning_date],
        description=_l("Dispatch date, or the expected date of what has not left."),
    )
    date_to = DateField(_l("To date"), validators=[Optional(), planning_date])


class PrintForm(Form):
    """One print of a shipment's document (the print is logged: COPY n from the second on)."""

    kind = HiddenField()
    event_id = HiddenField()


class RecallForm(Form):
    """Confirm a recall: the goods in transit go back to the origin."""

    reason = TextAreaField(
        _l("Why is it recalled?"),
        validators=[DataRequired(), Length(max=2000)],
        description=_l("For example: wrong destination, road closed, goods needed elsewhere."),
    )
    operation_key = OperationKeyField()
    submit = SubmitField(_l("Recall this shipment"))


class CancelForm(Form):
    """Confirm cancelling a draft or a plan: nothing is posted."""

    reason = TextAreaField(_l("Why is it cancelled?"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Cancel this shipment"))


class CloseForm(Form):
    """Close a consignment whose rest will not come."""

    reason = TextAreaField(
        _l("Why is it closed?"),
        validators=[DataRequired(), Length(max=2000)],
        description=_l("For example: the supplier will not send the rest."),
    )
    submit = SubmitField(_l("Close this consignment"))


# --- outbound drafts: the line-entry pattern of hilogistics.lines --------------------------

FIRST_LINES = 10
MORE_LINES = 10
# A dispatch form holds as many lines as a receipt; the service allows more (imports, CLI).
MAX_FORM_LINES = 100
DRAFT_LINE_FIELDS = ("item", "lot", "quantity")


class _LineChecks:
    """What every entered line checks: blank lines are ignored, others need item and quantity."""

    def is_blank(self) -> bool:
        """True when nothing at all was typed on this line (such lines are ignored)."""
        return not any((field.raw_data or [""])[0].strip() for field in self)

    def validate(self, extra_validators: Any = None) -> bool:
        """Field checks, then: a line with anything on it needs an item and a quantity."""
        valid = super().validate(extra_validators)  # type: ignore[misc]
        if self.is_blank():
            return valid
        if not self.item.data:
            self.item.errors.append(_l("Enter the item code."))
            valid = False
        if not self.quantity.errors and not self.quantity.data:
            self.quantity.errors.append(_l("Enter the quantity."))
            valid = False
        return valid


class ItemQuantityLineForm(_LineChecks, Form):
    """A keyed line that starts with an item code and a quantity (plans, requisitions)."""

    class Meta:
        csrf = False  # the enclosing form carries the token

    item = line_item_field()
    quantity = line_quantity_field()


class DraftLineForm(_LineChecks, Form):
    """One line of a dispatch: item code, lot code (or blank to have it suggested), quantity."""

    class Meta:
        csrf = False  # the enclosing form carries the token

    item = line_item_field()
    lot = StringField(
        _l("Lot code"),
        filters=[_strip],
        validators=[Optional(), Length(max=64)],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    quantity = line_quantity_field()


class DraftForm(Form):
    """A dispatch draft: from where to where, the carrier if known, and its lines."""

    origin_id = SelectField(_l("From"), coerce=optional_id, validators=[DataRequired()])
    destination_id = SelectField(_l("To"), coerce=optional_id, validators=[DataRequired()])
    expected_on = DateField(_l("Planned dispatch date"), validators=[Optional(), planning_date])
    carrier = StringField(_l("Carrier"), filters=[_strip], validators=[Optional(), Length(max=120)])
    vehicle = StringField(_l("Vehicle"), filters=[_strip], validators=[Optional(), Length(max=60)])
    driver = StringField(_l("Driver"), filters=[_strip], validators=[Optional(), Length(max=120)])
    reference = StringField(
        _l("Reference"), filters=[_strip], validators=[Optional(), Length(max=120)]
    )
    grant_id = SelectField(
        _l("Grant"),
        coerce=optional_id,
        validators=[Optional()],
        description=_l("The grant the goods are charged to; the transactions carry it."),
    )
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
    lines = FieldList(
        FormField(DraftLineForm), min_entries=FIRST_LINES, max_entries=MAX_FORM_LINES + 1
    )
    paste = paste_field(
        _l("Rows copied from a spreadsheet"),
        _l("Columns: item code, quantity, lot code; a header row is recognised and skipped."),
    )
    # A create form sent twice makes one draft (edits replace the lines, so need no key).
    operation_key = OperationKeyField()
    submit = SubmitField(_l("Save the draft"))
    add_lines = SubmitField(_l("Add 10 more lines"))
    suggest_lots = SubmitField(_l("Suggest lots, first expiry first out"))
    show_paste = SubmitField(_l("Show the pasted rows as lines"))
    show_lines = SubmitField(_l("Put these lines in the form"))

    def filled_lines(self) -> list[tuple[int, "DraftLineForm"]]:
        """(position, line) of every line with something typed on it."""
        return [
            (index, entry.form)
            for index, entry in enumerate(self.lines.entries)
            if not entry.form.is_blank()
        ]


class DispatchForm(Form):
    """Dispatch a draft: carrier, vehicle, driver and date; the lines are frozen and posted."""

    dispatched_on = DateField(
        _l("Date of dispatch"),
        default=business_today,
        validators=[DataRequired()],
        description=_l("The day the goods left; it may be in the past, not in the future."),
    )
    carrier = StringField(_l("Carrier"), filters=[_strip], validators=[Optional(), Length(max=120)])
    vehicle = StringField(_l("Vehicle"), filters=[_strip], validators=[Optional(), Length(max=60)])
    driver = StringField(_l("Driver"), filters=[_strip], validators=[Optional(), Length(max=120)])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
    operation_key = OperationKeyField()
    submit = SubmitField(_l("Dispatch now"))


# --- receiving at the destination ------------------------------------------------------------

_COUNT = [Optional(), NumberRange(min=0, max=MAX_QUANTITY)]
_COUNT_INPUT = {"min": 0, "inputmode": "numeric"}


def _bounded_id(value: object) -> int | None:
    """A select's id, refused (ValueError: the field's message) beyond the database's range."""
    if value in (None, "", "None"):
        return None
    number = bounded_int(str(value))
    if number is None:
        raise ValueError("not an id")
    return number


class ReceiveLineForm(Form):
    """What became of one line: received in good order, damaged, short (with a reason).

    A consignment's line also says the lot and expiry as found and, for serialised items,
    the serial numbers (one per unit received or damaged; ranges like KN-0001..KN-0025).
    """

    class Meta:
        csrf = False  # the enclosing form carries the token

    received = IntegerField(_l("Received"), validators=_COUNT, render_kw=_COUNT_INPUT)
    damaged = IntegerField(_l("Damaged"), validators=_COUNT, render_kw=_COUNT_INPUT)
    lost = IntegerField(_l("Short"), validators=_COUNT, render_kw=_COUNT_INPUT)
    reason_id = SelectField(
        _l("Reason for the shortage"), coerce=optional_id, validate_choice=False
    )
    lot_code = StringField(
        _l("Lot code as found"), filters=[_strip], validators=[Optional(), Length(max=64)]
    )
    expires_on = TypedDateField(_l("Expiry as found"), validators=[Optional(), planning_date])
    serials = TextAreaField(
        _l("Serial numbers"),
        validators=[Optional(), Length(max=MAX_PASTE_TEXT)],
        render_kw={"rows": 2, "spellcheck": "false", "autocomplete": "off"},
    )
    note = StringField(_l("Note"), filters=[_strip], validators=[Optional(), Length(max=500)])

    def serial_list(self) -> list[str] | None:
        """The serial numbers typed (ranges expanded); None with the field's error."""
        try:
            return expand_serials(self.serials.data or "")
        except InputError as error:
            self.serials.errors = [*self.serials.errors, error.message]
            return None

    def reported(self) -> int:
        """Everything this line reports (0 when nothing or only errors)."""
        return (self.received.data or 0) + (self.damaged.data or 0) + (self.lost.data or 0)


class ReceiveForm(Form):
    """One receiving event: the date, every line's outcome, a note."""

    received_on = DateField(
        _l("Date received"),
        default=business_today,
        validators=[DataRequired()],
        description=_l("The day the goods arrived; it may be in the past, not in the future."),
    )
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
    lines = FieldList(FormField(ReceiveLineForm), max_entries=MAX_LINES)
    confirmed = BooleanField(_l("The quantities and dates marked above are right: record them"))
    operation_key = OperationKeyField()
    submit = SubmitField(_l("Record what arrived"))
    accept_all = SubmitField(_l("Fill in every line as sent"))


# --- inbound consignments --------------------------------------------------------------------

PLAN_LINE_FIELDS = ("item", "quantity", "lot_code", "expires_on")


class PlanLineForm(ItemQuantityLineForm):
    """One expected line of a consignment: item code, quantity, lot and expiry announced."""

    lot_code = StringField(
        _l("Lot code"), filters=[_strip], validators=[Optional(), Length(max=64)]
    )
    expires_on = TypedDateField(_l("Expiry date"), validators=[Optional(), planning_date])


class PlanForm(Form):
    """A consignment expected from a supplier or donor into a warehouse."""

    destination_id = SelectField(
        _l("Receiving warehouse"), coerce=optional_id, validators=[DataRequired()]
    )
    supplier = StringField(
        _l("Supplier or donor"), filters=[_strip], validators=[Optional(), Length(max=200)]
    )
    grant_id = SelectField(_l("Grant"), coerce=optional_id, validators=[Optional()])
    reference = StringField(
        _l("Supplier's waybill or consignment number"),
        filters=[_strip],
        validators=[Optional(), Length(max=120)],
    )
    carrier = StringField(_l("Carrier"), filters=[_strip], validators=[Optional(), Length(max=120)])
    expected_on = DateField(_l("Expected on"), validators=[Optional(), planning_date])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
    lines = FieldList(
        FormField(PlanLineForm), min_entries=FIRST_LINES, max_entries=MAX_FORM_LINES + 1
    )
    paste = paste_field(
        _l("Rows copied from a spreadsheet or packing list"),
        _l(
            "Columns: item code, quantity, lot code, expiry date; a header row is recognised "
            "and skipped."
        ),
    )
    operation_key = OperationKeyField()
    submit = SubmitField(_l("Save the plan"))
    add_lines = SubmitField(_l("Add 10 more lines"))
    show_paste = SubmitField(_l("Show the pasted rows as lines"))
    show_lines = SubmitField(_l("Put these lines in the form"))

    filled_lines = DraftForm.filled_lines
