"""Receiving a shipment at its destination: one form over its lines, pre-filled with what remains.

Each line says what arrived in good order, what arrived damaged and what is short (with a
reason); a consignment's line also the lot, expiry and serial numbers as found. "Fill in every
line as sent" ("accept every line as planned") puts back what remains on every line, so that
the clerk only corrects the exceptions; warnings (more than planned, odd expiry dates) pass
with a confirmation. Partial receipts are several events; the service guards each
line's remainder in the database, so two people receiving at once never exceed what was sent.
"""

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from hilogistics.auth.access import acting_user, allow
from hilogistics.auth.models import Role
from hilogistics.errors import DomainError
from hilogistics.forms import attach_error
from hilogistics.i18n import current_locale
from hilogistics.lines.problems import LineProblems
from hilogistics.shipments import queries, services
from hilogistics.shipments.forms import ReceiveForm
from hilogistics.shipments.models import Shipment
from hilogistics.shipments.views.blueprint import bp
from hilogistics.shipments.views.pages import can_receive, loaded_shipment
from hilogistics.views_support import submit


def _loss_reasons() -> list[SelectChoice]:
    """Reasons a shortage may give: those that write stock off to the loss location."""
    locale = current_locale()
    reasons = queries.loss_reasons()
    return [SelectChoice("", _("— choose a reason —"))] + [
        SelectChoice(str(r.id), r.display_name(locale)) for r in reasons
    ]


def _form(shipment: Shipment, *, as_sent: bool) -> ReceiveForm:
    """The form with one entry per line; as sent: received = what remains, the rest blank."""
    data = None
    if request.method == "POST":
        # A line with nothing left posts no inputs: give it a blank one, so that posted line N
        # stays entry N (FieldList numbers entries in the order of the indices it finds).
        data = MultiDict(request.form)
        for index in range(len(shipment.lines)):
            if not any(key.startswith(f"lines-{index}-") for key in data):
                data.add(f"lines-{index}-note", "")
    form = ReceiveForm(formdata=data)
    while len(form.lines.entries) < len(shipment.lines):
        form.lines.append_entry()
    reasons = _loss_reasons()
    for entry, line in zip(form.lines.entries, shipment.lines, strict=False):
        entry.form.reason_id.choices = reasons
        if as_sent:
            entry.form.received.data = line.remaining or None
            entry.form.damaged.data = None
            entry.form.lost.data = None
            entry.form.reason_id.data = None
            entry.form.note.data = ""
        if request.method == "GET" or as_sent:
            # A consignment's lot and expiry as planned, for the clerk to correct as found.
            entry.form.lot_code.data = line.lot_code
            entry.form.expires_on.data = line.expires_on
            entry.form.serials.data = ""
    form.field_warnings = {}  # type: ignore[attr-defined]
    if shipment.is_inbound:
        form.accept_all.label.text = _("Accept every line as planned")
    return form


def _entries(form: ReceiveForm, shipment: Shipment) -> list[services.LineReceipt] | None:
    """What the lines report, for the service; None when a field is wrong (shown on it)."""
    valid = form.validate()
    if len(form.lines.entries) > len(shipment.lines):
        form.form_errors.append(_("A line is not part of this shipment."))
        # The page shows the shipment's lines only: an entry beyond them has no line to show.
        del form.lines.entries[len(shipment.lines) :]
        return None
    entries = []
    for entry, line in zip(form.lines.entries, shipment.lines, strict=False):
        fields = entry.form
        if fields.reported() == 0 or line.remaining == 0:
            continue
        serials = fields.serial_list() if shipment.is_inbound else []
        if serials is None:
            valid = False
            continue
        found: dict[str, object] = {}
        if shipment.is_inbound:
            found = {
                "lot_code": fields.lot_code.data or "",
                "expires_on": fields.expires_on.data,
                "serials": tuple(serials),
            }
        entries.append(
            services.LineReceipt(
                line_id=line.id,
                received=fields.received.data or 0,
                damaged=fields.damaged.data or 0,
                lost=fields.lost.data or 0,
                reason_id=fields.reason_id.data,
                note=fields.note.data or "",
                **found,  # type: ignore[arg-type]
            )
        )
    if valid and not entries:
        form.form_errors.append(_("Enter what arrived on at least one line."))
    return entries if valid and entries else None


@bp.route("/shipments/<int:shipment_id>/receive", methods=["GET", "POST"])
@allow(Role.ADMIN, Role.LOGISTICS, Role.TECHNICIAN)
def receive(shipment_id: int) -> Response | str:
    """Record what arrived: per line received, damaged, short with a reason."""
    shipment = loaded_shipment(shipment_id)
    page = url_for("shipments.page", shipment_id=shipment.id)
    if not can_receive(acting_user(), shipment):
        return redirect(page)  # nothing is expected any more, or not here: its page says so
    posted = request.method == "POST"
    form = _form(shipment, as_sent=not posted)
    if posted and form.accept_all.data:
        form = _form(shipment, as_sent=True)
    elif posted:
        entries = _entries(form, shipment)
        if entries is not None:

            def show(error: DomainError) -> None:
                if not isinstance(error, LineProblems):
                    attach_error(form, error)
                    return
                for problem in error.problems:
                    if problem.warning:
                        form.field_warnings.setdefault(problem.field, []).append(problem.message)
                    else:
                        attach_error(form, DomainError(problem.message, field=problem.field))

            response = submit(
                form,
                lambda: services.receive_shipment(
                    actor=acting_user(),
                    shipment_id=shipment.id,
                    lines=entries,
                    received_on=form.received_on.data,  # type: ignore[arg-type]
                    operation_key=form.operation_key.data,
                    note=form.note.data or "",
                    confirmed=bool(form.confirmed.data),
                ),
                _("Receipt recorded."),
                page,
                show_error=show,
            )
            if response is not None:
                return response
            shipment = loaded_shipment(shipment_id)
    return render_template(
        "shipments/receive.html",
        shipment=shipment,
        form=form,
        warnings=form.field_warnings,  # type: ignore[attr-defined]
        serialised=any(line.item.tracks_serial for line in shipment.lines),
    )
