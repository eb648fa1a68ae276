"""Forms of the page shell."""

from wtforms import StringField
from wtforms.validators import DataRequired, Length, Optional

from hilogistics.forms import Form


class LanguageForm(Form):
    """The language switcher in the page header."""

    locale = StringField(validators=[DataRequired(), Length(max=8)])
    next = StringField(validators=[Optional(), Length(max=2000)])
