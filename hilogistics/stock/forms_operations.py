"""Forms of the stock operations: receipts (with lines), adjustments and reversals (shape only)."""

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    FormField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from hilogistics.dates import business_date_problem, business_today
from hilogistics.forms import Form, OperationKeyField, planning_date
from hilogistics.lines.fields import TypedDateField, paste_field
from hilogistics.lines.parsing import InputError, expand_serials
from hilogistics.stock.ledger import MAX_QUANTITY
from hilogistics.stock.models import AdjustmentDirection

# Enough empty lines for a normal consignment; "add lines" adds MORE_LINES at a time.
FIRST_LINES = 20
MORE_LINES = 10
MAX_LINES = 100
MAX_SERIALS_TEXT = 20_000
LINE_FIELDS = ("item", "packs", "units", "lot_code", "expires_on", "serials")
# Suggestions come from the item lookup as a code is typed (static/js/lines.js), never from a
# list of the whole catalogue in the page: the form stays the same size as the catalogue grows.
ITEM_CODE_INPUT = {"autocomplete": "off", "spellcheck": "false", "data-item-lookup": ""}


def line_item_field() -> StringField:
    """The item code of a keyed line: blank for an unused line, looked up as it is typed."""
    return StringField(
        _l("Item code"),
        filters=[_strip],
        validators=[Optional(), Length(max=40)],
        render_kw=ITEM_CODE_INPUT,
    )


def line_quantity_field(label: Any = None, **kwargs: Any) -> IntegerField:
    """A line's quantity: blank, or whole units from 1 to the ledger's MAX_QUANTITY."""
    return IntegerField(
        label or _l("Quantity"),
        validators=[Optional(), NumberRange(min=1, max=MAX_QUANTITY)],
        render_kw={"min": 1, "inputmode": "numeric"},
        **kwargs,
    )


def optional_id(value: object) -> int | None:
    """Coerce a select's value to an id, or None for the empty "choose" option."""
    if value in (None, "", "None"):
        return None
    return int(value)  # type: ignore[call-overload]


def _strip(value: str | None) -> str | None:
    return value.strip() if value else value


def _today_iso() -> str:
    return business_today().isoformat()


def _not_in_future(_form: Form, field: DateField) -> None:
    # The services refuse it too; saying it here puts the message next to the field at once.
    problem = business_date_problem(field.data) if field.data is not None else None
    if problem is not None:
        raise ValidationError(problem)


class ReceiptLineForm(Form):
    """One line of a receipt: item code, packs and/or units, lot, expiry, serial numbers."""

    class Meta:
        csrf = False  # the enclosing form carries the token

    item = line_item_field()
    packs = IntegerField(
        _l("Packs"),
        validators=[Optional(), NumberRange(min=0, max=MAX_QUANTITY)],
        render_kw={"min": 0, "inputmode": "numeric"},
    )
    units = IntegerField(
        _l("Units"),
        validators=[Optional(), NumberRange(min=0, max=MAX_QUANTITY)],
        render_kw={"min": 0, "inputmode": "numeric"},
    )
    lot_code = StringField(
        _l("Lot code"),
        filters=[_strip],
        validators=[Optional(), Length(max=64)],
    )
    expires_on = TypedDateField(_l("Expiry date"), validators=[Optional(), planning_date])
    serials = TextAreaField(
        _l("Serial numbers"),
        validators=[Optional(), Length(max=MAX_SERIALS_TEXT)],
        render_kw={"rows": 2, "spellcheck": "false"},
    )

    def validate_serials(self, field: TextAreaField) -> None:
        """Lists and ranges (``KN-0001..KN-0025``) must expand."""
        try:
            expand_serials(field.data or "")
        except InputError as error:
            raise ValidationError(error.message) from None

    def is_blank(self) -> bool:
        """True when nothing at all was typed on this line (such lines are ignored)."""
        return not any((field.raw_data or [""])[0].strip() for field in self)

    def validate(self, extra_validators: Any = None) -> bool:
        """Field checks, then: a line with anything on it needs an item and a quantity."""
        valid = super().validate(extra_validators)
        if self.is_blank():
            return valid
        if not self.item.data:
            self.item.errors.append(_l("Enter the item code."))
            valid = False
        if (
            not self.packs.errors
            and not self.units.errors
            and not ((self.packs.data or 0) + (self.units.data or 0))
        ):
            self.units.errors.append(_l("Enter a number of packs, of units, or both."))
            valid = False
        return valid

    def serial_list(self) -> list[str]:
        """The serial numbers, lists and ranges expanded (call after validation)."""
        return expand_serials(self.serials.data or "")


class ReceiptForm(Form):
    """Goods arriving into a warehouse, with their lines."""

    warehouse_id = SelectField(_l("Warehouse"), coerce=optional_id, validators=[DataRequired()])
    occurred_on = DateField(
        _l("Date received"),
        default=business_today,
        validators=[DataRequired(), _not_in_future],
        description=_l("The day the goods arrived; it may be in the past, not in the future."),
    )
    supplier = StringField(
        _l("Supplier or donor"),
        filters=[_strip],
        validators=[Optional(), Length(max=200)],
    )
    grant_id = SelectField(
        _l("Grant"),
        coerce=optional_id,
        validators=[Optional()],
        description=_l("The grant that paid for the goods; it stays with their lots."),
    )
    reference = StringField(
        _l("Reference"),
        filters=[_strip],
        validators=[Optional(), Length(max=120)],
        description=_l("Consignment, waybill or invoice number."),
    )
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
    # One line beyond MAX_LINES is built, so that validate() can say the receipt is too long;
    # the rest of an over-long post is never built or checked.
    lines = FieldList(
        FormField(ReceiptLineForm), min_entries=FIRST_LINES, max_entries=MAX_LINES + 1
    )
    carry_down = BooleanField(
        _l("Blank lot and expiry repeat the line above"),
        description=_l(
            "For consecutive lines of one lot: key its lot code and expiry date once, leave "
            "them blank on the lines below."
        ),
    )
    confirm_expiry = BooleanField(
        _l("The expiry dates marked above are right: record them anyway"),
    )
    paste = paste_field(
        _l("Rows copied from a spreadsheet or packing list"),
        _l(
            "Columns: item code, quantity (units), lot code, expiry date, serial numbers; "
            "a header row is recognised and skipped."
        ),
    )
    operation_key = OperationKeyField()
    submit = SubmitField(_l("Record receipt"))
    add_lines = SubmitField(_l("Add 10 more lines"))
    show_paste = SubmitField(_l("Show the pasted rows as lines"))
    # Sent by the packing-list preview: show its lines in the form, record nothing.
    show_lines = SubmitField(_l("Put these lines into the receipt"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.occurred_on.render_kw = {"max": _today_iso()}
        self.line_warnings: dict[int, list[str]] = {}

    # Line (counting from 0) → its row in a paste, so that messages name both.
    pasted_rows: dict[int, int] = {}

    def line_name(self, number: int) -> str:
        """How messages name line ``number`` (counting from 1): with its pasted row, if any."""
        row = self.pasted_rows.get(number - 1)
        if row is None:
            return _("Line %(n)d", n=number)
        return _("Line %(n)d (pasted row %(row)d)", n=number, row=row)

    def filled_lines(self) -> list[tuple[int, ReceiptLineForm]]:
        """(position, line form) of every line with something typed on it."""
        return [
            (index, entry.form)
            for index, entry in enumerate(self.lines.entries)
            if not entry.form.is_blank()
        ]

    def validate(self, extra_validators: Any = None) -> bool:
        """Field checks, then: at least one line, and not more than MAX_LINES."""
        valid = super().validate(extra_validators)
        if len(self.lines.entries) > MAX_LINES:
            self.form_errors.append(
                _l("A receipt has at most %(n)d lines; record the rest separately.", n=MAX_LINES)
            )
            valid = False
        elif not self.filled_lines():
            self.form_errors.append(_l("Enter at least one line."))
            valid = False
        return valid


class AdjustTargetForm(Form):
    """First step of an adjustment, sent by GET: the place and the item."""

    class Meta:
        csrf = False  # a GET form that changes nothing

    location_id = SelectField(_l("Location"), coerce=optional_id, validators=[DataRequired()])
    item = StringField(
        _l("Item code"),
        filters=[_strip],
        validators=[DataRequired(), Length(max=40)],
        render_kw=ITEM_CODE_INPUT,
    )


def reason_choice_value(reason_id: int, direction: AdjustmentDirection) -> str:
    """The value of one reason option: the reason and the direction it sets (``"6-out"``)."""
    return f"{reason_id}-{direction.value}"


def parse_reason_choice(value: str | None) -> tuple[int, AdjustmentDirection] | None:
    """The reason id and direction an option stands for, or None for the empty option."""
    reason_id, _sep, direction = (value or "").partition("-")
    if not reason_id.isascii() or not reason_id.isdigit():
        return None
    try:
        return int(reason_id), AdjustmentDirection(direction)
    except ValueError:
        return None


class AdjustForm(Form):
    """A reasoned correction of one lot at one place."""

    lot_id = SelectField(_l("Lot"), coerce=optional_id, validators=[DataRequired()])
    # One question, not two: each option is a reason with the direction it sets, so lost or
    # damaged goes out, found comes in, and a reason that may go either way is offered twice.
    reason = SelectField(
        _l("Reason"),
        validators=[DataRequired()],
        description=_l("The reason says whether stock goes out of this place or comes into it."),
    )
    quantity = IntegerField(
        _l("Quantity"),
        validators=[InputRequired(), NumberRange(min=1, max=MAX_QUANTITY)],
        render_kw={"min": 1, "inputmode": "numeric"},
    )
    occurred_on = DateField(
        _l("Date"),
        default=business_today,
        validators=[DataRequired(), _not_in_future],
        description=_l("The day it happened or was found; it may be in the past."),
    )
    note = TextAreaField(
        _l("Note"),
        validators=[DataRequired(), Length(max=2000)],
        description=_l("What happened, and who found or reported it."),
    )
    operation_key = OperationKeyField()
    submit = SubmitField(_l("Record adjustment"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.occurred_on.render_kw = {"max": _today_iso()}


class ReverseForm(Form):
    """Confirm a reversal: which lines (all by default), why, and on what date."""

    # Check boxes in the lines' table, one per line not yet reversed (movement ids); the
    # service refuses ids that are not lines of the transaction.
    lines = SelectMultipleField(
        _l("Lines to reverse"),
        coerce=str,
        validate_choice=False,
        validators=[DataRequired(message=_l("Choose at least one line to reverse."))],
    )
    note = TextAreaField(
        _l("Why is it reversed?"),
        validators=[DataRequired(), Length(max=2000)],
        description=_l("For example: entered twice, wrong warehouse, wrong quantity."),
    )
    occurred_on = DateField(
        _l("Date of the reversal"),
        default=business_today,
        validators=[DataRequired(), _not_in_future],
    )
    operation_key = OperationKeyField()
    submit = SubmitField(_l("Reverse this transaction"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.occurred_on.render_kw = {"max": _today_iso()}
