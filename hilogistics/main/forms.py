"""Forms of the page shell."""

from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length, Optional


class LanguageForm(FlaskForm):
    """The language switcher in the page header."""

    locale = StringField(validators=[DataRequired(), Length(max=8)])
    next = StringField(validators=[Optional(), Length(max=2000)])
