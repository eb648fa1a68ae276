"""Catalogue forms: items, categories, units, the item filters and the import upload."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
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

from hilogistics.catalogue.importing import EXTENSIONS
from hilogistics.catalogue.labels import KIND_LABELS
from hilogistics.catalogue.queries import ItemStatus
from hilogistics.catalogue.services import MAX_PACK_SIZE
from hilogistics.forms import Form

FAMILIES_LIST_ID = "item-families"


def optional_id(value: object) -> int | None:
    """Coerce a select's value to an id, or None for the empty choice."""
    if value in (None, "", "None"):
        return None
    return int(value)  # type: ignore[call-overload]


class ItemForm(Form):
    """Every editable field of an item."""

    code = StringField(
        _l("Code"),
        validators=[DataRequired(), Length(max=40)],
        description=_l(
            "Unique, e.g. ORT-FOOT-SACH-24. Letters, digits, dashes, underscores or dots; "
            "stored in capitals."
        ),
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
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
    )
    category_id = SelectField(_l("Category"), coerce=optional_id, validators=[InputRequired()])
    unit_id = SelectField(
        _l("Unit of issue"),
        coerce=optional_id,
        validators=[InputRequired()],
        description=_l("Quantities are whole numbers of this unit. Fixed once stock is recorded."),
    )
    pack_size = IntegerField(
        _l("Units per carton"),
        default=1,
        validators=[InputRequired(), NumberRange(min=1, max=MAX_PACK_SIZE)],
        description=_l("How many units of issue one carton or pack holds (1 if not packed)."),
        render_kw={"inputmode": "numeric", "min": 1},
    )
    kind = SelectField(
        _l("Kind"),
        choices=[SelectChoice(kind.value, label) for kind, label in KIND_LABELS.items()],
        validators=[InputRequired()],
        description=_l("Consumables are used up; equipment is kept and can carry serial numbers."),
    )
    tracks_expiry = BooleanField(_l("Track expiry dates"))
    tracks_serial = BooleanField(_l("Track serial numbers (equipment only)"))
    family = StringField(
        _l("Family"),
        validators=[Optional(), Length(max=64)],
        description=_l(
            "Optional. Groups size and side variants, e.g. every SACH foot from 22 to 28."
        ),
        render_kw={"list": FAMILIES_LIST_ID, "autocomplete": "off"},
    )
    is_active = BooleanField(_l("Active (can be received, requested and issued)"), default=True)
    submit = SubmitField(_l("Save item"))


class ItemFilterForm(Form):
    """The item list's search and filters, read from the query string."""

    class Meta:
        """A GET form: nothing to protect from cross-site requests."""

        csrf = False

    q = SearchField(
        _l("Search code or name, in any language"),
        validators=[Optional(), Length(max=100)],
        render_kw={"maxlength": 100},
    )
    category = SelectField(_l("Category"), coerce=optional_id, validators=[Optional()])
    family = StringField(
        _l("Family"),
        validators=[Optional(), Length(max=64)],
        render_kw={"list": FAMILIES_LIST_ID, "autocomplete": "off"},
    )
    status = SelectField(
        _l("Status"),
        choices=[
            SelectChoice(ItemStatus.ALL.value, _l("Active and inactive")),
            SelectChoice(ItemStatus.ACTIVE.value, _l("Active only")),
            SelectChoice(ItemStatus.INACTIVE.value, _l("Inactive only")),
        ],
        validators=[Optional()],
    )


class CategoryForm(Form):
    """A category's code, names, parent and position."""

    code = StringField(
        _l("Code"),
        validators=[DataRequired(), Length(max=32)],
        description=_l("Unique, e.g. ORTHO-PROS. Stored in capitals."),
        render_kw={"autocomplete": "off", "spellcheck": "false"},
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
    )
    parent_id = SelectField(
        _l("Parent category"),
        coerce=optional_id,
        validators=[Optional()],
        description=_l("Leave empty for a top-level category. Categories have two levels at most."),
    )
    sort_order = IntegerField(
        _l("Position in lists"),
        default=0,
        validators=[Optional(), NumberRange(min=0, max=9999)],
        description=_l("Lower numbers come first."),
        render_kw={"inputmode": "numeric", "min": 0},
    )
    submit = SubmitField(_l("Save category"))


class UnitForm(Form):
    """A unit of issue's code and names."""

    code = StringField(
        _l("Code"),
        validators=[DataRequired(), Length(max=16)],
        description=_l("Unique, e.g. piece, pair, kg. Stored in small letters."),
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    name = StringField(_l("Name in English"), validators=[DataRequired(), Length(max=60)])
    name_ko = StringField(
        _l("Name in Korean"),
        validators=[DataRequired(), Length(max=60)],
        render_kw={"lang": "ko"},
    )
    name_fr = StringField(
        _l("Name in French"),
        validators=[Optional(), Length(max=60)],
        render_kw={"lang": "fr"},
    )
    submit = SubmitField(_l("Save unit"))


class ImportItemsForm(Form):
    """The CSV or XLSX file to import."""

    file = FileField(
        _l("File to import"),
        validators=[
            FileRequired(_l("Choose a file.")),
            FileAllowed(list(EXTENSIONS), _l("Choose a .csv or .xlsx file.")),
        ],
        description=_l(
            "CSV (UTF-8) or XLSX with the columns of the export: code, name, name_ko, name_fr, "
            "category, unit, pack_size, kind, tracks_expiry, tracks_serial, family, active."
        ),
        render_kw={"accept": ".csv,.xlsx"},
    )
    submit = SubmitField(_l("Check the file"))


class ConfirmImportForm(Form):
    """The button that applies a previewed import."""

    submit = SubmitField(_l("Import these rows"))
