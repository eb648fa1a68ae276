"""What every requisition operation shares: who may act, finding one, recording its history."""

from flask_babel import gettext as _
from sqlalchemy import select

from hilogistics.actors import SystemActor
from hilogistics.auth.models import Role, User
from hilogistics.db import db
from hilogistics.errors import DomainError, NotFoundError, PermissionDeniedError
from hilogistics.requisitions.models import (
    Requisition,
    RequisitionAction,
    RequisitionEvent,
    RequisitionLine,
)
from hilogistics.stock.services import require_stock_role

MAX_TEXT = 2000


def is_logistics(actor: User | SystemActor | None) -> bool:
    """Logistics staff, administrators and the system: they review and fulfil."""
    if isinstance(actor, SystemActor):
        return True
    return actor is not None and actor.is_active and actor.role in (Role.ADMIN, Role.LOGISTICS)


def may_request_for(actor: User | SystemActor | None, location_id: int) -> bool:
    """Logistics for any place; a technician for their own place only."""
    if is_logistics(actor):
        return True
    return (
        isinstance(actor, User)
        and actor.is_active
        and actor.role is Role.TECHNICIAN
        and actor.location_id == location_id
    )


def can_see(actor: User | SystemActor | None, requisition: Requisition) -> bool:
    """Everyone signed in sees requisitions, but a technician only their own place's."""
    if isinstance(actor, SystemActor):
        return True
    if actor is None or not actor.is_active:
        return False
    if actor.role is Role.TECHNICIAN:
        return actor.location_id == requisition.location_id
    return True


def visible_requisition(actor: User | SystemActor | None, requisition_id: int) -> Requisition:
    """The requisition when ``actor`` may see it; NotFoundError otherwise (a 404 page)."""
    if actor is None:
        raise PermissionDeniedError(_("No one is signed in to record this."))
    requisition = db.session.get(Requisition, requisition_id)
    if requisition is None or not can_see(actor, requisition):
        raise NotFoundError(_("No such requisition."))
    return requisition


def requester_requisition(actor: User | SystemActor | None, requisition_id: int) -> Requisition:
    """A requisition the actor may change as its requester (edit, submit, cancel)."""
    requisition = visible_requisition(actor, requisition_id)
    if not may_request_for(actor, requisition.location_id):
        raise PermissionDeniedError(_("Only logistics staff and the place's technicians may."))
    return requisition


def reviewer_requisition(actor: User | SystemActor | None, requisition_id: int) -> Requisition:
    """A requisition for logistics to review or fulfil; technicians never review."""
    require_stock_role(actor)
    return visible_requisition(actor, requisition_id)


def line_of(requisition: Requisition, line_id: int) -> RequisitionLine:
    """The line ``line_id`` of this requisition (NotFoundError for another's)."""
    line = db.session.scalar(
        select(RequisitionLine).where(
            RequisitionLine.id == line_id, RequisitionLine.requisition_id == requisition.id
        )
    )
    if line is None:
        raise NotFoundError(_("No such line."))
    return line


def reason_text(reason: str | None, *, field: str, required: bool) -> str:
    """The reason stripped; DomainError naming ``field`` when missing or too long."""
    text = (reason or "").strip()
    if required and not text:
        raise DomainError(_("Say why."), field=field)
    if len(text) > MAX_TEXT:
        raise DomainError(_("At most %(n)d characters.", n=MAX_TEXT), field=field)
    return text


def record(
    requisition: Requisition,
    actor: User | SystemActor | None,
    action: RequisitionAction,
    *,
    note: str = "",
    shipment_id: int | None = None,
) -> RequisitionEvent:
    """Add one step to the requisition's history."""
    event = RequisitionEvent(
        requisition_id=requisition.id,
        action=action,
        actor_id=actor.id if actor is not None else None,
        note=note,
        shipment_id=shipment_id,
    )
    db.session.add(event)
    db.session.flush()
    return event
