"""Today's work per role: the home page's panels and the menu's badges, defined in one place.

Each panel names who sees it, counts its entries with one indexed count, lists the first few
with a LIMIT, and links to the page that lists them all (with its filters). Nothing here sums
the ledger: panels read documents, reorder levels and balances, so the home page costs the
same whatever the history's length.

A domain adds its panels by appending to ``PANELS`` (a query function and a row maker), as the
requisitions' "waiting for review", "your requisitions" and "backorders" do.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask import g, url_for
from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select

from hilogistics import readcache
from hilogistics.auth.models import Role, User
from hilogistics.counts.models import CountStatus, StockCount
from hilogistics.counts.queries import counts_query
from hilogistics.dates import business_day_of, business_today
from hilogistics.db import db
from hilogistics.distributions.models import Distribution
from hilogistics.distributions.queries import (
    ProgrammeFigures,
    programme_figures,
    unreturned_count_query,
    unreturned_query,
)
from hilogistics.i18n import current_locale
from hilogistics.requisitions.labels import STATUS_LABELS as REQUISITION_STATUS_LABELS
from hilogistics.requisitions.models import Requisition, RequisitionStatus
from hilogistics.requisitions.queries import (
    OPEN as OPEN_REQUISITIONS,
)
from hilogistics.requisitions.queries import (
    awaiting_review_query,
    backorders_query,
    for_place_query,
)
from hilogistics.shipments.models import Shipment, ShipmentDirection, ShipmentStatus
from hilogistics.shipments.queries import (
    ShipmentFilters,
    awaiting_receipt_query,
    expected_consignments_query,
    shipments_count_query,
    shipments_query,
)
from hilogistics.stock.queries.attention import (
    EXPIRING_DAYS,
    below_minimum_count_query,
    below_minimum_everywhere_query,
    expiring_count_query,
    expiring_lots_query,
)

# Rows a panel shows; its "see all" link leads to the rest.
SHOWN = 10
# A count above this shows as "999+" (and costly counts stop reading there).
COUNT_MAX = 999
# A slip not back after this many days is late (logistics chase it).
UNRETURNED_DAYS = 30

_TECHNICIAN = frozenset({Role.TECHNICIAN})
_REVIEWERS = frozenset({Role.ADMIN, Role.LOGISTICS})
_READERS = frozenset({Role.ADMIN, Role.LOGISTICS, Role.VIEWER})
_ALL = frozenset(Role)
# Roles whose panels offer the action beside a row (dispatch, receive, enter counts). Viewers
# and administrators read the lists only: their home page is a report.
_ACTORS = frozenset({Role.LOGISTICS, Role.TECHNICIAN})


@dataclass(frozen=True)
class Reader:
    """Who reads the home page: the user, their place (technicians) and the business date."""

    user: User
    today: date

    @property
    def location_id(self) -> int | None:
        """A technician's place; None for roles that see every place."""
        return self.user.location_id if self.user.role is Role.TECHNICIAN else None

    @property
    def may_act(self) -> bool:
        """Whether rows offer their action link."""
        return self.user.role in _ACTORS


@dataclass(frozen=True)
class Row:
    """One entry of a panel: what it is, where it is dealt with, a few facts, a flag."""

    label: str
    url: str
    details: Sequence[str] = ()
    flag: str | None = None
    # (label, url) of the page that does the work; shown only to roles that may act.
    action: tuple[str, str] | None = None


@dataclass(frozen=True)
class Panel:
    """A list of today's work: who sees it, how to count and list it, where the rest is.

    ``count`` (a count statement) and ``rows`` take the reader (and ``rows`` a limit);
    ``see_all`` is the address of the whole list. ``badge`` names the menu entry that shows
    the count (``badge_text`` is what a screen reader hears after the number: "expected").
    """

    id: str
    title: LazyString
    roles: frozenset[Role]
    count: Callable[[Reader], Select[tuple[int]]]
    rows: Callable[[Reader, int], list[Row]]
    see_all: Callable[[Reader], str]
    empty: LazyString
    badge: str | None = None
    badge_text: LazyString | None = None
    # Panels of a technician's own place: hidden from a technician bound to no place.
    needs_place: bool = False


def statement_panel(
    *,
    query: Callable[[Reader], Select[Any]],
    row: Callable[[Any, Reader], Row],
    count: Callable[[Reader], Select[tuple[int]]] | None = None,
) -> dict[str, Callable[..., Any]]:
    """``count`` and ``rows`` of a panel from a list query (and, better, its own count query).

    Without ``count`` the list is counted as a subquery; a count query of its own reads an
    index only. Rows are the first ``limit`` of the query, each turned into a ``Row``.
    """

    def counted(reader: Reader) -> Select[tuple[int]]:
        if count is not None:
            return count(reader)
        return select(func.count()).select_from(query(reader).order_by(None).subquery())

    def listed(reader: Reader, limit: int) -> list[Row]:
        result = db.session.execute(query(reader).limit(limit))
        return [row(found, reader) for found in result]

    return {"count": counted, "rows": listed}


def _place(location: Any) -> str:
    return location.display_name(current_locale()) if location is not None else "—"


def _iso(day: date | datetime | None) -> str:
    """A day as YYYY-MM-DD; a moment (stored in UTC) as its day in the programme's zone."""
    if isinstance(day, datetime):
        day = business_day_of(day)
    return day.isoformat() if day else "—"


# Shipments


def _drafts(reader: Reader) -> ShipmentFilters:
    return ShipmentFilters(direction=ShipmentDirection.OUTBOUND, status=ShipmentStatus.DRAFT)


def _draft_row(found: Any, reader: Reader) -> Row:
    shipment: Shipment = found[0]
    return Row(
        label=shipment.number,
        url=url_for("shipments.page", shipment_id=shipment.id),
        details=(f"{_place(shipment.origin)} → {_place(shipment.destination)}",),
        action=(_("Dispatch"), url_for("shipments.dispatch", shipment_id=shipment.id))
        if reader.may_act
        else None,
    )


def _consignment_row(found: Any, reader: Reader) -> Row:
    shipment: Shipment = found[0]
    expected = shipment.expected_on
    return Row(
        label=shipment.number,
        url=url_for("shipments.page", shipment_id=shipment.id),
        details=(
            shipment.supplier or "—",
            _place(shipment.destination),
            _("expected %(date)s", date=_iso(expected)),
        ),
        flag=_("Overdue") if expected is not None and expected < reader.today else None,
    )


def _partly() -> ShipmentFilters:
    return ShipmentFilters(status=ShipmentStatus.PARTLY_RECEIVED)


def _moving_row(found: Any, reader: Reader) -> Row:
    shipment: Shipment = found[0]
    return Row(
        label=shipment.number,
        url=url_for("shipments.page", shipment_id=shipment.id),
        details=(
            f"{shipment.supplier or _place(shipment.origin)} → {_place(shipment.destination)}",
            # A consignment from a supplier is never dispatched here: when did part come in?
            _("dispatched %(date)s", date=_iso(shipment.dispatched_on))
            if shipment.dispatched_on
            else _("last received %(date)s", date=_iso(shipment.received_on)),
        ),
    )


def _awaiting_row(found: Any, reader: Reader) -> Row:
    shipment: Shipment = found[0]
    return Row(
        label=shipment.number,
        url=url_for("shipments.page", shipment_id=shipment.id),
        details=(
            _("from %(place)s", place=_place(shipment.origin)),
            _("dispatched %(date)s", date=_iso(shipment.dispatched_on)),
            shipment.carrier or "—",
        ),
        action=(_("Receive"), url_for("shipments.receive", shipment_id=shipment.id))
        if reader.may_act
        else None,
    )


# Stock


def _below_row(found: Any, reader: Reader) -> Row:
    details = [found.name]
    if reader.location_id is None:
        details.append(found.place)
    details.append(
        _("on hand %(on_hand)s, minimum %(minimum)s", on_hand=found.on_hand, minimum=found.minimum)
    )
    return Row(
        label=found.code,
        url=url_for("stock.card", location_id=found.location_id, item_id=found.item_id),
        details=details,
    )


def _expiring_row(found: Any, reader: Reader) -> Row:
    return Row(
        label=found.code,
        url=url_for("stock.lot", lot_id=found.lot_id),
        details=(
            found.name,
            _("lot %(lot)s", lot=found.serial or found.lot_code or "—"),
            found.place,
            _("%(quantity)s %(unit)s", quantity=found.quantity, unit=found.unit),
            _("expires %(date)s", date=_iso(found.expires_on)),
        ),
        flag=_("Expired") if found.expires_on < reader.today else None,
    )


# Distributions


def _late_before(reader: Reader) -> date:
    return reader.today - timedelta(days=UNRETURNED_DAYS)


def _slip_row(found: Any, reader: Reader) -> Row:
    slip: Distribution = found[0]
    return Row(
        label=slip.number,
        url=url_for("distributions.page", distribution_id=slip.id),
        details=(
            _place(slip.location),
            _iso(slip.distributed_on),
            _("%(days)s days", days=(reader.today - slip.distributed_on).days),
        ),
    )


# Counts


def _count_row(found: Any, reader: Reader) -> Row:
    count: StockCount = found[0]
    return Row(
        label=count.number,
        url=url_for("counts.page", count_id=count.id),
        details=(_place(count.location), _("opened %(date)s", date=_iso(count.opened_on))),
        action=(_("Enter counts"), url_for("counts.enter", count_id=count.id))
        if reader.may_act
        else None,
    )


# Requisitions


def _review_row(found: Any, reader: Reader) -> Row:
    requisition: Requisition = found[0]
    place = requisition.location
    province = place.province.display_name(current_locale()) if place.province else "—"
    return Row(
        label=requisition.number,
        url=url_for("requisitions.page", requisition_id=requisition.id),
        details=(
            f"{_place(place)} ({province})",
            _("submitted %(date)s", date=_iso(requisition.submitted_at)),
        ),
        action=(_("Review"), url_for("requisitions.review", requisition_id=requisition.id))
        if reader.may_act
        else None,
    )


def _requisition_row(found: Any, reader: Reader) -> Row:
    requisition: Requisition = found[0]
    return Row(
        label=requisition.number,
        url=url_for("requisitions.page", requisition_id=requisition.id),
        details=(_(REQUISITION_STATUS_LABELS[requisition.status]),),
    )


def _backorder_row(found: Any, reader: Reader) -> Row:
    line, reserved, in_draft = found
    requisition = line.requisition
    details = [line.item.display_name(current_locale())]
    if reader.location_id is None:
        details.append(_place(requisition.location))
    details.append(_("%(n)s to send", n=reserved - in_draft))
    return Row(
        label=requisition.number,
        url=url_for("requisitions.page", requisition_id=requisition.id),
        details=details,
    )


def _awaiting_review_count(reader: Reader) -> Select[tuple[int]]:
    return select(func.count(Requisition.id)).where(
        Requisition.status == RequisitionStatus.SUBMITTED
    )


def _open_here_count(reader: Reader) -> Select[tuple[int]]:
    return select(func.count(Requisition.id)).where(
        Requisition.location_id == reader.user.location_id,
        Requisition.status.in_(OPEN_REQUISITIONS),
    )


PANELS: list[Panel] = [
    Panel(
        id="to-review",
        title=_l("Requisitions waiting for review"),
        roles=_READERS,
        **statement_panel(
            query=lambda r: awaiting_review_query(),
            count=_awaiting_review_count,
            row=_review_row,
        ),
        # Viewers read the queue as the list of submitted requisitions (the queue reviews).
        see_all=lambda r: (
            url_for("requisitions.queue")
            if r.user.role in _REVIEWERS
            else url_for("requisitions.index", status=RequisitionStatus.SUBMITTED.value)
        ),
        empty=_l("No requisition is waiting for review."),
        badge="requisitions.queue",
        badge_text=_l("waiting for review"),
    ),
    Panel(
        id="awaiting-receipt",
        title=_l("Shipments awaiting receipt at your place"),
        roles=_TECHNICIAN,
        **statement_panel(
            query=lambda r: awaiting_receipt_query(r.user.location_id),
            count=lambda r: shipments_count_query(
                r.user, ShipmentFilters(destination_id=r.user.location_id, awaiting=True)
            ),
            row=_awaiting_row,
        ),
        see_all=lambda r: url_for(
            "shipments.index", destination=r.user.location_id, status="awaiting"
        ),
        empty=_l("No shipment is on its way to your place."),
        badge="shipments.index",
        badge_text=_l("awaiting receipt"),
        needs_place=True,
    ),
    Panel(
        id="backorders",
        title=_l("Backorders"),
        roles=_READERS,
        **statement_panel(query=lambda r: backorders_query(), row=_backorder_row),
        see_all=lambda r: url_for("requisitions.backorders"),
        empty=_l("Nothing approved is waiting to be sent."),
    ),
    Panel(
        id="your-requisitions",
        title=_l("Your place's open requisitions"),
        roles=_TECHNICIAN,
        **statement_panel(
            query=lambda r: for_place_query(r.user.location_id),
            count=_open_here_count,
            row=_requisition_row,
        ),
        see_all=lambda r: url_for("requisitions.index"),
        empty=_l("No requisition of your place is open."),
        needs_place=True,
    ),
    Panel(
        id="backorders-here",
        title=_l("Backorders for your place"),
        roles=_TECHNICIAN,
        **statement_panel(query=lambda r: backorders_query(r.location_id), row=_backorder_row),
        see_all=lambda r: url_for("requisitions.backorders"),
        empty=_l("Nothing approved is waiting to be sent."),
        needs_place=True,
    ),
    Panel(
        id="to-dispatch",
        title=_l("Shipments to dispatch"),
        roles=_READERS,
        **statement_panel(
            query=lambda r: shipments_query(r.user, _drafts(r)),
            count=lambda r: shipments_count_query(r.user, _drafts(r)),
            row=_draft_row,
        ),
        see_all=lambda r: url_for("shipments.index", direction="outbound", status="draft"),
        empty=_l("No dispatch is waiting."),
    ),
    Panel(
        id="consignments",
        title=_l("Expected consignments, overdue first"),
        roles=_READERS,
        **statement_panel(
            query=lambda r: expected_consignments_query(r.today), row=_consignment_row
        ),
        see_all=lambda r: url_for("shipments.pipeline"),
        empty=_l("No consignment is expected."),
        badge="shipments.pipeline",
        badge_text=_l("expected"),
    ),
    Panel(
        id="partly-received",
        title=_l("Shipments partly received"),
        roles=_READERS,
        **statement_panel(
            query=lambda r: shipments_query(r.user, _partly()),
            count=lambda r: shipments_count_query(r.user, _partly()),
            row=_moving_row,
        ),
        see_all=lambda r: url_for("shipments.index", status="partly_received"),
        empty=_l("No shipment is partly received."),
    ),
    Panel(
        id="below-minimum",
        title=_l("Items below minimum, by place"),
        roles=_READERS,
        **statement_panel(
            query=lambda r: below_minimum_everywhere_query(locale=current_locale()),
            count=lambda r: below_minimum_count_query(),
            row=_below_row,
        ),
        see_all=lambda r: url_for("stock.below_minimum_everywhere"),
        empty=_l("No item is below its minimum."),
    ),
    Panel(
        id="below-minimum-here",
        title=_l("Items below minimum at your place"),
        roles=_TECHNICIAN,
        **statement_panel(
            query=lambda r: below_minimum_everywhere_query(
                location_id=r.user.location_id, locale=current_locale()
            ),
            count=lambda r: below_minimum_count_query(location_id=r.user.location_id),
            row=_below_row,
        ),
        see_all=lambda r: url_for("stock.below_minimum", location_id=r.user.location_id),
        empty=_l("No item is below its minimum here."),
        needs_place=True,
    ),
    Panel(
        id="expiring",
        title=_l("Lots expired or expiring within 90 days, on a shelf"),
        roles=_READERS,
        **statement_panel(
            query=lambda r: expiring_lots_query(
                today=r.today, days=EXPIRING_DAYS, locale=current_locale()
            ),
            count=lambda r: expiring_count_query(
                today=r.today, days=EXPIRING_DAYS, at_most=COUNT_MAX + 1
            ),
            row=_expiring_row,
        ),
        see_all=lambda r: url_for("stock.expiring", days=EXPIRING_DAYS),
        empty=_l("No lot on a shelf expires within 90 days."),
    ),
    Panel(
        id="unreturned-late",
        title=_l("Slips not returned for more than 30 days"),
        roles=_READERS,
        **statement_panel(
            query=lambda r: unreturned_query(r.user, issued_before=_late_before(r)),
            count=lambda r: unreturned_count_query(r.user, issued_before=_late_before(r)),
            row=_slip_row,
        ),
        see_all=lambda r: url_for("distributions.unreturned", days=UNRETURNED_DAYS),
        empty=_l("Every slip older than 30 days has come back."),
        badge="distributions.unreturned",
        badge_text=_l("not returned for more than 30 days"),
    ),
    Panel(
        id="unreturned-here",
        title=_l("Slips to mark returned"),
        roles=_TECHNICIAN,
        **statement_panel(
            query=lambda r: unreturned_query(r.user),
            count=lambda r: unreturned_count_query(r.user),
            row=_slip_row,
        ),
        see_all=lambda r: url_for("distributions.unreturned"),
        empty=_l("Every slip has come back."),
        badge="distributions.unreturned",
        badge_text=_l("not returned"),
        needs_place=True,
    ),
    Panel(
        id="counts-open",
        title=_l("Counts in progress"),
        roles=_ALL,
        **statement_panel(query=lambda r: counts_query(r.user, CountStatus.OPEN), row=_count_row),
        see_all=lambda r: url_for("counts.index", status="open"),
        empty=_l("No count is in progress."),
    ),
]


def panels_for(user: User) -> list[Panel]:
    """The panels ``user`` sees, in page order."""
    return [
        panel
        for panel in PANELS
        if user.role in panel.roles and not (panel.needs_place and user.location_id is None)
    ]


@dataclass
class Shown:
    """A panel as the home page shows it: its count, first rows and the whole list's address."""

    panel: Panel
    count: int
    rows: list[Row] = field(default_factory=list)
    see_all: str = ""

    @property
    def count_text(self) -> str:
        """The count as shown: the number, or "999+" beyond ``COUNT_MAX``."""
        return count_text(self.count)


def count_text(count: int) -> str:
    """A count for a heading or a badge: the number, or "999+" beyond ``COUNT_MAX``."""
    return f"{COUNT_MAX}+" if count > COUNT_MAX else str(count)


def _counts(reader: Reader, panels: Sequence[Panel]) -> dict[str, int]:
    """The counts of ``panels`` in one statement, once per request (badges and page share them).

    Each panel's count is a scalar subquery of one SELECT: the menu's badges cost every page
    one statement, whatever the number of badges.
    """
    cached = g.get("work_counts")
    if cached is None or cached[0] != reader.user.id:
        cached = (reader.user.id, {})
        g.work_counts = cached
    found: dict[str, int] = cached[1]
    missing = [panel for panel in panels if panel.id not in found]
    if missing:
        values = db.session.execute(
            select(*(panel.count(reader).scalar_subquery() for panel in missing))
        ).one()
        found.update(
            {panel.id: int(value or 0) for panel, value in zip(missing, values, strict=True)}
        )
    return found


def home_panels(user: User, *, shown: int = SHOWN) -> list[Shown]:
    """The reader's panels with their counts and first ``shown`` rows.

    The rows are read even when the count is zero: one statement per panel whatever the data,
    so the page's cost is the same for a quiet place and a busy one.
    """
    reader = Reader(user=user, today=business_today())
    panels = panels_for(user)
    counts = _counts(reader, panels)
    return [
        Shown(
            panel=panel,
            count=counts[panel.id],
            rows=panel.rows(reader, shown),
            see_all=panel.see_all(reader),
        )
        for panel in panels
    ]


@dataclass(frozen=True)
class Badge:
    """A count beside a menu entry, and the words a screen reader hears after it."""

    count: int
    text: str

    @property
    def count_text(self) -> str:
        """The count as shown (capped as the panels' are)."""
        return count_text(self.count)


def menu_badges(user: User) -> dict[str, Badge]:
    """Badges by menu endpoint: the counts of the reader's panels that name one (non-zero).

    Counted with the home page's panels when this request counted them; otherwise kept between
    requests for a short while (see ``_badge_counts``).
    """
    badged = [panel for panel in panels_for(user) if panel.badge]
    if not badged:
        return {}
    reader = Reader(user=user, today=business_today())
    counts = _badge_counts(reader, badged)
    return {
        panel.badge: Badge(counts[panel.id], str(panel.badge_text or ""))
        for panel in badged
        if counts[panel.id] and panel.badge
    }


def _badge_counts(reader: Reader, badged: Sequence[Panel]) -> dict[str, int]:
    """The badged panels' counts: this request's own, else kept (``readcache``) or counted.

    The same for every reader of one role (and, for a technician, one place) on one day, and
    they change a few times an hour: counted on every page they cost each page a statement and
    about 1 ms. Kept up to ``readcache.TTL_S`` seconds; the reader's own writes show at once.
    """
    key = ("menu badges", reader.user.role, reader.location_id, reader.today)
    counted = g.get("work_counts")
    # The home page counts its panels afresh: the badges show (and keep) those same numbers.
    fresh = (
        counted is not None
        and counted[0] == reader.user.id
        and all(panel.id in counted[1] for panel in badged)
    )
    return readcache.kept(key, lambda: dict(_counts(reader, badged)), fresh=fresh)


FIGURE_ROLES = frozenset({Role.ADMIN, Role.VIEWER})


def month_figures(user: User) -> ProgrammeFigures | None:
    """The current month's programme figures for viewers and administrators (None for others)."""
    if user.role not in FIGURE_ROLES:
        return None
    today = business_today()
    return programme_figures(today.replace(day=1), today)
