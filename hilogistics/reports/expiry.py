"""Expiry: lots in stock that have expired or expire within 30, 90 or 180 days, by place.

Read from the lot balances (what is on hand now) and the lots' expiry dates, through the
index on ``lots.expires_on``.
"""

from datetime import timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, case, func, literal, or_, select
from wtforms import SelectChoice, SelectField

from hilogistics.auth.models import User
from hilogistics.catalogue.models import Category, Item
from hilogistics.dates import business_today
from hilogistics.db import db, localised_name
from hilogistics.documents.layout import msg
from hilogistics.locations.models import PHYSICAL_KINDS, Location
from hilogistics.reports.charts import BarChart
from hilogistics.reports.choices import chosen_id, fill_categories, fill_places
from hilogistics.reports.framework import Column, Report, place_scope
from hilogistics.stock.forms_pages import FilterForm
from hilogistics.stock.models import Balance, Lot

# Band key → words; the key sorts the bands from the most urgent.
BANDS = {
    "0-expired": msg("Expired"),
    "1-30": msg("Within 30 days"),
    "2-90": msg("In 31 to 90 days"),
    "3-180": msg("In 91 to 180 days"),
}
HORIZONS = {"30": 30, "90": 90, "180": 180}


class ExpiryFilterForm(FilterForm):
    """Place, category and how far ahead to look."""

    location = SelectField(_l("Place"), default="")
    category = SelectField(_l("Category"), default="")
    horizon = SelectField(
        _l("Expiring within"),
        default="180",
        choices=[
            SelectChoice("30", _l("30 days")),
            SelectChoice("90", _l("90 days")),
            SelectChoice("180", _l("180 days")),
        ],
    )


class ExpiryReport(Report):
    """Lots on hand past or near their expiry date."""

    name = "expiry"
    title = _l("Expired and expiring stock by place")
    description = _l("Lots on hand that have expired or expire within 30, 90 or 180 days.")
    form_class = ExpiryFilterForm

    def columns(self, form: FilterForm) -> list[Column]:  # noqa: D102
        return [
            Column("place", _l("Place"), width=18),
            Column("code", _l("Code"), width=15),
            Column("item", _l("Item"), width=24),
            Column("lot", _l("Lot"), width=12),
            Column("expires_on", _l("Expiry"), width=11),
            Column("band", _l("When"), width=14, labels=BANDS),
            Column("quantity", _l("On hand"), numeric=True, width=9),
        ]

    def prepare(self, form: FilterForm, user: User, locale: str) -> None:  # noqa: D102
        fill_places(form.location, user, locale)
        fill_categories(form.category, locale)

    def _narrowed(self, stmt: Select[Any], form: FilterForm, user: User) -> Select[Any]:
        """``stmt`` over lots, balances and places kept to the lots on hand the filters choose."""
        today = business_today()
        horizon = HORIZONS.get(form.horizon.data or "180", 180)
        stmt = stmt.where(
            Lot.expires_on.is_not(None),
            Lot.expires_on <= today + timedelta(days=horizon),
            Balance.quantity > 0,
            Location.kind.in_(PHYSICAL_KINDS),
            place_scope(user, Location.id),
        )
        location_id = chosen_id(form.location)
        if location_id is not None:
            stmt = stmt.where(Balance.location_id == location_id)
        category_id = chosen_id(form.category)
        if category_id is not None:
            categories = select(Category.id).where(
                or_(Category.id == category_id, Category.parent_id == category_id)
            )
            stmt = stmt.where(
                Lot.item_id.in_(select(Item.id).where(Item.category_id.in_(categories)))
            )
        return stmt

    def statement(self, form: FilterForm, user: User, locale: str) -> Select[Any]:  # noqa: D102
        place = localised_name(Location, locale)
        stmt = (
            select(
                place.label("place"),
                Item.code.label("code"),
                localised_name(Item, locale).label("item"),
                func.coalesce(Lot.serial, Lot.code).label("lot"),
                Lot.expires_on.label("expires_on"),
                _band().label("band"),
                Balance.quantity.label("quantity"),
            )
            .select_from(Lot)
            .join(Balance, Balance.lot_id == Lot.id)
            .join(Location, Location.id == Balance.location_id)
            .join(Item, Item.id == Lot.item_id)
            .order_by(Lot.expires_on, place, Item.code, Lot.id, Location.id)
        )
        return self._narrowed(stmt, form, user)

    def _bands(self, form: FilterForm, user: User) -> dict[str, tuple[int, int]]:
        """Band → (rows, units) of the report: counted once per request for the page and chart."""
        found = getattr(form, "_expiry_bands", None)
        if found is None:
            band = _band()
            stmt = (
                select(band, func.count(), func.sum(Balance.quantity))
                .select_from(Lot)
                .join(Balance, Balance.lot_id == Lot.id)
                .join(Location, Location.id == Balance.location_id)
                .group_by(band)
            )
            found = {
                key: (int(rows), int(units or 0))
                for key, rows, units in db.session.execute(self._narrowed(stmt, form, user))
            }
            form._expiry_bands = found  # type: ignore[attr-defined]
        return found

    def summary(  # noqa: D102
        self, form: FilterForm, user: User, locale: str, stmt: Select[Any], columns: list[Column]
    ) -> tuple[int, dict[str, int]]:
        # Rows and units by band, without the names: the chart reads the same figures.
        bands = self._bands(form, user)
        return (
            sum(rows for rows, _units in bands.values()),
            {"quantity": sum(units for _rows, units in bands.values())},
        )

    def chart(self, form: FilterForm, user: User, locale: str) -> BarChart | None:  # noqa: D102
        found = {key: units for key, (_rows, units) in self._bands(form, user).items()}
        horizon = HORIZONS.get(form.horizon.data or "180", 180)
        keys = [k for k in BANDS if k == "0-expired" or int(k.split("-")[1]) <= horizon]
        labels = [_(BANDS[k]) for k in keys]
        values = [int(found.get(k) or 0) for k in keys]
        return BarChart(
            title=_("Units expired and expiring"),
            description=_(
                "Units on hand by expiry: %(figures)s.",
                figures=", ".join(f"{lab} {v}" for lab, v in zip(labels, values, strict=True)),
            ),
            labels=labels,
            values=values,
            x_caption=_("Expiry"),
            y_caption=_("Quantity"),
        )


def _band() -> Any:
    """The band key of a lot's expiry date, from today: expired, 30, 90 or 180 days."""
    today = business_today()
    return case(
        (Lot.expires_on < today, literal("0-expired")),
        (Lot.expires_on <= today + timedelta(days=30), literal("1-30")),
        (Lot.expires_on <= today + timedelta(days=90), literal("2-90")),
        else_=literal("3-180"),
    )
