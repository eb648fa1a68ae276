"""Forms of the stock operations: receipts (with lines), adjustments and reversals (shape only)."""

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    FieldList,
    FormField,
    IntegerField,
    SelectChoice,
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
from hilogistics.stock.labels import DIRECTION_LABELS
from hilogistics.stock.ledger import MAX_QUANTITY

FIRST_LINES = 5
MORE_LINES = 5
MAX_LINES = 100
MAX_SERIALS_TEXT = 20_000


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

    item = StringField(
        _l("Item code"),
        filters=[_strip],
        validators=[Optional(), Length(max=40)],
        render_kw={"list": "item-codes", "autocomplete": "off", "spellcheck": "false"},
    )
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
    expires_on = DateField(_l("Expiry date"), validators=[Optional(), planning_date])
    serials = TextAreaField(
        _l("Serial numbers"),
        validators=[Optional(), Length(max=MAX_SERIALS_TEXT)],
        render_kw={"rows": 2, "spellcheck": "false"},
    )

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
        """The serial numbers, one per line, blanks dropped."""
        return [line.strip() for line in (self.serials.data or "").splitlines() if line.strip()]


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
    operation_key = OperationKeyField()
    add_lines = SubmitField(_l("Add 5 more lines"))
    submit = SubmitField(_l("Record receipt"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.occurred_on.render_kw = {"max": _today_iso()}

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
        render_kw={"list": "item-codes", "autocomplete": "off", "spellcheck": "false"},
    )


DIRECTION_CHOICES = [
    SelectChoice("", _l("— choose —")),
] + [SelectChoice(direction.value, label) for direction, label in DIRECTION_LABELS.items()]


class AdjustForm(Form):
    """A reasoned correction of one lot at one place."""

    lot_id = SelectField(_l("Lot"), coerce=optional_id, validators=[DataRequired()])
    direction = SelectField(
        _l("Direction"), choices=DIRECTION_CHOICES, validators=[InputRequired()]
    )
    reason_id = SelectField(
        _l("Reason"),
        coerce=optional_id,
        validators=[DataRequired()],
        description=_l("It must fit the direction: lost or damaged goes out, found comes in."),
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
