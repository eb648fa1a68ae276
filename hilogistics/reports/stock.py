"""Stock on hand by place, category and grant, today or at the end of a past date.

Today's figures are the ledger's stock summaries (one row per place, item and grant, kept as
stock is posted), read as they are. A past date's are the summaries less every movement dated
after it (in at the place: subtracted; out of it: added back), read through the index on the
movements' date: the later the date, the fewer movements are read, and the whole ledger is
never summed.
"""

from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, literal_column, or_, select, union_all
from wtforms import DateField, SelectField
from wtforms.validators import Optional

from hilogistics.auth.models import User
from hilogistics.catalogue.models import Category, Item, Unit
from hilogistics.db import db, localised_name
from hilogistics.forms import planning_date
from hilogistics.locations.models import PHYSICAL_KINDS, Location
from hilogistics.reports.choices import chosen_id, fill_categories, fill_grants, fill_places
from hilogistics.reports.framework import Column, Report, place_scope
from hilogistics.stock.forms_pages import FilterForm
from hilogistics.stock.models import Grant, Lot, Movement, StockSummary


class StockFilterForm(FilterForm):
    """Place, category, grant and the date of the report."""

    location = SelectField(_l("Place"), default="")
    category = SelectField(_l("Category"), default="")
    grant = SelectField(_l("Grant"), default="")
    as_of = DateField(
        _l("Stock as of"),
        validators=[Optional(), planning_date],
        description=_l("At the end of this day; leave empty for today."),
    )


def quantities(as_of: date, places: Select[Any]) -> Any:
    """Subquery (location_id, item_id, grant_key, quantity): the summaries wound back to ``as_of``.

    Today's stock per place, item and grant (the ledger's summaries) at ``places``, less every
    movement there dated after ``as_of`` (in: subtracted; out: added back), summed per key.
    The movements are read through the covering index on their date, then each is given its
    lot's grant (the planner otherwise walked every lot and read the movements' rows).
    """
    now = select(
        StockSummary.location_id.label("location_id"),
        StockSummary.item_id.label("item_id"),
        StockSummary.grant_key.label("grant_key"),
        StockSummary.quantity.label("quantity"),
    ).where(StockSummary.quantity != 0, StockSummary.location_id.in_(places))
    moved = union_all(
        select(
            Movement.to_location_id.label("location_id"),
            Movement.item_id.label("item_id"),
            Movement.lot_id.label("lot_id"),
            (-Movement.quantity).label("quantity"),
        ).where(Movement.occurred_on > as_of, Movement.to_location_id.in_(places)),
        select(
            Movement.from_location_id,
            Movement.item_id,
            Movement.lot_id,
            Movement.quantity,
        ).where(Movement.occurred_on > as_of, Movement.from_location_id.in_(places)),
    ).subquery("moved")
    since = select(
        moved.c.location_id,
        moved.c.item_id,
        func.coalesce(Lot.grant_id, literal_column("0")),
        moved.c.quantity,
    ).join(Lot, Lot.id == moved.c.lot_id)
    rows = union_all(now, since).subquery("wound")
    return (
        select(
            rows.c.location_id,
            rows.c.item_id,
            rows.c.grant_key,
            func.sum(rows.c.quantity).label("quantity"),
        )
        .group_by(rows.c.location_id, rows.c.item_id, rows.c.grant_key)
        .having(func.sum(rows.c.quantity) != 0)
        .subquery("quantities")
    )


class StockReport(Report):
    """Stock on hand per place, item and grant."""

    name = "stock"
    title = _l("Stock on hand by place, category and grant")
    description = _l("Today, or at the end of a past date (worked back from the movements).")
    form_class = StockFilterForm

    def columns(self, form: FilterForm) -> list[Column]:  # noqa: D102
        return [
            Column("place", _l("Place"), width=18),
            Column("category", _l("Category"), width=16),
            Column("code", _l("Code"), width=16),
            Column("item", _l("Item"), width=24),
            Column("unit", _l("Unit"), width=8),
            Column("grant", _l("Grant"), width=12),
            Column("quantity", _l("On hand"), numeric=True, width=10),
        ]

    def prepare(self, form: FilterForm, user: User, locale: str) -> None:  # noqa: D102
        fill_places(form.location, user, locale)
        fill_categories(form.category, locale)
        fill_grants(form.grant)

    def _source(self, form: FilterForm, user: User) -> Any:
        """The rows (location_id, item_id, grant_key, quantity) of the places ``user`` may see."""
        location_id = chosen_id(form.location)
        places = select(Location.id).where(
            Location.kind.in_(PHYSICAL_KINDS), place_scope(user, Location.id)
        )
        if location_id is not None:
            places = places.where(Location.id == location_id)
        if form.as_of.data is None:
            # Today: the summaries as they are, one row per place, item and grant.
            return StockSummary.__table__
        return quantities(form.as_of.data, places)

    def _narrowed(self, stmt: Select[Any], rows: Any, form: FilterForm) -> Select[Any]:
        """``stmt`` kept to the chosen place, category and grant (rows at zero left out)."""
        stmt = stmt.where(rows.quantity != 0)
        location_id = chosen_id(form.location)
        if location_id is not None:
            stmt = stmt.where(rows.location_id == location_id)
        category_id = chosen_id(form.category)
        if category_id is not None:
            categories = select(Category.id).where(
                or_(Category.id == category_id, Category.parent_id == category_id)
            )
            stmt = stmt.where(
                rows.item_id.in_(select(Item.id).where(Item.category_id.in_(categories)))
            )
        grant_id = chosen_id(form.grant)
        if grant_id is not None:
            stmt = stmt.where(rows.grant_key == grant_id)
        return stmt

    def statement(self, form: FilterForm, user: User, locale: str) -> Select[Any]:  # noqa: D102
        source = self._source(form, user)
        rows = source.c
        place = localised_name(Location, locale)
        # The places are joined and narrowed here, not through a list of ids: with the index
        # on the places' names a page is read place by place in order, each place's rows
        # sorted on their own, instead of every row of every place being sorted.
        stmt = (
            select(
                place.label("place"),
                localised_name(Category, locale).label("category"),
                Item.code.label("code"),
                localised_name(Item, locale).label("item"),
                localised_name(Unit, locale).label("unit"),
                Grant.code.label("grant"),
                rows.quantity.label("quantity"),
            )
            .select_from(source)
            .join(Location, Location.id == rows.location_id)
            .join(Item, Item.id == rows.item_id)
            .join(Category, Category.id == Item.category_id)
            .join(Unit, Unit.id == Item.unit_id)
            .outerjoin(Grant, Grant.id == rows.grant_key)
            .where(Location.kind.in_(PHYSICAL_KINDS), place_scope(user, Location.id))
            .order_by(place, Location.id, Item.code, Grant.code)
        )
        return self._narrowed(stmt, rows, form)

    def counted_with_page(self, form: FilterForm) -> bool:  # noqa: D102
        # A past date's rows are grouped before the first is known: count them in that pass.
        return form.as_of.data is not None

    def summary(  # noqa: D102
        self, form: FilterForm, user: User, locale: str, stmt: Select[Any], columns: list[Column]
    ) -> tuple[int, dict[str, int]]:
        # The same rows without the names: every row has its item, category and unit.
        source = self._source(form, user)
        rows = source.c
        places = select(Location.id).where(
            Location.kind.in_(PHYSICAL_KINDS), place_scope(user, Location.id)
        )
        figures = self._narrowed(
            select(func.count(), func.coalesce(func.sum(rows.quantity), literal_column("0")))
            .select_from(source)
            .where(rows.location_id.in_(places)),
            rows,
            form,
        )
        count, total = db.session.execute(figures).one()
        return int(count), {"quantity": int(total)}
