"""Forms of the shipment pages: the list's filters, printing, recall, cancel and close."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    HiddenField,
    SearchField,
    SelectChoice,
    SelectField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from hilogistics.forms import Form, OperationKeyField, planning_date
from hilogistics.shipments.labels import DIRECTION_LABELS, STATUS_LABELS
from hilogistics.shipments.models import ShipmentDirection, ShipmentStatus
from hilogistics.stock.forms_pages import FilterForm


class ShipmentFilterForm(FilterForm):
    """Filters of the shipments list (places and grants are filled in by the view)."""

    q = SearchField(
        _l("Number, reference, supplier, carrier, driver or vehicle"),
        validators=[Optional(), Length(max=120)],
    )
    direction = SelectField(
        _l("Direction"),
        default="",
        choices=[
            SelectChoice("", _l("Both directions")),
            *(SelectChoice(d.value, DIRECTION_LABELS[d]) for d in ShipmentDirection),
        ],
    )
    status = SelectField(
        _l("Status"),
        default="",
        choices=[
            SelectChoice("", _l("Any status")),
            *(SelectChoice(s.value, STATUS_LABELS[s]) for s in ShipmentStatus),
        ],
    )
    origin = SelectField(_l("From"), default="")
    destination = SelectField(_l("To"), default="")
    grant = SelectField(_l("Grant"), default="")
    date_from = DateField(
        _l("From date"),
        validators=[Optional(), planning_date],
        description=_l("Dispatch date, or the expected date of what has not left."),
    )
    date_to = DateField(_l("To date"), validators=[Optional(), planning_date])


class PrintForm(Form):
    """One print of a shipment's document (the print is logged: COPY n from the second on)."""

    kind = HiddenField()
    event_id = HiddenField()


class RecallForm(Form):
    """Confirm a recall: the goods in transit go back to the origin."""

    reason = TextAreaField(
        _l("Why is it recalled?"),
        validators=[DataRequired(), Length(max=2000)],
        description=_l("For example: wrong destination, road closed, goods needed elsewhere."),
    )
    operation_key = OperationKeyField()
    submit = SubmitField(_l("Recall this shipment"))


class CancelForm(Form):
    """Confirm cancelling a draft or a plan: nothing is posted."""

    reason = TextAreaField(_l("Why is it cancelled?"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Cancel this shipment"))


class CloseForm(Form):
    """Close a consignment whose rest will not come."""

    reason = TextAreaField(
        _l("Why is it closed?"),
        validators=[DataRequired(), Length(max=2000)],
        description=_l("For example: the supplier will not send the rest."),
    )
    submit = SubmitField(_l("Close this consignment"))
