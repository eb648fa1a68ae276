"""The form that corrects a lot's expiry date (input shape only; the service checks the rest)."""

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from hilogistics.forms import Form, planning_date


class LotExpiryForm(Form):
    """The right expiry date, and where it was read."""

    expires_on = DateField(
        _l("Correct expiry date"),
        validators=[DataRequired(message=_l("Enter the correct expiry date.")), planning_date],
    )
    reason = TextAreaField(
        _l("Why is the date corrected?"),
        validators=[
            DataRequired(
                message=_l("Say why the date is corrected (where the right date was read).")
            ),
            Length(max=2000),
        ],
        description=_l("For example: mistyped on receipt; the packaging reads 2027-03-31."),
    )
    submit = SubmitField(_l("Correct the expiry date"))
