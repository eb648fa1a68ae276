"""Camp operations: open a camp, start closing it (a count), return what remains, close it.

Each step is one transaction at its entry point; functions flush and never commit. Status
changes are guarded one-shot transitions (two people pressing one button change it once).
Stock moves only through the counts and shipments services, which post through the ledger.
"""

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from hilogistics.actors import SystemActor
from hilogistics.auth.models import Role, User
from hilogistics.camps.models import Camp, CampStatus
from hilogistics.camps.queries import camp_report
from hilogistics.counts.models import CountStatus
from hilogistics.counts.services import abandon_count, open_count
from hilogistics.dates import business_date_problem, business_today, planning_date_problem
from hilogistics.db import begin_write, db, utcnow
from hilogistics.documents.camps import camp_report_pdf
from hilogistics.documents.layout import Printing
from hilogistics.errors import ConflictError, DomainError, NotFoundError, PermissionDeniedError
from hilogistics.history.recording import act_as
from hilogistics.lines.problems import ProblemList
from hilogistics.locations.models import Location, LocationKind, Province
from hilogistics.registry.models import DocumentType
from hilogistics.registry.services import log_print, register_document
from hilogistics.registry.transitions import transition
from hilogistics.shipments.models import Shipment, ShipmentStatus
from hilogistics.shipments.services import DraftLine, Header, create_dispatch
from hilogistics.stock.models import Balance
from hilogistics.stock.services import require_stock_role

MAX_NAME = 200
MAX_TEXT = 2000
# Shipments that still hold goods for or from the camp: a closed camp must have none.
_OPEN_SHIPMENTS = (
    ShipmentStatus.DRAFT,
    ShipmentStatus.DISPATCHED,
    ShipmentStatus.PARTLY_RECEIVED,
)


def can_see(actor: User | SystemActor | None, camp: Camp) -> bool:
    """Whether ``actor`` may see ``camp``: technicians only the camp they are bound to."""
    if isinstance(actor, SystemActor):
        return True
    if actor is None or not actor.is_active:
        return False
    if actor.role is Role.TECHNICIAN:
        return actor.location_id == camp.location_id
    return True


def visible_camp(actor: User | SystemActor | None, camp_id: int) -> Camp:
    """The camp when ``actor`` may see it; NotFoundError otherwise (a 404)."""
    if actor is None:
        raise PermissionDeniedError(_("No one is signed in to record this."))
    camp = db.session.get(Camp, camp_id)
    if camp is None or not can_see(actor, camp):
        raise NotFoundError(_("No such camp."))
    return camp


def _actor_id(actor: User | SystemActor) -> int | None:
    return actor.id


def open_camp(
    *,
    actor: User | SystemActor | None,
    name: str,
    name_ko: str,
    province_id: int | None,
    village: str,
    starts_on: date | None,
    ends_on: date | None,
    supplied_by_id: int | None,
    team: str = "",
    note: str = "",
    operation_key: str | None = None,
) -> Camp:
    """Open a camp: a numbered document (``CMP-…``) and a new active place of kind camp.

    The place's code is the camp's number. Logistics staff and administrators only
    (PermissionDeniedError). Raises LineProblems naming every field that is wrong; with
    ``operation_key`` the same form sent twice opens one camp.
    """
    begin_write()
    act_as(actor)  # the camp's place is reference data: its history names who
    require_stock_role(actor)
    if operation_key:
        earlier = db.session.scalar(select(Camp).where(Camp.opened_key == operation_key))
        if earlier is not None:
            return earlier
    name, name_ko = (name or "").strip(), (name_ko or "").strip()
    village, team, note = (village or "").strip(), (team or "").strip(), (note or "").strip()
    problems = ProblemList()
    for field, value in (("name", name), ("name_ko", name_ko), ("village", village)):
        if not value:
            problems.add(field, _("Enter this."))
        elif len(value) > MAX_NAME:
            problems.add(field, _("At most %(n)d characters.", n=MAX_NAME))
    for field, value in (("team", team), ("note", note)):
        if len(value) > MAX_TEXT:
            problems.add(field, _("At most %(n)d characters.", n=MAX_TEXT))
    province = db.session.get(Province, province_id) if province_id else None
    if province is None:
        problems.add("province_id", _("Choose a province from the list."))
    warehouse = db.session.get(Location, supplied_by_id) if supplied_by_id else None
    if warehouse is None or warehouse.kind is not LocationKind.WAREHOUSE or not warehouse.is_active:
        problems.add("supplied_by_id", _("Choose an active warehouse."))
    for field, value in (("starts_on", starts_on), ("ends_on", ends_on)):
        if not isinstance(value, date):
            problems.add(field, _("Enter a date."))
        else:
            problem = planning_date_problem(value)
            if problem is not None:
                problems.add(field, problem)
    if isinstance(starts_on, date) and isinstance(ends_on, date) and ends_on < starts_on:
        problems.add("ends_on", _("The camp cannot end before it starts."))
    problems.raise_if_any()
    document = register_document(type=DocumentType.CAMP, actor=actor)  # type: ignore[arg-type]
    place = Location(
        code=document.number,
        kind=LocationKind.CAMP,
        name=name,
        name_ko=name_ko,
        is_active=True,
        province=province,
        supplied_by=warehouse,
    )
    db.session.add(place)
    camp = Camp(
        document=document,
        location=place,
        village=village,
        starts_on=starts_on,
        ends_on=ends_on,
        team=team,
        note=note,
        status=CampStatus.OPEN,
        opened_by_id=_actor_id(actor),  # type: ignore[arg-type]
        opened_key=operation_key or None,
    )
    db.session.add(camp)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        # The same form sent twice at once: the first one opened the camp.
        earlier = db.session.scalar(select(Camp).where(Camp.opened_key == operation_key))
        if earlier is None:
            raise
        return earlier
    return camp


def start_closing(
    *, actor: User | SystemActor | None, camp_id: int, opened_on: date | None = None
) -> Camp:
    """Stop distributions at the camp and open the count of its whole place (``CNT-…``).

    Also opens a new count when the closing count was abandoned. Logistics only. Raises
    ConflictError when the camp is closed, or closing with a count still open or posted.
    """
    begin_write()
    require_stock_role(actor)
    camp = visible_camp(actor, camp_id)
    if camp.status is CampStatus.CLOSED:
        raise ConflictError(_("This camp is closed: nothing more can be done."))
    if camp.status is CampStatus.CLOSING:
        if camp.count is not None and camp.count.status is not CountStatus.ABANDONED:
            raise ConflictError(_("This camp's closing count is already open or posted."))
        count = open_count(actor=actor, location_id=camp.location_id, opened_on=opened_on)
        changed = db.session.execute(
            update(Camp)
            .where(Camp.id == camp.id, Camp.count_id == camp.count_id)
            .values(count_id=count.id)
            .execution_options(synchronize_session=False)
        ).rowcount
        if changed != 1:
            raise ConflictError(_("Someone opened a new count meanwhile. Reload the page."))
        db.session.expire(camp)
        return camp
    count = open_count(
        actor=actor,
        location_id=camp.location_id,
        opened_on=opened_on,
        note=_("Closing count of camp %(number)s", number=camp.number),
    )
    transition(
        Camp,
        camp.id,
        frm=CampStatus.OPEN,
        to=CampStatus.CLOSING,
        closing_at=utcnow(),
        closing_by_id=_actor_id(actor),  # type: ignore[arg-type]
        count_id=count.id,
    )
    return camp


def remaining_lines(camp: Camp) -> list[Balance]:
    """Every lot still on hand at the camp's place, item by item."""
    return list(
        db.session.scalars(
            select(Balance)
            .where(Balance.location_id == camp.location_id, Balance.quantity > 0)
            .order_by(Balance.item_id, Balance.lot_id)
        )
    )


def _require_count_posted(camp: Camp) -> None:
    if camp.status is CampStatus.OPEN:
        raise DomainError(_("Start closing the camp first: its stock is counted before it leaves."))
    if camp.status is CampStatus.CLOSED:
        raise ConflictError(_("This camp is closed: nothing more can be done."))
    if camp.count is None or camp.count.status is not CountStatus.POSTED:
        raise DomainError(_("Post the closing count first: what remains is what was counted."))


def _held_nothing(camp: Camp) -> bool:
    """True for a closing camp whose count is open, blank, and whose place holds nothing."""
    count = camp.count
    if camp.status is not CampStatus.CLOSING or count is None:
        return False
    if count.status is not CountStatus.OPEN or count.lines:
        return False
    return not remaining_lines(camp)


def create_return(
    *, actor: User | SystemActor | None, camp_id: int, operation_key: str | None = None
) -> Shipment:
    """Draft the shipment taking every lot that remains at the camp back to its warehouse.

    Logistics dispatch it from its page as any draft. Raises DomainError while the count is
    not posted or when nothing remains, ConflictError while an earlier return is not
    cancelled (so a form sent twice makes one draft).
    """
    begin_write()
    require_stock_role(actor)
    camp = visible_camp(actor, camp_id)
    _require_count_posted(camp)
    previous = camp.return_shipment
    if previous is not None and previous.status is not ShipmentStatus.CANCELLED:
        raise ConflictError(
            _("The return %(number)s already exists.", number=previous.document.number)
        )
    warehouse = camp.location.supplied_by
    if warehouse is None or not warehouse.is_active:
        raise DomainError(_("The camp's warehouse is inactive: choose another one for the camp."))
    lines = _return_lines(camp)
    if not lines:
        raise DomainError(_("Nothing remains at the camp: there is nothing to return."))
    shipment = create_dispatch(
        actor=actor,
        origin_id=camp.location_id,
        destination_id=warehouse.id,
        lines=lines,
        header=_return_header(camp),
        operation_key=operation_key,
    )
    changed = db.session.execute(
        update(Camp)
        .where(
            Camp.id == camp.id,
            Camp.return_shipment_id.is_(None)
            if previous is None
            else Camp.return_shipment_id == previous.id,
        )
        .values(return_shipment_id=shipment.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        raise ConflictError(_("Someone drafted the return meanwhile. Reload the page."))
    db.session.expire(camp)
    return shipment


def _return_lines(camp: Camp) -> list[DraftLine]:
    return [
        DraftLine(item_id=row.item_id, lot_id=row.lot_id, quantity=row.quantity)
        for row in remaining_lines(camp)
    ]


def _return_header(camp: Camp) -> Header:
    return Header(note=_("Return of camp %(number)s", number=camp.number))


def close_camp(
    *, actor: User | SystemActor | None, camp_id: int, closed_on: date | None = None
) -> Camp:
    """Close the camp and deactivate its place: nothing moves there again.

    Refused (DomainError) while the count is not posted, stock remains at the camp, or a
    shipment to or from it is still a draft or on its way to it. A camp that holds nothing
    closes with its count still blank: the count is abandoned. Logistics only.
    """
    begin_write()
    act_as(actor)  # the camp's place is reference data: its history names who
    require_stock_role(actor)
    camp = visible_camp(actor, camp_id)
    if _held_nothing(camp):
        # Nothing to count at a camp that holds nothing: its empty count is set aside.
        abandon_count(
            actor=actor,
            count_id=camp.count_id,  # type: ignore[arg-type]
            reason=_("Nothing to count: the camp held nothing when it closed."),
        )
    else:
        _require_count_posted(camp)
    on = closed_on or business_today()
    problem = business_date_problem(on)
    if problem is not None:
        raise DomainError(problem, field="closed_on")
    on_hand = db.session.scalar(
        select(func.coalesce(func.sum(Balance.quantity), 0)).where(
            Balance.location_id == camp.location_id, Balance.quantity > 0
        )
    )
    if on_hand:
        raise DomainError(
            _(
                "%(n)d units remain at the camp: return them to the warehouse first.",
                n=on_hand,
            )
        )
    pending = db.session.scalars(
        select(Shipment)
        .where(
            Shipment.status.in_(_OPEN_SHIPMENTS),
            or_(
                Shipment.destination_id == camp.location_id,
                and_(
                    Shipment.origin_id == camp.location_id,
                    Shipment.status == ShipmentStatus.DRAFT,
                ),
            ),
        )
        .order_by(Shipment.id)
    ).all()
    if pending:
        raise DomainError(
            _(
                "Shipments to or from the camp are not finished: %(numbers)s. Receive, "
                "recall or cancel them first.",
                numbers=", ".join(s.document.number for s in pending),
            )
        )
    transition(
        Camp,
        camp.id,
        frm=CampStatus.CLOSING,
        to=CampStatus.CLOSED,
        closed_on=on,
        closed_at=utcnow(),
        closed_by_id=_actor_id(actor),  # type: ignore[arg-type]
    )
    db.session.execute(
        update(Location)
        .where(Location.id == camp.location_id)
        .values(is_active=False)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(camp.location, ["is_active"])
    return camp


def print_camp_report(
    *,
    actor: User | SystemActor | None,
    camp_id: int,
    printing: Printing,
    strict: bool = False,
) -> tuple[bytes, str]:
    """Log one print of the camp report and render it: (PDF bytes, file name).

    Anyone who may see the camp prints it (technicians: their own camp only).
    """
    begin_write()
    camp = visible_camp(actor, camp_id)
    copy = log_print(camp.document, actor)  # type: ignore[arg-type]
    body = camp_report_pdf(report=camp_report(camp), printing=printing, copy=copy, strict=strict)
    return body, f"{camp.number}-report"
