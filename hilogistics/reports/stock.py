"""Stock on hand by place, category and grant, today or at the end of a past date.

Today's figures are the balances. A past date's are today's balances less every movement
dated after it (in at the place: subtracted; out of it: added back), read through the index
on the movements' date: the later the date, the fewer movements are read, and the whole
ledger is never summed.
"""

from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, or_, select, union_all
from wtforms import DateField, SelectField
from wtforms.validators import Optional

from hilogistics.auth.models import User
from hilogistics.catalogue.models import Category, Item, Unit
from hilogistics.db import localised_name
from hilogistics.forms import planning_date
from hilogistics.locations.models import PHYSICAL_KINDS, Location
from hilogistics.reports.choices import chosen_id, fill_categories, fill_grants, fill_places
from hilogistics.reports.framework import Column, Report, place_scope
from hilogistics.stock.forms_pages import FilterForm
from hilogistics.stock.models import Balance, Grant, Lot, Movement


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


def quantities(as_of: date | None, location_id: int | None = None) -> Any:
    """Subquery (location_id, item_id, lot_id, quantity): balances, wound back to ``as_of``."""
    parts: list[Select[Any]] = [
        select(
            Balance.location_id.label("location_id"),
            Balance.item_id.label("item_id"),
            Balance.lot_id.label("lot_id"),
            Balance.quantity.label("quantity"),
        ).where(Balance.quantity != 0)
    ]
    if location_id is not None:
        parts[0] = parts[0].where(Balance.location_id == location_id)
    if as_of is not None:
        came = select(
            Movement.to_location_id, Movement.item_id, Movement.lot_id, -Movement.quantity
        ).where(Movement.occurred_on > as_of)
        went = select(
            Movement.from_location_id, Movement.item_id, Movement.lot_id, Movement.quantity
        ).where(Movement.occurred_on > as_of)
        if location_id is not None:
            came = came.where(Movement.to_location_id == location_id)
            went = went.where(Movement.from_location_id == location_id)
        parts += [came, went]
    if len(parts) == 1:
        return parts[0].subquery("quantities")
    return union_all(*parts).subquery("quantities")


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

    def statement(self, form: FilterForm, user: User, locale: str) -> Select[Any]:  # noqa: D102
        location_id = chosen_id(form.location)
        amounts = quantities(form.as_of.data, location_id)
        places = select(Location.id).where(
            Location.kind.in_(PHYSICAL_KINDS), place_scope(user, Location.id)
        )
        # Summed per place, item and grant first, from the balances and lots alone; names are
        # joined to the grouped rows after (planners otherwise drove the join from the
        # catalogue and grouped by names).
        grouped = (
            select(
                amounts.c.location_id,
                amounts.c.item_id,
                Lot.grant_id,
                func.sum(amounts.c.quantity).label("quantity"),
            )
            .join(Lot, Lot.id == amounts.c.lot_id)
            .where(amounts.c.location_id.in_(places))
            .group_by(amounts.c.location_id, amounts.c.item_id, Lot.grant_id)
            .having(func.sum(amounts.c.quantity) != 0)
        )
        category_id = chosen_id(form.category)
        if category_id is not None:
            categories = select(Category.id).where(
                or_(Category.id == category_id, Category.parent_id == category_id)
            )
            grouped = grouped.where(
                amounts.c.item_id.in_(select(Item.id).where(Item.category_id.in_(categories)))
            )
        grant_id = chosen_id(form.grant)
        if grant_id is not None:
            grouped = grouped.where(Lot.grant_id == grant_id)
        rows = grouped.subquery("grouped")
        place = localised_name(Location, locale)
        return (
            select(
                place.label("place"),
                localised_name(Category, locale).label("category"),
                Item.code.label("code"),
                localised_name(Item, locale).label("item"),
                localised_name(Unit, locale).label("unit"),
                Grant.code.label("grant"),
                rows.c.quantity.label("quantity"),
            )
            .select_from(rows)
            .join(Location, Location.id == rows.c.location_id)
            .join(Item, Item.id == rows.c.item_id)
            .join(Category, Category.id == Item.category_id)
            .join(Unit, Unit.id == Item.unit_id)
            .outerjoin(Grant, Grant.id == rows.c.grant_id)
            .order_by(place, Location.id, Item.code, Grant.code)
        )
