"""Grant forms (input shape only; ``save_grant`` checks the period and the code)."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length

from hilogistics.forms import Form, planning_date


class GrantForm(Form):
    """A donor's grant and the period it covers."""

    donor = StringField(
        _l("Donor"),
        validators=[DataRequired(), Length(max=120)],
        description=_l("The organisation that funds the grant, e.g. ECHO or a national agency."),
    )
    code = StringField(
        _l("Grant code"),
        validators=[DataRequired(), Length(max=40)],
        description=_l("The donor's reference, as written on the contract."),
    )
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    starts_on = DateField(
        _l("Starts on"),
        validators=[InputRequired(), planning_date],
        invalid_value_message=_l("Enter a date as year-month-day, e.g. 2026-01-31."),
    )
    ends_on = DateField(
        _l("Ends on"),
        validators=[InputRequired(), planning_date],
        invalid_value_message=_l("Enter a date as year-month-day, e.g. 2026-12-31."),
    )
    is_active = BooleanField(_l("Active"), default=True)
    submit = SubmitField(_l("Save"))
