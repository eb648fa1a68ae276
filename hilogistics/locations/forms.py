"""Location and province forms (input shape only; the services check the business rules)."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    IntegerField,
    SearchField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from hilogistics.forms import Form
from hilogistics.locations.labels import KIND_LABELS
from hilogistics.locations.models import MAX_TARGET_MONTHS, LocationKind

# Physical kinds in the order people pick them.
PHYSICAL_KIND_ORDER = (
    LocationKind.WAREHOUSE,
    LocationKind.CENTRE,
    LocationKind.SCHOOL,
    LocationKind.CAMP,
)


def optional_id(value: object) -> int | None:
    """Coerce a select's submitted id; the empty option means none."""
    if value in (None, "", "None"):
        return None
    return int(value)  # type: ignore[call-overload]  # ValueError becomes a field error


def kind_choices() -> list[SelectChoice]:
    """The physical kinds, labelled in the reader's language."""
    return [SelectChoice(kind.value, KIND_LABELS[kind]) for kind in PHYSICAL_KIND_ORDER]


class LocationForm(Form):
    """A warehouse, centre, school or camp; the view fills the province and supplier lists."""

    code = StringField(
        _l("Code"),
        validators=[DataRequired(), Length(max=32)],
        description=_l("Short and unique, e.g. WH-PY or CTR-HAMHUNG. Stored in capitals."),
    )
    kind = SelectField(_l("Kind"), choices=kind_choices(), validators=[InputRequired()])
    name = StringField(_l("Name in English"), validators=[DataRequired(), Length(max=200)])
    name_ko = StringField(
        _l("Name in Korean"),
        validators=[DataRequired(), Length(max=200)],
        render_kw={"lang": "ko"},
    )
    name_fr = StringField(
        _l("Name in French"),
        validators=[Optional(), Length(max=200)],
        render_kw={"lang": "fr"},
        description=_l("Optional: without it, French readers see the English name."),
    )
    province_id = SelectField(_l("Province"), coerce=optional_id, validators=[InputRequired()])
    supplied_by_id = SelectField(
        _l("Supplied by"),
        coerce=optional_id,
        validators=[Optional()],
        description=_l("The warehouse that normally sends stock here."),
    )
    target_months = IntegerField(
        _l("Target months of stock"),
        default=3,
        validators=[Optional(), NumberRange(min=1, max=MAX_TARGET_MONTHS)],
        render_kw={"min": 1, "max": MAX_TARGET_MONTHS, "inputmode": "numeric"},
        description=_l(
            "How many months of use a requisition from here aims to hold (e.g. 6 for a remote "
            "camp). Blank: as it was (3 for a new place)."
        ),
    )
    is_active = BooleanField(_l("Active"), default=True)
    submit = SubmitField(_l("Save"))


class LocationFilterForm(Form):
    """Filters of the locations list, read from the query string (no CSRF: a GET search)."""

    class Meta:
        csrf = False

    q = SearchField(_l("Code or name"), validators=[Optional(), Length(max=100)])
    kind = SelectField(_l("Kind"), default="", validators=[Optional()])
    province = SelectField(_l("Province"), coerce=optional_id, validators=[Optional()])
    status = SelectField(
        _l("Status"),
        default="",
        choices=[
            SelectChoice("", _l("Active and inactive")),
            SelectChoice("active", _l("Active only")),
            SelectChoice("inactive", _l("Inactive only")),
        ],
        validators=[Optional()],
    )


class ProvinceForm(Form):
    """The capital or a province: code, names and place in lists."""

    code = StringField(
        _l("Code"),
        validators=[DataRequired(), Length(max=16)],
        description=_l("Short and unique, e.g. SHG. Stored in capitals."),
    )
    name = StringField(_l("Name in English"), validators=[DataRequired(), Length(max=120)])
    name_ko = StringField(
        _l("Name in Korean"),
        validators=[DataRequired(), Length(max=120)],
        render_kw={"lang": "ko"},
    )
    name_fr = StringField(
        _l("Name in French"),
        validators=[Optional(), Length(max=120)],
        render_kw={"lang": "fr"},
        description=_l("Optional: without it, French readers see the English name."),
    )
    sort_order = IntegerField(
        _l("Position in lists"),
        default=0,
        validators=[InputRequired(), NumberRange(min=0, max=9999)],
        description=_l("Smaller numbers come first."),
    )
    submit = SubmitField(_l("Save"))
