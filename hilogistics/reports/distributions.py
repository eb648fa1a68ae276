"""Distributions and consumption by month: slips, people by sex and age band, units handed out.

Read from the slips (their date, place, recipient type, service, head-counts) and the lines of
each slip's current revision, so a corrected slip counts as corrected. Workshop use is the
consumption. A patient's fitting or another single recipient is one person whose sex and age
band the slip does not record ("individuals"); a class or camp session counts its head-counts.

Whole months are read from ``distribution_months`` (kept by the ledger: a few rows per place
and month instead of every slip and line); the days of a partial month at either end of the
period from the slips themselves; both are summed together. The breakdown by item reads the
slips and lines of the whole period (``_from_slips``, the statement every other breakdown
equals, as the tests check).
"""

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, String, and_, case, cast, func, literal, select, union_all
from wtforms import DateField, SelectChoice, SelectField
from wtforms.validators import Optional

from hilogistics.auth.models import User
from hilogistics.catalogue.models import Item
from hilogistics.db import db, localised_name
from hilogistics.distributions.labels import HEADCOUNT_LABELS, RECIPIENT_LABELS, SERVICE_LABELS
from hilogistics.distributions.models import (
    HEADCOUNT_FIELDS,
    Distribution,
    DistributionLine,
    FittingService,
    RecipientType,
)
from hilogistics.forms import planning_date
from hilogistics.locations.models import Location, Province
from hilogistics.reports.charts import BarChart
from hilogistics.reports.choices import chosen_id, fill_places
from hilogistics.reports.distribution_months import (
    FIGURES,
    DistributionMonth,
    first_of_month,
    slip_figures,
)
from hilogistics.reports.framework import Column, Report, place_scope
from hilogistics.stock.forms_pages import FilterForm

GROUPS = {
    "": _l("Month only"),
    "place": _l("Place"),
    "province": _l("Province"),
    "recipient_type": _l("Recipient type"),
    "service": _l("Service"),
    "item": _l("Item"),
}
_INDIVIDUAL_TYPES = (RecipientType.PATIENT.value, RecipientType.OTHER.value)


class DistributionFilterForm(FilterForm):
    """Period, place, province, recipient type, service, and what the months are broken by."""

    date_from = DateField(_l("From date"), validators=[Optional(), planning_date])
    date_to = DateField(_l("To date"), validators=[Optional(), planning_date])
    location = SelectField(_l("Place"), default="")
    province = SelectField(_l("Province"), default="")
    recipient_type = SelectField(
        _l("Recipient type"),
        default="",
        choices=[SelectChoice("", _l("All recipient types"))]
        + [SelectChoice(t.value, _l(label)) for t, label in RECIPIENT_LABELS.items()],
    )
    service = SelectField(
        _l("Service"),
        default="",
        choices=[SelectChoice("", _l("All services"))]
        + [SelectChoice(s.value, _l(label)) for s, label in SERVICE_LABELS.items()],
    )
    group = SelectField(
        _l("Break each month down by"),
        default="place",
        choices=[SelectChoice(key, label) for key, label in GROUPS.items()],
    )


def whole_months(
    start: date | None, end: date | None
) -> tuple[tuple[date | None, date | None] | None, list[tuple[date, date]]]:
    """The whole months of a period, read from the monthly rows, and the days left over.

    ((first month, first month after; None: unbounded) or None, [(first day, last day), …]):
    a period starting after the 1st or ending before the month's last day has days that only
    the slips themselves can answer.
    """
    first = start
    if start is not None and start.day != 1:
        first = first_of_month(first_of_month(start) + timedelta(days=31))
    after = None if end is None else first_of_month(end + timedelta(days=1))
    if first is not None and after is not None and first >= after:
        return None, [(start, end)]  # type: ignore[list-item]
    days = []
    if start is not None and first is not None and start < first:
        days.append((start, first - timedelta(days=1)))
    if end is not None and after is not None and after <= end:
        days.append((after, end))
    return (first, after), days


def month_of(column: Any) -> Any:
    """'YYYY-MM' of a date column, on SQLite (ISO text) and PostgreSQL (ISO date style)."""
    return func.substr(cast(column, String), 1, 7)


class DistributionReport(Report):
    """Slips, people and units per month and the chosen breakdown."""

    name = "distributions"
    title = _l("Distributions and consumption by month")
    description = _l(
        "Slips, people served by sex and age band, and units handed out or used in workshops."
    )
    form_class = DistributionFilterForm

    def columns(self, form: FilterForm) -> list[Column]:  # noqa: D102
        columns = [Column("month", _l("Month"), width=9)]
        group = form.group.data or ""
        if group:
            labels = {"recipient_type": RECIPIENT_LABELS, "service": SERVICE_LABELS}.get(group)
            columns.append(Column("breakdown", GROUPS[group], width=18, labels=labels))
        columns += [
            Column("slips", _l("Slips"), numeric=True, width=7),
            *(
                Column(name, _l(HEADCOUNT_LABELS[name]), numeric=True, width=8)
                for name in HEADCOUNT_FIELDS
            ),
            Column("individuals", _l("Individuals"), numeric=True, width=9.5),
            Column("people", _l("People served"), numeric=True, width=8),
            Column("quantity", _l("Quantity"), numeric=True, width=8),
        ]
        return columns

    def prepare(self, form: FilterForm, user: User, locale: str) -> None:  # noqa: D102
        fill_places(form.location, user, locale)
        provinces = select(Province.id, localised_name(Province, locale)).order_by(
            Province.sort_order, Province.name
        )
        form.province.choices = [SelectChoice("", _("All provinces"))] + [
            SelectChoice(str(i), n) for i, n in db.session.execute(provinces)
        ]

    def statement(self, form: FilterForm, user: User, locale: str) -> Select[Any]:  # noqa: D102
        group = form.group.data or ""
        if group == "item":
            return self._from_slips(form, user, locale)
        months, days = whole_months(form.date_from.data, form.date_to.data)
        location_id = chosen_id(form.location)
        province_id = chosen_id(form.province)
        in_province = select(Location.id).where(Location.province_id == province_id)

        def narrowed(stmt: Any, place: Any, recipient_type: Any, service: Any) -> Any:
            stmt = stmt.where(place_scope(user, place))
            if location_id is not None:
                stmt = stmt.where(place == location_id)
            if province_id is not None:
                stmt = stmt.where(place.in_(in_province))
            if form.recipient_type.data:
                stmt = stmt.where(recipient_type == form.recipient_type.data)
            if form.service.data:
                stmt = stmt.where(service == form.service.data)
            return stmt

        m = DistributionMonth
        parts = []
        if months is not None:
            first, after = months
            summed = select(
                month_of(m.month).label("month"),
                m.location_id,
                m.recipient_type,
                m.service,
                *(getattr(m, name) for name in FIGURES),
            )
            if first is not None:
                summed = summed.where(m.month >= first)
            if after is not None:
                summed = summed.where(m.month < after)
            parts.append(narrowed(summed, m.location_id, m.recipient_type, m.service))
        for since, until in days:
            slips = slip_figures().add_columns(month_of(Distribution.distributed_on).label("month"))
            slips = slips.where(Distribution.distributed_on >= since)
            slips = slips.where(Distribution.distributed_on <= until)
            slips = narrowed(
                slips,
                Distribution.location_id,
                Distribution.recipient_type,
                Distribution.service,
            ).subquery()
            parts.append(
                select(
                    slips.c.month,
                    slips.c.location_id,
                    slips.c.recipient_type,
                    slips.c.service,
                    *(slips.c[name] for name in FIGURES),
                )
            )
        rows = union_all(*parts).subquery("rows") if len(parts) > 1 else parts[0].subquery("rows")
        month = rows.c.month.label("month")
        stmt = select(month).select_from(rows)
        group_keys: list[Any] = [month]
        if group == "place":
            breakdown = localised_name(Location, locale)
            stmt = stmt.join(Location, Location.id == rows.c.location_id)
            group_keys += [breakdown, Location.id]
        elif group == "province":
            breakdown = func.coalesce(localised_name(Province, locale), "—")
            stmt = stmt.join(Location, Location.id == rows.c.location_id).outerjoin(
                Province, Province.id == Location.province_id
            )
            group_keys += [breakdown]
        elif group == "recipient_type":
            breakdown = rows.c.recipient_type
            group_keys += [breakdown]
        elif group == "service":
            breakdown = func.nullif(rows.c.service, "")
            group_keys += [breakdown]
        if group:
            stmt = stmt.add_columns(breakdown.label("breakdown"))
        people = sum((rows.c[name] for name in HEADCOUNT_FIELDS), rows.c.individuals)
        stmt = stmt.add_columns(
            func.sum(rows.c.slips).label("slips"),
            *(func.sum(rows.c[name]).label(name) for name in HEADCOUNT_FIELDS),
            func.sum(rows.c.individuals).label("individuals"),
            func.sum(people).label("people"),
            func.sum(rows.c.quantity).label("quantity"),
        )
        return stmt.group_by(*group_keys).order_by(*group_keys)

    def _from_slips(self, form: FilterForm, user: User, locale: str) -> Select[Any]:
        """The rows worked from every slip and line of the period (the breakdown by item)."""
        group = form.group.data or ""
        slips = select(Distribution.id).where(place_scope(user, Distribution.location_id))
        if form.date_from.data:
            slips = slips.where(Distribution.distributed_on >= form.date_from.data)
        if form.date_to.data:
            slips = slips.where(Distribution.distributed_on <= form.date_to.data)
        location_id = chosen_id(form.location)
        if location_id is not None:
            slips = slips.where(Distribution.location_id == location_id)
        province_id = chosen_id(form.province)
        if province_id is not None:
            slips = slips.where(
                Distribution.location_id.in_(
                    select(Location.id).where(Location.province_id == province_id)
                )
            )
        if form.recipient_type.data:
            slips = slips.where(
                Distribution.recipient_type == RecipientType(form.recipient_type.data)
            )
        if form.service.data:
            slips = slips.where(Distribution.service == FittingService(form.service.data))
        # Units per slip (and per item when broken down by item), current revision only.
        keys = [DistributionLine.distribution_id]
        if group == "item":
            keys.append(DistributionLine.item_id)
        units = (
            select(*keys, func.sum(DistributionLine.quantity).label("quantity"))
            .join(
                Distribution,
                and_(
                    Distribution.id == DistributionLine.distribution_id,
                    Distribution.revision == DistributionLine.revision,
                ),
            )
            .where(DistributionLine.distribution_id.in_(slips))
            .group_by(*keys)
            .subquery("units")
        )
        month = month_of(Distribution.distributed_on).label("month")
        individual = case(
            (Distribution.recipient_type.in_(_INDIVIDUAL_TYPES), literal(1)), else_=literal(0)
        )
        bands = [func.sum(getattr(Distribution, name)).label(name) for name in HEADCOUNT_FIELDS]
        people = sum((getattr(Distribution, name) for name in HEADCOUNT_FIELDS), individual)
        stmt = select(month).select_from(Distribution)
        group_keys: list[Any] = [month]
        if group == "place":
            breakdown = localised_name(Location, locale)
            stmt = stmt.join(Location, Location.id == Distribution.location_id)
            group_keys += [breakdown, Location.id]
        elif group == "province":
            breakdown = func.coalesce(localised_name(Province, locale), "—")
            stmt = stmt.join(Location, Location.id == Distribution.location_id).outerjoin(
                Province, Province.id == Location.province_id
            )
            group_keys += [breakdown]
        elif group == "recipient_type":
            breakdown = Distribution.recipient_type
            group_keys += [breakdown]
        elif group == "service":
            breakdown = Distribution.service
            group_keys += [breakdown]
        elif group == "item":
            breakdown = Item.code + literal(" · ") + localised_name(Item, locale)
            group_keys += [breakdown]
        if group:
            stmt = stmt.add_columns(breakdown.label("breakdown"))
        join = units.c.distribution_id == Distribution.id
        stmt = stmt.add_columns(
            func.count(func.distinct(Distribution.id)).label("slips"),
            *bands,
            func.sum(individual).label("individuals"),
            func.sum(people).label("people"),
            func.coalesce(func.sum(units.c.quantity), 0).label("quantity"),
        ).where(Distribution.id.in_(slips))
        if group == "item":
            stmt = stmt.join(units, join).join(Item, Item.id == units.c.item_id)
        else:
            stmt = stmt.outerjoin(units, join)
        return stmt.group_by(*group_keys).order_by(*group_keys)

    def reads_whole(self, form: FilterForm) -> bool:  # noqa: D102
        # Grouped rows, a few per month and breakdown, all worked out before the first is given
        # (from the slips for the breakdown by item): read once, paged, totalled and charted here.
        return True

    def chart_of_rows(self, form: FilterForm, rows: Sequence[Any]) -> BarChart | None:  # noqa: D102
        keys = [c.key for c in self.columns(form)]
        month, quantity = keys.index("month"), keys.index("quantity")
        per_month: dict[str, int] = {}
        for row in rows:  # in month order already
            per_month[row[month]] = per_month.get(row[month], 0) + int(row[quantity] or 0)
        return _chart(list(per_month), list(per_month.values()))

    def chart(self, form: FilterForm, user: User, locale: str) -> BarChart | None:  # noqa: D102
        rows = self.statement(form, user, locale).order_by(None).subquery()
        months = db.session.execute(
            select(rows.c.month, func.sum(rows.c.quantity))
            .group_by(rows.c.month)
            .order_by(rows.c.month)
        ).all()
        return _chart([m for m, _q in months], [int(q or 0) for _m, q in months])


def _chart(labels: list[str], values: list[int]) -> BarChart:
    """Units handed out or used per month, one bar per month."""
    description = _(
        "Units handed out or used per month: %(figures)s.",
        figures=", ".join(f"{m} {v}" for m, v in zip(labels, values, strict=True)) or "—",
    )
    return BarChart(
        title=_("Units distributed per month"),
        description=description,
        labels=labels,
        values=values,
        x_caption=_("Month"),
        y_caption=_("Quantity"),
    )
