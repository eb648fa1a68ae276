"""Forms of the camp pages: list filter, opening a camp, the closing steps, printing the report."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from hilogistics.camps.labels import STATUS_LABELS
from hilogistics.camps.models import CampStatus
from hilogistics.camps.services import MAX_NAME, MAX_TEXT
from hilogistics.forms import Form, OperationKeyField, planning_date
from hilogistics.lines.fields import TypedDateField
from hilogistics.stock.forms_operations import _strip, optional_id
from hilogistics.stock.forms_pages import FilterForm


class CampFilterForm(FilterForm):
    """Filter of the camps list: by status."""

    status = SelectField(
        _l("Status"),
        default="",
        choices=[
            SelectChoice("", _l("Any status")),
            *(SelectChoice(s.value, _l(STATUS_LABELS[s])) for s in CampStatus),
        ],
    )


class OpenCampForm(Form):
    """Open a camp: its names, where, when, who goes, and the warehouse that supplies it."""

    name = StringField(
        _l("Name (English)"), filters=[_strip], validators=[DataRequired(), Length(max=MAX_NAME)]
    )
    name_ko = StringField(
        _l("Name (Korean)"), filters=[_strip], validators=[DataRequired(), Length(max=MAX_NAME)]
    )
    province_id = SelectField(_l("Province"), coerce=optional_id, validators=[DataRequired()])
    village = StringField(
        _l("Village or site"),
        filters=[_strip],
        validators=[DataRequired(), Length(max=MAX_NAME)],
    )
    starts_on = TypedDateField(_l("First day"), validators=[DataRequired(), planning_date])
    ends_on = TypedDateField(_l("Last day"), validators=[DataRequired(), planning_date])
    supplied_by_id = SelectField(
        _l("Supplying warehouse"),
        coerce=optional_id,
        validators=[DataRequired()],
        description=_l("Loads come from it and what remains returns to it."),
    )
    team = TextAreaField(
        _l("Team"),
        validators=[Optional(), Length(max=MAX_TEXT)],
        description=_l("The staff going: names and functions, as on the mission order."),
    )
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=MAX_TEXT)])
    operation_key = OperationKeyField()
    submit = SubmitField(_l("Open the camp"))


class StartClosingForm(Form):
    """Step 1 of closing: stop distributions and open the count of the camp."""

    # Starting cannot be undone: the camp refuses distributions from then on.
    confirmed = BooleanField(
        _l("I understand: the camp refuses distributions and loads from now on")
    )
    submit = SubmitField(_l("Start closing: open the count"))


class ReturnForm(Form):
    """Step 3 of closing: draft the return of what remains to the warehouse."""

    submit = SubmitField(_l("Draft the return to the warehouse"))


class CloseCampForm(Form):
    """Step 4 of closing: close the camp; its place accepts nothing more."""

    submit = SubmitField(_l("Close the camp"))


class PrintReportForm(Form):
    """One print of the camp report (logged: COPY n from the second on)."""

    submit = SubmitField(_l("Print the camp report (PDF)"))
