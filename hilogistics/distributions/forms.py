"""Forms of the distribution pages: record and correct (line entry), filters, return, print."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    DateField,
    FieldList,
    FormField,
    IntegerField,
    MonthField,
    SearchField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from hilogistics.dates import business_today
from hilogistics.distributions.labels import (
    HEADCOUNT_LABELS,
    PREPRINTED_LABELS,
    RECIPIENT_LABELS,
    SERVICE_LABELS,
    SIDE_LABELS,
    STATUS_LABELS,
)
from hilogistics.distributions.models import DistributionStatus, PreprintedStatus, RecipientType
from hilogistics.distributions.services._common import MAX_HEADCOUNT
from hilogistics.distributions.services.preprinting import MAX_PREPRINTED
from hilogistics.forms import Form, OperationKeyField, planning_date
from hilogistics.lines.fields import paste_field
from hilogistics.shipments.forms import DraftLineForm
from hilogistics.stock.forms_operations import _strip, optional_id
from hilogistics.stock.forms_pages import FilterForm

FIRST_LINES = 5
MORE_LINES = 5
MAX_FORM_LINES = 50
LINE_FIELDS = ("item", "lot", "quantity")
MAX_PASTE_TEXT = 100_000
MAX_UNRETURNED_DAYS = 3650


class DistributionLineForm(DraftLineForm):
    """One line handed out: item code, lot code (blank: suggested), quantity."""


def _choices(labels: dict, blank: str | None = None) -> list[SelectChoice]:
    choices = [SelectChoice(key.value, _l(label)) for key, label in labels.items()]
    return ([SelectChoice("", blank)] if blank is not None else []) + choices


def _headcount(name: str) -> IntegerField:
    return IntegerField(
        _l(HEADCOUNT_LABELS[name]),
        validators=[Optional(), NumberRange(min=0, max=MAX_HEADCOUNT)],
        render_kw={"min": 0, "inputmode": "numeric"},
    )


class LinesMixin:
    """Line-entry buttons shared by the record and correct forms."""

    def filled_lines(self) -> list[tuple[int, DistributionLineForm]]:
        """(position, line) of every line with something typed on it."""
        return [
            (index, entry.form)
            for index, entry in enumerate(self.lines.entries)  # type: ignore[attr-defined]
            if not entry.form.is_blank()
        ]


class DistributionForm(LinesMixin, Form):
    """A distribution: where and when, who received (a code), and the lines handed out."""

    location_id = SelectField(_l("Place"), coerce=optional_id, validators=[DataRequired()])
    distributed_on = DateField(
        _l("Date of the distribution"),
        default=business_today,
        validators=[DataRequired()],
        description=_l("It may be in the past (a slip keyed from paper), not in the future."),
    )
    slip_number = StringField(
        _l("Pre-printed slip number"),
        filters=[_strip],
        validators=[Optional(), Length(max=40)],
        description=_l(
            "Only for a slip printed in advance and filled in by hand: its number, so that the "
            "paper and the record match. Leave blank to number a new slip."
        ),
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    recipient_type = SelectField(
        _l("Who received"),
        choices=_choices(RECIPIENT_LABELS),
        default=RecipientType.PATIENT.value,
    )
    recipient_ref = StringField(
        _l("Recipient code"),
        filters=[_strip],
        validators=[Optional(), Length(max=40)],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    service = SelectField(
        _l("Service (patient fitting)"),
        choices=_choices(SERVICE_LABELS, _l("— not a fitting —")),
        default="",
    )
    side = SelectField(
        _l("Side (patient fitting)"),
        choices=_choices(SIDE_LABELS, _l("— not a fitting —")),
        default="",
    )
    girls = _headcount("girls")
    boys = _headcount("boys")
    women = _headcount("women")
    men = _headcount("men")
    older_women = _headcount("older_women")
    older_men = _headcount("older_men")
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
    lines = FieldList(
        FormField(DistributionLineForm), min_entries=FIRST_LINES, max_entries=MAX_FORM_LINES + 1
    )
    paste = paste_field(
        _l("Rows copied from a spreadsheet"),
        _l("Columns: item code, quantity, lot code; a header row is recognised and skipped."),
        rows=5,
        max_length=MAX_PASTE_TEXT,
    )
    operation_key = OperationKeyField()
    submit = SubmitField(_l("Record the distribution"))
    add_lines = SubmitField(_l("Add 5 more lines"))
    suggest_lots = SubmitField(_l("Suggest lots, first expiry first out"))
    show_paste = SubmitField(_l("Show the pasted rows as lines"))
    show_lines = SubmitField(_l("Put these lines into the distribution"))


class CorrectionForm(LinesMixin, Form):
    """The lines as the signed paper says, and what differs."""

    note = TextAreaField(
        _l("What differs on the paper?"),
        validators=[Optional(), Length(max=2000)],
        description=_l("For example: the recipient took 4, not 5; a different lot was handed."),
    )
    lines = FieldList(
        FormField(DistributionLineForm), min_entries=FIRST_LINES, max_entries=MAX_FORM_LINES + 1
    )
    operation_key = OperationKeyField()
    submit = SubmitField(_l("Record the correction"))
    add_lines = SubmitField(_l("Add 5 more lines"))
    suggest_lots = SubmitField(_l("Suggest lots, first expiry first out"))


class DistributionFilterForm(FilterForm):
    """Filters of the distributions list (places are filled in by the view)."""

    q = SearchField(_l("Slip number or recipient code"), validators=[Optional(), Length(max=40)])
    location = SelectField(_l("Place"), default="")
    recipient_type = SelectField(
        _l("Who received"), default="", choices=_choices(RECIPIENT_LABELS, _l("Anyone"))
    )
    status = SelectField(
        _l("Slip"),
        default="",
        choices=[
            SelectChoice("", _l("Returned or not")),
            *(SelectChoice(s.value, _l(STATUS_LABELS[s])) for s in DistributionStatus),
        ],
    )
    date_from = DateField(_l("From date"), validators=[Optional(), planning_date])
    date_to = DateField(_l("To date"), validators=[Optional(), planning_date])


class PlaceFilterForm(FilterForm):
    """The place a list of slips not returned is narrowed to."""

    location = SelectField(_l("Place"), default="")


class UnreturnedFilterForm(PlaceFilterForm):
    """The place and the age of the slips not returned to list."""

    days = IntegerField(
        _l("Not returned for more than (days)"),
        validators=[
            Optional(),
            NumberRange(min=0, max=MAX_UNRETURNED_DAYS, message=_l("Enter 0 to 3650 days.")),
        ],
    )


class PreprintForm(Form):
    """Reserve numbers and print blank slips for a planned session."""

    location_id = SelectField(_l("Place"), coerce=optional_id, validators=[DataRequired()])
    planned_on = DateField(
        _l("Day of the session"),
        default=business_today,
        validators=[DataRequired(), planning_date],
    )
    count = IntegerField(
        _l("Number of blank slips"),
        default=10,
        validators=[DataRequired(), NumberRange(min=1, max=MAX_PREPRINTED)],
        render_kw={"min": 1, "max": MAX_PREPRINTED, "inputmode": "numeric"},
    )
    operation_key = OperationKeyField()
    submit = SubmitField(_l("Reserve the numbers and print the blank slips"))


class PreprintedChoiceForm(Form):
    """Pre-printed numbers ticked in the list, to print again or to void with a reason."""

    slip_ids = SelectMultipleField(_l("Slips"), coerce=int, choices=[], validate_choice=False)
    note = StringField(
        _l("Why are these numbers not used?"),
        filters=[_strip],
        validators=[Optional(), Length(max=500)],
        description=_l("Needed to void: for example, the session was cancelled."),
    )
    print_chosen = SubmitField(_l("Print the ticked blank slips again"))
    void = SubmitField(_l("Void the ticked numbers"))


class PreprintedFilterForm(FilterForm):
    """The place and status of the pre-printed slips listed."""

    location = SelectField(_l("Place"), default="")
    status = SelectField(
        _l("Status"),
        default=PreprintedStatus.RESERVED.value,
        choices=[
            SelectChoice("", _l("Any status")),
            *(SelectChoice(s.value, _l(PREPRINTED_LABELS[s])) for s in PreprintedStatus),
        ],
    )


class SummaryFilterForm(FilterForm):
    """The month and place of a monthly distribution summary (places filled in by the view)."""

    month = MonthField(
        _l("Month"),
        default=lambda: business_today().replace(day=1),
        validators=[DataRequired(), planning_date],
        description=_l("Year and month, for example 2026-11."),
    )
    location = SelectField(_l("Place"), default="")


class RecipientSearchForm(FilterForm):
    """A recipient code whose distributions to list."""

    ref = SearchField(_l("Recipient code"), validators=[Optional(), Length(max=40)])


class ReturnedForm(Form):
    """Mark the signed slip returned."""

    returned_on = DateField(
        _l("Date the signed slip came back"), default=business_today, validators=[DataRequired()]
    )
    note = StringField(_l("Note"), filters=[_strip], validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Mark signed and returned"))


class PrintDayForm(Form):
    """Print every slip of a place on a day as one PDF."""

    location_id = SelectField(_l("Place"), coerce=optional_id, validators=[DataRequired()])
    day = DateField(_l("Day"), default=business_today, validators=[DataRequired()])
    submit = SubmitField(_l("Print the day's slips"))


class LinesFileForm(Form):
    """A CSV or XLSX file of lines (item code, quantity, lot code) to preview."""

    file = FileField(
        _l("File of lines"),
        validators=[
            FileRequired(_l("Choose a file.")),
            FileAllowed(["csv", "xlsx"], _l("Choose a .csv or .xlsx file.")),
        ],
        description=_l("CSV (UTF-8) or XLSX with the columns of the template."),
        render_kw={"accept": ".csv,.xlsx"},
    )
    submit = SubmitField(_l("Check the file"))


class PrintForm(Form):
    """One logged print of a slip."""


def enum_or_none(enum_class: type, value: str | None) -> object:
    """The enum member a select's value names, or None for a blank or unknown one."""
    try:
        return enum_class(value) if value else None
    except ValueError:
        return None


__all__ = [
    "CorrectionForm",
    "DistributionFilterForm",
    "DistributionForm",
    "LinesFileForm",
    "PlaceFilterForm",
    "PreprintForm",
    "PreprintedChoiceForm",
    "PreprintedFilterForm",
    "PrintDayForm",
    "PrintForm",
    "RecipientSearchForm",
    "ReturnedForm",
    "UnreturnedFilterForm",
    "SummaryFilterForm",
    "enum_or_none",
]
