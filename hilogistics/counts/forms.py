"""Forms of the count pages: list filter, opening, keyed lines, recounts, post, abandon, print."""

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    DateField,
    FieldList,
    FormField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from hilogistics.counts.labels import STATUS_LABELS
from hilogistics.counts.models import CountStatus
from hilogistics.counts.services.opening import MAX_THRESHOLD
from hilogistics.dates import business_today
from hilogistics.forms import Form, OperationKeyField, planning_date
from hilogistics.lines.fields import TypedDateField, paste_field
from hilogistics.stock.forms_operations import _not_in_future, _strip, line_item_field, optional_id
from hilogistics.stock.forms_pages import FilterForm
from hilogistics.stock.ledger import MAX_QUANTITY

# The sheet's lots not counted yet that one entry page offers, and the blank lines after them.
SHEET_BATCH = 100
MORE_LINES = 10
# 5 inputs a line: a page stays well under the request's limit of form parts (MAX_FORM_PARTS).
MAX_FORM_LINES = 150
LINE_FIELDS = ("item", "lot_code", "expires_on", "counted", "lot_id")


class CountFilterForm(FilterForm):
    """Filter of the counts list: by status."""

    status = SelectField(
        _l("Status"),
        default="",
        choices=[
            SelectChoice("", _l("Any status")),
            *(SelectChoice(s.value, STATUS_LABELS[s]) for s in CountStatus),
        ],
    )


class MultiCheckboxField(SelectMultipleField):
    """Several choices as a list of check boxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class OpenCountForm(Form):
    """Open a count: the place, the categories (none: all), the recount thresholds, a note."""

    location_id = SelectField(_l("Place"), coerce=optional_id, validators=[DataRequired()])
    category_ids = MultiCheckboxField(
        _l("Categories"),
        coerce=optional_id,
        description=_l("Leave all unticked to count the whole place."),
    )
    recount_quantity = IntegerField(
        _l("Recount when the difference is more than (units)"),
        validators=[Optional(), NumberRange(min=0, max=MAX_THRESHOLD)],
        render_kw={"min": 0, "inputmode": "numeric"},
    )
    recount_percent = IntegerField(
        _l("or more than this percentage of the system balance"),
        validators=[Optional(), NumberRange(min=0, max=MAX_THRESHOLD)],
        render_kw={"min": 0, "inputmode": "numeric"},
    )
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Open the count"))


class CountLineForm(Form):
    """One keyed line: item code, lot code, expiry (a lot found), the quantity counted."""

    class Meta:
        csrf = False  # the enclosing form carries the token

    item = line_item_field()
    lot_code = StringField(
        _l("Lot code"),
        filters=[_strip],
        validators=[Optional(), Length(max=64)],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    expires_on = TypedDateField(_l("Expiry date"), validators=[Optional(), planning_date])
    counted = IntegerField(
        _l("Counted"),
        validators=[Optional(), NumberRange(min=0, max=MAX_QUANTITY)],
        render_kw={"min": 0, "inputmode": "numeric"},
    )
    # A lot of the sheet, by id: set on the lines the page offers, never typed.
    lot_id = HiddenField()

    def _typed(self, name: str) -> str:
        return ((getattr(self, name).raw_data or [""])[0] or "").strip()

    def is_blank(self) -> bool:
        """True when nothing is counted on a sheet line, or nothing typed on another line."""
        if self._typed("counted"):
            return False
        if self._typed("lot_id"):
            return True  # a lot of the sheet, not counted (yet)
        return not any(self._typed(name) for name in ("item", "lot_code", "expires_on"))

    def validate(self, extra_validators: Any = None) -> bool:
        """Field checks, then: a line with anything on it needs an item and a counted quantity."""
        valid = super().validate(extra_validators)  # type: ignore[misc]
        if self.is_blank():
            return valid
        if not self.item.data:
            self.item.errors.append(_l("Enter the item code."))
            valid = False
        if not self.counted.errors and self.counted.data is None:
            self.counted.errors.append(_l("Enter the quantity counted (0 when there is none)."))
            valid = False
        return valid


class CountLinesForm(Form):
    """Keyed counted quantities: the sheet's lots not counted yet, and lines for lots found."""

    lines = FieldList(FormField(CountLineForm), max_entries=MAX_FORM_LINES + 1)
    paste = paste_field(
        _l("Rows copied from a spreadsheet"),
        _l(
            "Columns: item code, lot code, expiry date, counted; a header row is recognised "
            "and skipped."
        ),
    )
    file = FileField(
        _l("Count file (CSV or XLSX)"),
        description=_l("Columns: item code, lot code, expiry date, counted."),
    )
    carry_down = HiddenField()
    submit = SubmitField(_l("Save the counted quantities"))
    add_lines = SubmitField(_l("Add 10 more lines"))
    show_paste = SubmitField(_l("Show the pasted rows as lines"))
    show_file = SubmitField(_l("Show the file's rows as lines"))
    repeat_lot = SubmitField(_l("Repeat a blank lot and expiry from the line above"))

    def filled_lines(self) -> list[tuple[int, CountLineForm]]:
        """(position, line) of every line with something to record."""
        return [
            (index, entry.form)
            for index, entry in enumerate(self.lines.entries)
            if not entry.form.is_blank()
        ]


class RecountLineForm(Form):
    """A second person's figure for one line."""

    class Meta:
        csrf = False  # the enclosing form carries the token

    line_id = HiddenField()
    counted = IntegerField(
        _l("Recounted"),
        validators=[Optional(), NumberRange(min=0, max=MAX_QUANTITY)],
        render_kw={"min": 0, "inputmode": "numeric"},
    )


class RecountForm(Form):
    """Recounts of the lines whose difference is above the threshold."""

    lines = FieldList(FormField(RecountLineForm), max_entries=MAX_FORM_LINES)
    submit = SubmitField(_l("Save the recounts"))


class PostCountForm(Form):
    """Approve and post the count's differences."""

    occurred_on = DateField(
        _l("Date of the count"),
        default=business_today,
        validators=[DataRequired(), _not_in_future],
        description=_l("The day the stock was counted; it may be in the past, not in the future."),
    )
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
    operation_key = OperationKeyField()
    submit = SubmitField(_l("Post the differences"))


class AbandonCountForm(Form):
    """Abandon a count: nothing is posted."""

    reason = TextAreaField(
        _l("Why is it abandoned?"), validators=[DataRequired(), Length(max=2000)]
    )
    submit = SubmitField(_l("Abandon this count"))


class PrintSheetForm(Form):
    """One print of the blind count sheet (logged: COPY n from the second on)."""
