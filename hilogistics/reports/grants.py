"""Per grant, for the donor: received → dispatched → distributed → lost → on hand, by item.

Over the grant's lots and a period (the grant's own unless narrowed). Flows are the period's
movements classed by the kind of place at each end: warehouses (W), the field (centres,
schools, camps and goods on the road: F), and the outside: supplier (S), recipients (R), and
loss or count differences (L). Closing stock is today's balances less what moved after the
period; opening stock is closing stock less the period's net flows across the outside, so

    opening + received = distributed + lost or written off + on hand at warehouses + elsewhere

and, at the warehouses, what came in and was not dispatched, distributed or lost is on hand
there. Only the movements dated from the period's start on are read, from the index on the
lot and date that also carries their item, places and quantity, summed per route before the
places are looked up; the balances of the grant's lots; and the people served from the slip
lines of the grant's lots. No summary table: a monthly one per grant, item and route held
10 700 rows for the 23 400 movements of the latest grant at a million movements (routes rarely
repeat within a month), and one keyed by the kind of place would go wrong when a place's kind
is edited.
"""

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, case, func, literal, select, union_all
from sqlalchemy.orm import aliased
from wtforms import DateField, SelectChoice, SelectField
from wtforms.validators import Optional

from hilogistics.auth.models import Role, User
from hilogistics.catalogue.models import Item, Unit
from hilogistics.dates import business_today
from hilogistics.db import db, localised_name
from hilogistics.distributions.models import (
    HEADCOUNT_FIELDS,
    Distribution,
    DistributionLine,
    RecipientType,
)
from hilogistics.forms import planning_date
from hilogistics.locations.models import Location, LocationKind
from hilogistics.reports.framework import Column, Report
from hilogistics.stock.forms_pages import FilterForm
from hilogistics.stock.models import Balance, Grant, Lot, Movement

_FIELD_KINDS = (LocationKind.CENTRE, LocationKind.SCHOOL, LocationKind.CAMP, LocationKind.TRANSIT)


class GrantFilterForm(FilterForm):
    """The grant, and the period (the grant's own when left empty)."""

    grant = SelectField(_l("Grant"), default="")
    date_from = DateField(
        _l("From date"),
        validators=[Optional(), planning_date],
        description=_l("Leave empty for the grant's period."),
    )
    date_to = DateField(_l("To date"), validators=[Optional(), planning_date])


def _class(location: Any) -> Any:
    """W, F, S, R or L: the role of a place in the chain."""
    return case(
        (location.kind == LocationKind.WAREHOUSE, literal("W")),
        (location.kind.in_(_FIELD_KINDS), literal("F")),
        (location.kind == LocationKind.SUPPLIER, literal("S")),
        (location.kind == LocationKind.RECIPIENTS, literal("R")),
        else_=literal("L"),
    )


class GrantReport(Report):
    """What happened to what one grant paid for, item by item."""

    name = "grant"
    title = _l("Per grant: received, dispatched, distributed, lost and on hand")
    description = _l(
        "For the donor: each item the grant paid for, over the grant's period, with the people "
        "served."
    )
    form_class = GrantFilterForm
    # A grant's chain runs through every place: it is the donor's view, not a place's.
    roles = frozenset({Role.ADMIN, Role.LOGISTICS, Role.VIEWER})

    def columns(self, form: FilterForm) -> list[Column]:  # noqa: D102
        return [
            Column("code", _l("Code"), width=13),
            Column("item", _l("Item"), width=16),
            Column("unit", _l("Unit"), width=7),
            Column("opening", _l("Opening"), numeric=True, width=9),
            Column("received", _l("Received"), numeric=True, width=9),
            Column("dispatched", _l("Dispatched"), numeric=True, width=10.5),
            Column("distributed", _l("Distributed"), numeric=True, width=10.5),
            Column("lost", _l("Lost or written off"), numeric=True, width=9),
            Column("warehouses", _l("On hand at warehouses"), numeric=True, width=11),
            Column("elsewhere", _l("On hand elsewhere"), numeric=True, width=10),
            Column("people", _l("People served"), numeric=True, width=8),
        ]

    def prepare(self, form: FilterForm, user: User, locale: str) -> None:  # noqa: D102
        grants = db.session.execute(select(Grant.id, Grant.code, Grant.donor).order_by(Grant.code))
        form.grant.choices = [
            SelectChoice(str(grant_id), f"{code} · {donor}") for grant_id, code, donor in grants
        ]
        if form.grant.choices:
            form.grant.default = form.grant.choices[0].value
            if not form.grant.data:
                # Opened from the menu: the first grant, not "Not a valid choice" on the field.
                form.grant.data = form.grant.default

    def grant(self, form: FilterForm) -> Grant | None:
        """The chosen grant (the first by code when none is chosen)."""
        value = form.grant.data or form.grant.default
        return db.session.get(Grant, int(value)) if value else None

    def statement(self, form: FilterForm, user: User, locale: str) -> Select[Any]:  # noqa: D102
        grant = self.grant(form)
        grant_id = grant.id if grant else -1
        # No grant recorded yet: an empty report over today, not a comparison with no date.
        start = form.date_from.data or (grant.starts_on if grant else business_today())
        end = form.date_to.data or (grant.ends_on if grant else business_today())
        lots = select(Lot.id).where(Lot.grant_id == grant_id)
        later = Movement.occurred_on > end
        # The grant's movements summed per item and route first, from the index alone
        # (ix_movements_lot_date covers the read), so each route's two places are looked up
        # once, not once per movement.
        routes = (
            select(
                Movement.item_id.label("item_id"),
                Movement.from_location_id.label("origin"),
                Movement.to_location_id.label("target"),
                func.sum(case((later, literal(0)), else_=Movement.quantity)).label("within"),
                func.sum(case((later, Movement.quantity), else_=literal(0))).label("later"),
            )
            .where(Movement.lot_id.in_(lots), Movement.occurred_on >= start)
            .group_by(Movement.item_id, Movement.from_location_id, Movement.to_location_id)
            .subquery("routes")
        )
        origin, target = aliased(Location), aliased(Location)
        a, b = _class(origin), _class(target)
        inside = ("W", "F")

        def flow(condition: Any, back: Any, *, q: Any = routes.c.within) -> Any:
            return func.sum(case((condition, q), (back, -q), else_=literal(0)))

        moves = (
            select(
                routes.c.item_id.label("item_id"),
                flow(and_(a == "S", b.in_(inside)), and_(b == "S", a.in_(inside))).label(
                    "received"
                ),
                flow(and_(a == "W", b == "F"), and_(a == "F", b == "W")).label("dispatched"),
                flow(and_(a.in_(inside), b == "R"), and_(a == "R", b.in_(inside))).label(
                    "distributed"
                ),
                flow(and_(a.in_(inside), b == "L"), and_(a == "L", b.in_(inside))).label("lost"),
                flow(b == "W", a == "W", q=routes.c.later).label("later_w"),
                flow(b == "F", a == "F", q=routes.c.later).label("later_f"),
                literal(0).label("now_w"),
                literal(0).label("now_f"),
            )
            .join(origin, origin.id == routes.c.origin)
            .join(target, target.id == routes.c.target)
            .group_by(routes.c.item_id)
        )
        place = aliased(Location)
        c = _class(place)
        zero = literal(0)
        stock = (
            select(
                Balance.item_id,
                zero,
                zero,
                zero,
                zero,
                zero,
                zero,
                func.sum(case((c == "W", Balance.quantity), else_=zero)),
                func.sum(case((c == "F", Balance.quantity), else_=zero)),
            )
            .join(place, place.id == Balance.location_id)
            .where(Balance.lot_id.in_(lots), c.in_(inside))
            .group_by(Balance.item_id)
        )
        both = union_all(moves, stock).subquery("flows")
        f = both.c
        sums = {name: func.sum(getattr(f, name)) for name in f.keys() if name != "item_id"}
        warehouses = sums["now_w"] - sums["later_w"]
        elsewhere = sums["now_f"] - sums["later_f"]
        opening = warehouses + elsewhere - sums["received"] + sums["distributed"] + sums["lost"]
        people = self._people(grant_id, start, end)
        return (
            select(
                Item.code.label("code"),
                localised_name(Item, locale).label("item"),
                localised_name(Unit, locale).label("unit"),
                opening.label("opening"),
                sums["received"].label("received"),
                sums["dispatched"].label("dispatched"),
                sums["distributed"].label("distributed"),
                sums["lost"].label("lost"),
                warehouses.label("warehouses"),
                elsewhere.label("elsewhere"),
                func.coalesce(func.max(people.c.people), 0).label("people"),
            )
            .select_from(both)
            .join(Item, Item.id == f.item_id)
            .join(Unit, Unit.id == Item.unit_id)
            .outerjoin(people, people.c.item_id == f.item_id)
            .group_by(Item.id, Item.code, Unit.id)
            .order_by(Item.code)
        )

    @staticmethod
    def _people(grant_id: int, start: Any, end: Any) -> Any:
        """Subquery (item_id, people) of the period's slips with the grant's lots of the item.

        Each slip counts once per item, however many of the grant's lots it used.
        """
        individual = case(
            (
                Distribution.recipient_type.in_((RecipientType.PATIENT, RecipientType.OTHER)),
                literal(1),
            ),
            else_=literal(0),
        )
        people = sum((getattr(Distribution, n) for n in HEADCOUNT_FIELDS), individual)
        # From the grant's lots to their lines (ix_distribution_lines_lot_distribution, which
        # covers the read; a lot names its item), then each line's slip by key, once: the
        # period's slips at every place are many more than the grant's lines.
        slips = (
            select(
                DistributionLine.distribution_id,
                Lot.item_id.label("item_id"),
                people.label("people"),
            )
            .join(Lot, Lot.id == DistributionLine.lot_id)
            .join(
                Distribution,
                and_(
                    Distribution.id == DistributionLine.distribution_id,
                    Distribution.revision == DistributionLine.revision,
                ),
            )
            .where(
                DistributionLine.lot_id.in_(select(Lot.id).where(Lot.grant_id == grant_id)),
                Distribution.distributed_on >= start,
                Distribution.distributed_on <= end,
            )
            .distinct()
            .subquery("slips")
        )
        return (
            select(slips.c.item_id, func.sum(slips.c.people).label("people"))
            .group_by(slips.c.item_id)
            .subquery("people")
        )

    def facts(self, form: FilterForm) -> list[tuple[str, str]]:  # noqa: D102
        grant = self.grant(form)
        if grant is None:
            return []
        start = form.date_from.data or grant.starts_on
        end = form.date_to.data or grant.ends_on
        return [
            (_("Grant"), f"{grant.code} · {grant.donor} · {grant.title}"),
            (_("Period"), f"{start.isoformat()} – {end.isoformat()}"),
        ]
