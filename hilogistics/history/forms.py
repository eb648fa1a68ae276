"""The administrators' search of the change history (a GET form)."""

from flask_babel import lazy_gettext as _l
from wtforms import DateField, IntegerField, SelectChoice, SelectField
from wtforms.validators import NumberRange, Optional

from hilogistics.forms import Form, planning_date
from hilogistics.history.labels import RECORD_TYPE_LABELS
from hilogistics.inputs import DB_INT_MAX

SYSTEM_CHOICE = "system"


class HistorySearchForm(Form):
    """Record type, record, who and dates, read from the query string."""

    class Meta:
        """A GET form: nothing to protect from cross-site requests."""

        csrf = False

    record_type = SelectField(
        _l("Record type"),
        default="",
        choices=[
            SelectChoice("", _l("All record types")),
            *(SelectChoice(value, label) for value, label in RECORD_TYPE_LABELS.items()),
        ],
    )
    record_id = IntegerField(
        _l("Record number"),
        validators=[Optional(), NumberRange(min=1, max=DB_INT_MAX)],
        description=_l("With a record type: the changes of that one record."),
    )
    actor = SelectField(_l("Changed by"), default="")
    date_from = DateField(_l("From date"), validators=[Optional(), planning_date])
    date_to = DateField(
        _l("To date"),
        validators=[Optional(), planning_date],
        description=_l("Dates are whole days in UTC."),
    )
