"""Sign-in, password and user administration forms (input shape only)."""

from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, Optional

from hilogistics.auth.labels import ROLE_LABELS
from hilogistics.forms import Form

PASSWORD_RULES = [
    DataRequired(),
    Length(min=8, message=_l("The password must have at least 8 characters.")),
    Length(max=1024, message=_l("The password must have at most 1024 characters.")),
]


class LoginForm(Form):
    """Username and password."""

    username = StringField(
        _l("Username"),
        validators=[DataRequired(), Length(max=64)],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField(_l("Sign in"))


class ChangePasswordForm(Form):
    """The current password, then the new one twice."""

    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired()],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = PasswordField(
        _l("New password"),
        validators=PASSWORD_RULES,
        description=_l("At least 8 characters. A few unrelated words make a strong password."),
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[
            DataRequired(),
            EqualTo("new_password", message=_l("The two passwords differ.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("Change password"))


class UserForm(Form):
    """Fields an administrator edits on any account."""

    display_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=120)])
    # No role is preselected: an account made in a hurry must not become an administrator.
    role = SelectField(
        _l("Role"),
        choices=[SelectChoice("", _l("— choose a role —"))]
        + [SelectChoice(role.value, label) for role, label in ROLE_LABELS.items()],
        validators=[InputRequired(message=_l("Choose a role."))],
    )
    location_id = SelectField(
        _l("Location"),
        coerce=lambda value: int(value) if value not in (None, "", "None") else None,
        validators=[Optional()],
        description=_l("Required for centre technicians: the one place whose stock they see."),
    )
    locale = SelectField(_l("Preferred language"), validators=[Optional()])
    submit = SubmitField(_l("Save"))


class CreateUserForm(UserForm):
    """A new account: a username and a first password as well."""

    username = StringField(
        _l("Username"),
        validators=[DataRequired(), Length(min=2, max=64)],
        description=_l("Letters, digits, dots, dashes or underscores. Used to sign in."),
        render_kw={"autocomplete": "off"},
    )
    password = PasswordField(
        _l("First password"),
        validators=PASSWORD_RULES,
        description=_l("At least 8 characters. Give it to the person privately."),
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("Create account"))


class ResetPasswordForm(Form):
    """A new password chosen by an administrator."""

    new_password = PasswordField(
        _l("New password"),
        validators=PASSWORD_RULES,
        description=_l("At least 8 characters. The person is signed out everywhere."),
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("Set password"))


class ConfirmForm(Form):
    """An empty form: the CSRF token and a button, for confirmed actions."""

    submit = SubmitField(_l("Confirm"))
