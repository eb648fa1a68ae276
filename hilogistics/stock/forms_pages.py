"""Forms of the stock pages: GET filters (no CSRF) and the reorder-level editor (shape only)."""

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    FormField,
    HiddenField,
    IntegerField,
    SearchField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from hilogistics.forms import BoundedFieldList, Form, planning_date
from hilogistics.stock.labels import SORT_LABELS, TRANSACTION_KIND_LABELS
from hilogistics.stock.ledger import MAX_QUANTITY
from hilogistics.stock.models import TransactionKind
from hilogistics.stock.queries import MAX_PER_PAGE

MAX_EXPIRY_DAYS = 3650


class FilterForm(Form):
    """A GET form read from the query string: no CSRF token, bad values fall back to defaults."""

    class Meta:
        csrf = False

    def __init__(self, formdata: Any, **kwargs: Any) -> None:
        super().__init__(formdata=formdata, **kwargs)

    def validate_or_default(self) -> bool:
        """Validate; put every field that fails back to its default (its errors stay shown)."""
        valid = self.validate()
        for item in self:
            if item.errors:
                default = item.default() if callable(item.default) else item.default
                item.data = default
        return valid


class ItemSearchForm(FilterForm):
    """The quick item search on the stock overview."""

    q = SearchField(
        _l("Find an item by code or name"),
        validators=[Optional(), Length(max=100)],
        description=_l("Any language; a scanned code opens the item."),
    )


class PlaceFilterForm(FilterForm):
    """The place a list across places is narrowed to (choices filled in by the view)."""

    location = SelectField(_l("Place"), default="")


class ExpiringFilterForm(PlaceFilterForm):
    """The place and horizon of the list of lots expiring or expired on a shelf."""

    days = IntegerField(
        _l("Expiring within (days)"),
        default=90,
        validators=[
            Optional(),
            NumberRange(min=0, max=MAX_EXPIRY_DAYS, message=_l("Enter 0 to 3650 days.")),
        ],
    )


class OnHandFilterForm(FilterForm):
    """Filters and sort order of the stock-on-hand page (and its export)."""

    q = SearchField(_l("Code or name"), validators=[Optional(), Length(max=100)])
    category = SelectField(_l("Category"), default="")
    family = SelectField(_l("Family"), default="")
    days = IntegerField(
        _l("Expiring within (days)"),
        default=90,
        validators=[
            Optional(),
            NumberRange(min=0, max=MAX_EXPIRY_DAYS, message=_l("Enter 0 to 3650 days.")),
        ],
    )
    flagged = BooleanField(_l("Only items that need attention"))
    sort = SelectField(
        _l("Sort by"),
        default="code",
        choices=[SelectChoice(key, label) for key, label in SORT_LABELS.items()],
    )
    order = SelectField(
        _l("Order"),
        default="asc",
        choices=[SelectChoice("asc", _l("Ascending")), SelectChoice("desc", _l("Descending"))],
    )


class CardFilterForm(FilterForm):
    """The as-of date of a stock card."""

    as_of = DateField(
        _l("Balance as of"),
        validators=[Optional(), planning_date],
        description=_l("Leave empty for today's stock card."),
    )


class TransactionFilterForm(FilterForm):
    """Filters of the transaction list."""

    kind = SelectField(
        _l("Kind"),
        default="",
        choices=[
            SelectChoice("", _l("All kinds")),
            *(
                SelectChoice(kind.value, TRANSACTION_KIND_LABELS.get(kind, kind.value))
                for kind in TransactionKind
            ),
        ],
    )
    location = SelectField(_l("Location"), default="")
    date_from = DateField(_l("From date"), validators=[Optional(), planning_date])
    date_to = DateField(_l("To date"), validators=[Optional(), planning_date])
    reference = SearchField(
        _l("Reference"),
        validators=[Optional(), Length(max=120)],
        description=_l("Consignment, waybill or invoice number, or part of it."),
    )
    supplier = SearchField(_l("Supplier or donor"), validators=[Optional(), Length(max=200)])
    item = SearchField(
        _l("Item code or name"),
        validators=[Optional(), Length(max=100)],
        description=_l("Transactions with a line of this item."),
    )
    grant = SelectField(_l("Grant"), default="")


_LEVEL_RANGE = NumberRange(
    min=0, max=MAX_QUANTITY, message=_l("Enter a whole number from 0 to %(max)s.", max=MAX_QUANTITY)
)


class ReorderLevelRowForm(Form):
    """One item's minimum and maximum; both empty removes the level."""

    class Meta:
        csrf = False  # the enclosing form carries the token

    item_id = HiddenField()
    minimum = IntegerField(_l("Minimum"), validators=[Optional(), _LEVEL_RANGE])
    maximum = IntegerField(_l("Maximum"), validators=[Optional(), _LEVEL_RANGE])


class ReorderLevelsForm(Form):
    """The reorder levels of one page of items, saved together."""

    # The page shows at most MAX_PER_PAGE rows; a longer post is refused before parsing.
    rows = BoundedFieldList(FormField(ReorderLevelRowForm), max_entries=MAX_PER_PAGE)
    submit = SubmitField(_l("Save reorder levels"))


class AddReorderLevelForm(Form):
    """Set a level for an item not listed yet, found by its code."""

    item_code = StringField(
        _l("Item code"), validators=[DataRequired(), Length(max=40)], render_kw={"maxlength": 40}
    )
    minimum = IntegerField(_l("Minimum"), validators=[InputRequired(), _LEVEL_RANGE])
    maximum = IntegerField(
        _l("Maximum"),
        validators=[Optional(), _LEVEL_RANGE],
        description=_l("Optional; orders are suggested up to it."),
    )
    submit = SubmitField(_l("Add reorder level"))
