"""Stock-outs: the days each item was out of stock at each place over a period.

Worked from the movements in SQL: each (place, item)'s balance at the period's end is its
recorded balance less the movements dated after; its balance at the start, that less the
period's daily changes. Between two days with movements the balance stays the same, so the
days out are the lengths of the stretches whose end-of-day balance is zero (window functions:
a running sum and the next day with a change, on SQLite and PostgreSQL alike). Before a
place's first receipt of an item nothing is counted: it was not out, it had never stocked it.
"""

from datetime import timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Date,
    Integer,
    Select,
    and_,
    case,
    exists,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from wtforms import DateField, SelectField
from wtforms.validators import Optional

from hilogistics.auth.models import User
from hilogistics.catalogue.models import Category, Item
from hilogistics.dates import business_today
from hilogistics.db import db, localised_name
from hilogistics.forms import planning_date
from hilogistics.locations.models import PHYSICAL_KINDS, Location
from hilogistics.reports.charts import BarChart
from hilogistics.reports.choices import chosen_id, fill_categories, fill_places
from hilogistics.reports.framework import Column, Report, place_scope
from hilogistics.stock.forms_pages import FilterForm
from hilogistics.stock.models import ItemBalance, Movement

DEFAULT_DAYS = 90
CHART_ITEMS = 20


class days_between(FunctionElement):  # noqa: N801 - a SQL function, named as one
    """Whole days from the first date to the second."""

    type = Integer()
    inherit_cache = True


@compiles(days_between)
def _days_between_default(element: days_between, compiler: Any, **kw: Any) -> str:
    first, second = list(element.clauses)
    return f"({compiler.process(second, **kw)} - {compiler.process(first, **kw)})"


@compiles(days_between, "sqlite")
def _days_between_sqlite(element: days_between, compiler: Any, **kw: Any) -> str:
    first, second = list(element.clauses)
    return (
        f"CAST(julianday({compiler.process(second, **kw)}) - "
        f"julianday({compiler.process(first, **kw)}) AS INTEGER)"
    )


class StockOutFilterForm(FilterForm):
    """Period, place and category."""

    date_from = DateField(
        _l("From date"),
        validators=[Optional(), planning_date],
        description=_l("Leave empty for the last 90 days."),
    )
    date_to = DateField(_l("To date"), validators=[Optional(), planning_date])
    location = SelectField(_l("Place"), default="")
    category = SelectField(_l("Category"), default="")


class StockOutReport(Report):
    """Days out of stock per item and place."""

    name = "stockouts"
    title = _l("Stock-outs: days out of stock by item and place")
    description = _l("Days each item had none at each place over a period, from the movements.")
    form_class = StockOutFilterForm

    def columns(self, form: FilterForm) -> list[Column]:  # noqa: D102
        return [
            Column("place", _l("Place"), width=20),
            Column("code", _l("Code"), width=16),
            Column("item", _l("Item"), width=26),
            Column("days", _l("Days out of stock"), numeric=True, width=10),
            Column("closing", _l("On hand at the end"), numeric=True, width=10),
        ]

    def prepare(self, form: FilterForm, user: User, locale: str) -> None:  # noqa: D102
        fill_places(form.location, user, locale)
        fill_categories(form.category, locale)

    @staticmethod
    def period(form: FilterForm) -> tuple[Any, Any]:
        """The first and last day (the last 90 days to today by default)."""
        end = form.date_to.data or business_today()
        start = form.date_from.data or end - timedelta(days=DEFAULT_DAYS - 1)
        return (start, end) if start <= end else (end, start)

    def statement(self, form: FilterForm, user: User, locale: str) -> Select[Any]:  # noqa: D102
        start, end = self.period(form)
        after_end = end + timedelta(days=1)
        location_id = chosen_id(form.location)
        places = select(Location.id).where(
            Location.kind.in_(PHYSICAL_KINDS), place_scope(user, Location.id)
        )
        if location_id is not None:
            places = places.where(Location.id == location_id)
        came = select(
            Movement.to_location_id.label("loc"),
            Movement.item_id.label("item_id"),
            Movement.occurred_on.label("day"),
            Movement.quantity.label("delta"),
        ).where(Movement.occurred_on >= start, Movement.to_location_id.in_(places))
        went = select(
            Movement.from_location_id, Movement.item_id, Movement.occurred_on, -Movement.quantity
        ).where(Movement.occurred_on >= start, Movement.from_location_id.in_(places))
        moves = union_all(came, went).subquery("moves")
        daily = (
            select(
                moves.c.loc,
                moves.c.item_id,
                moves.c.day,
                func.sum(moves.c.delta).label("delta"),
            )
            .where(moves.c.day <= end)
            .group_by(moves.c.loc, moves.c.item_id, moves.c.day)
            .subquery("daily")
        )
        later = (
            select(moves.c.loc, moves.c.item_id, func.sum(moves.c.delta).label("delta"))
            .where(moves.c.day > end)
            .group_by(moves.c.loc, moves.c.item_id)
            .subquery("later")
        )
        changes = (
            select(
                daily.c.loc,
                daily.c.item_id,
                func.sum(daily.c.delta).label("delta"),
                func.min(daily.c.day).label("first_day"),
            )
            .group_by(daily.c.loc, daily.c.item_id)
            .subquery("changes")
        )
        ib = ItemBalance
        closing = ib.on_hand - func.coalesce(later.c.delta, 0)
        opening = closing - func.coalesce(changes.c.delta, 0)
        stocked_before = exists().where(
            Movement.item_id == ib.item_id,
            Movement.to_location_id == ib.location_id,
            Movement.occurred_on < start,
        )
        pairs = (
            select(
                ib.location_id.label("loc"),
                ib.item_id.label("item_id"),
                opening.label("opening"),
                closing.label("closing"),
                case(
                    (
                        and_(opening <= 0, stocked_before),
                        days_between(
                            literal(start, Date),
                            func.coalesce(changes.c.first_day, literal(after_end, Date)),
                        ),
                    ),
                    else_=literal(0),
                ).label("initial"),
            )
            .outerjoin(later, and_(later.c.loc == ib.location_id, later.c.item_id == ib.item_id))
            .outerjoin(
                changes, and_(changes.c.loc == ib.location_id, changes.c.item_id == ib.item_id)
            )
            .where(ib.location_id.in_(places))
            .subquery("pairs")
        )
        window = {
            "partition_by": (daily.c.loc, daily.c.item_id),
            "order_by": daily.c.day,
        }
        running = (
            select(
                daily.c.loc,
                daily.c.item_id,
                daily.c.day,
                (pairs.c.opening + func.sum(daily.c.delta).over(**window, rows=(None, 0))).label(
                    "balance"
                ),
                func.lead(daily.c.day).over(**window).label("next_day"),
            )
            .join(pairs, and_(pairs.c.loc == daily.c.loc, pairs.c.item_id == daily.c.item_id))
            .subquery("running")
        )
        stretches = (
            select(
                running.c.loc,
                running.c.item_id,
                func.sum(
                    case(
                        (
                            running.c.balance <= 0,
                            days_between(
                                running.c.day,
                                func.coalesce(running.c.next_day, literal(after_end, Date)),
                            ),
                        ),
                        else_=literal(0),
                    )
                ).label("days"),
            )
            .group_by(running.c.loc, running.c.item_id)
            .subquery("stretches")
        )
        days = (pairs.c.initial + func.coalesce(stretches.c.days, 0)).label("days")
        place = localised_name(Location, locale)
        stmt = (
            select(
                place.label("place"),
                Item.code.label("code"),
                localised_name(Item, locale).label("item"),
                days,
                pairs.c.closing.label("closing"),
            )
            .select_from(pairs)
            .outerjoin(
                stretches,
                and_(stretches.c.loc == pairs.c.loc, stretches.c.item_id == pairs.c.item_id),
            )
            .join(Location, Location.id == pairs.c.loc)
            .join(Item, Item.id == pairs.c.item_id)
            .where(pairs.c.initial + func.coalesce(stretches.c.days, 0) > 0)
            .order_by(days.desc(), place, Item.code, Location.id)
        )
        category_id = chosen_id(form.category)
        if category_id is not None:
            stmt = stmt.where(
                Item.category_id.in_(
                    select(Category.id).where(
                        or_(Category.id == category_id, Category.parent_id == category_id)
                    )
                )
            )
        return stmt

    def chart(self, form: FilterForm, user: User, locale: str) -> BarChart | None:  # noqa: D102
        rows = self.statement(form, user, locale).order_by(None).subquery()
        found = db.session.execute(
            select(rows.c.code, func.sum(rows.c.days).label("days"))
            .group_by(rows.c.code)
            .order_by(func.sum(rows.c.days).desc(), rows.c.code)
            .limit(CHART_ITEMS)
        ).all()
        start, end = self.period(form)
        labels = [code for code, _days in found]
        values = [int(d) for _code, d in found]
        return BarChart(
            title=_("Days out of stock, items out longest"),
            description=_(
                "Days out of stock from %(start)s to %(end)s, summed over places, for the "
                "%(n)d items out longest: %(figures)s.",
                start=start.isoformat(),
                end=end.isoformat(),
                n=len(labels),
                figures=", ".join(f"{c} {v}" for c, v in zip(labels, values, strict=True)) or "—",
            ),
            labels=labels,
            values=values,
            x_caption=_("Item"),
            y_caption=_("Days out of stock"),
        )
