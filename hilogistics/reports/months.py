"""Months of stock per place, and the replenishment suggestion behind requisitions.

Every figure comes from :mod:`hilogistics.requisitions.suggestions`, the code the requisition
form reads: the same on hand, on its way, consumption window and suggested quantity
(target months of the place × monthly use − on hand − on its way), worked in one statement for
every place at once, so that the report and the form can never disagree.
"""

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, case, func, literal, or_, select
from wtforms import BooleanField, SelectField

from hilogistics.auth.models import Role, User
from hilogistics.catalogue.models import Category, Item, Unit
from hilogistics.db import db, localised_name
from hilogistics.documents.layout import msg
from hilogistics.locations.models import PHYSICAL_KINDS, Location
from hilogistics.reports.charts import BarChart
from hilogistics.reports.choices import chosen_id, fill_categories, fill_places
from hilogistics.reports.framework import Column, Report, place_scope
from hilogistics.requisitions.suggestions import (
    Places,
    monthly_use,
    months_of_stock,
    needs_replenishment,
    place_figures,
    suggested_quantity,
)
from hilogistics.stock.forms_pages import FilterForm

# Band key → words, from the most urgent; an item with no recorded use has no band.
BANDS = {
    "0-out": msg("None left"),
    "1-under-1": msg("Under 1 month"),
    "2-1-3": msg("1 to 3 months"),
    "3-3-6": msg("3 to 6 months"),
    "4-6": msg("6 months or more"),
}


class MonthsFilterForm(FilterForm):
    """Place, category and whether to list only what needs replenishment."""

    location = SelectField(_l("Place"), default="")
    category = SelectField(_l("Category"), default="")
    needed = BooleanField(_l("Only items needing replenishment"))


class MonthsReport(Report):
    """Months of stock and suggested quantity per place and item."""

    name = "months"
    title = _l("Months of stock and replenishment suggestions")
    description = _l(
        "Per place and item: on hand, on its way, average monthly use over the last three "
        "complete months, how many months the stock lasts, and the quantity a requisition "
        "would suggest for the place's target months."
    )
    form_class = MonthsFilterForm

    def columns(self, form: FilterForm) -> list[Column]:  # noqa: D102
        return [
            Column("place", _l("Place"), width=15),
            Column("category", _l("Category"), width=12),
            Column("code", _l("Code"), width=11),
            Column("item", _l("Item"), width=19),
            Column("unit", _l("Unit"), width=6),
            Column("on_hand", _l("On hand"), numeric=True, width=8),
            Column("on_the_way", _l("On its way"), numeric=True, width=8),
            Column("monthly_use", _l("Average monthly use"), width=9),
            Column("months", _l("Months of stock"), width=8),
            Column("minimum", _l("Minimum"), width=10),
            Column("suggested", _l("Suggested quantity"), numeric=True, width=10),
        ]

    def prepare(self, form: FilterForm, user: User, locale: str) -> None:  # noqa: D102
        fill_places(form.location, user, locale)
        fill_categories(form.category, locale)

    def facts(self, form: FilterForm) -> list[tuple[str, str]]:  # noqa: D102
        # A ticked box reads as its label, not as "True".
        return [
            (label, _("Yes")) if label == str(form.needed.label.text) else (label, value)
            for label, value in super().facts(form)
        ]

    def statement(self, form: FilterForm, user: User, locale: str) -> Select[Any]:  # noqa: D102
        places: Places
        location_id = chosen_id(form.location)
        if user.role is Role.TECHNICIAN:
            places = user.location_id if user.location_id is not None else -1
        elif location_id is not None:
            places = location_id
        else:
            places = select(Location.id).where(Location.kind.in_(PHYSICAL_KINDS))
        figures = place_figures(places)
        f = figures.c
        suggested = suggested_quantity(figures, Location.target_months)
        months = months_of_stock(figures)
        place = localised_name(Location, locale)
        stmt = (
            select(
                place.label("place"),
                localised_name(Category, locale).label("category"),
                Item.code.label("code"),
                localised_name(Item, locale).label("item"),
                localised_name(Unit, locale).label("unit"),
                f.on_hand.label("on_hand"),
                f.on_the_way.label("on_the_way"),
                monthly_use(figures).label("monthly_use"),
                months.label("months"),
                f.minimum.label("minimum"),
                suggested.label("suggested"),
            )
            .select_from(figures)
            .join(Location, Location.id == f.location_id)
            .join(Item, Item.id == f.item_id)
            .join(Category, Category.id == Item.category_id)
            .join(Unit, Unit.id == Item.unit_id)
            .where(Location.kind.in_(PHYSICAL_KINDS), place_scope(user, Location.id))
            # Within a place, what runs out first comes first; items with no use last.
            .order_by(place, Location.id, months.is_(None), months, Item.code)
        )
        if location_id is not None:
            stmt = stmt.where(Location.id == location_id)
        category_id = chosen_id(form.category)
        if category_id is not None:
            stmt = stmt.where(
                Item.category_id.in_(
                    select(Category.id).where(
                        or_(Category.id == category_id, Category.parent_id == category_id)
                    )
                )
            )
        if form.needed.data:
            # What the requisition form's fill button would add: active items only.
            stmt = stmt.where(needs_replenishment(figures, suggested), Item.is_active)
        return stmt

    def counted_with_page(self, form: FilterForm) -> bool:  # noqa: D102
        # Every row's months of stock is worked out before the first row can be given (the
        # order needs it): the page counts, totals and bands them in the same execution.
        return True

    def chart_windows(  # noqa: D102
        self, form: FilterForm, stmt: Select[Any]
    ) -> dict[str, ColumnElement[Any]]:
        band = _band(stmt.selected_columns.months)
        return {key: func.sum(case((band == key, 1), else_=0)).over() for key in BANDS}

    def chart_of_windows(  # noqa: D102
        self, form: FilterForm, values: Mapping[str, int]
    ) -> BarChart | None:
        return _chart([int(values.get(key) or 0) for key in BANDS])

    def chart(self, form: FilterForm, user: User, locale: str) -> BarChart | None:  # noqa: D102
        rows = self.statement(form, user, locale).order_by(None).subquery()
        band = _band(rows.c.months)
        found = dict(
            db.session.execute(
                select(band, func.count()).select_from(rows).where(band.is_not(None)).group_by(band)
            ).all()
        )
        return _chart([int(found.get(key) or 0) for key in BANDS])


def _band(months: ColumnElement[Any]) -> ColumnElement[Any]:
    """The key of the band that ``months`` of stock falls in (None: no recorded use)."""
    return case(
        (months.is_(None), literal(None)),
        (months == 0, literal("0-out")),
        (months < 1, literal("1-under-1")),
        (months < 3, literal("2-1-3")),
        (months < 6, literal("3-3-6")),
        else_=literal("4-6"),
    )


def _chart(values: list[int]) -> BarChart:
    """Place and item pairs per band of months of stock, in the order of BANDS."""
    labels = [_(words) for words in BANDS.values()]
    return BarChart(
        title=_("Items by months of stock"),
        description=_(
            "Place and item pairs by how many months their stock lasts at the average "
            "monthly use (items with no recorded use are left out): %(figures)s.",
            figures=", ".join(f"{lab} {v}" for lab, v in zip(labels, values, strict=True)),
        ),
        labels=labels,
        values=values,
        x_caption=_("Months of stock"),
        y_caption=_("Items"),
    )
