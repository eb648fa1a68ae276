"""Forms of the requisition pages: raise and edit (line entry), review, ship, cancel, filters."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    FieldList,
    FormField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from hilogistics.forms import Form, OperationKeyField
from hilogistics.lines.entry import Sizes
from hilogistics.lines.fields import paste_field
from hilogistics.requisitions.labels import STATUS_LABELS
from hilogistics.requisitions.models import LineDecision, RequisitionStatus
from hilogistics.shipments.forms import ItemQuantityLineForm
from hilogistics.stock.forms_operations import _strip, line_quantity_field, optional_id
from hilogistics.stock.forms_pages import FilterForm
from hilogistics.stock.ledger import MAX_QUANTITY

SIZES = Sizes(first=5, more=5, most=100)
LINE_FIELDS = ("item", "quantity", "reason")


class RequisitionLineForm(ItemQuantityLineForm):
    """One line asked for: item code, quantity, why."""

    reason = StringField(
        _l("Reason"),
        filters=[_strip],
        validators=[Optional(), Length(max=2000)],
        render_kw={"autocomplete": "off"},
    )


class RequisitionForm(Form):
    """A requisition: for which place, from paper or not, a note, and its lines."""

    location_id = SelectField(_l("Place"), coerce=optional_id, validators=[DataRequired()])
    from_paper = BooleanField(
        _l("Keyed from the place's paper form"),
        description=_l("Logistics only: the page and the print say who keyed it."),
    )
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
    lines = FieldList(
        FormField(RequisitionLineForm), min_entries=SIZES.first, max_entries=SIZES.most + 1
    )
    paste = paste_field(
        _l("Rows copied from a spreadsheet"),
        _l("Columns: item code, quantity; a header row is recognised and skipped."),
        rows=5,
    )
    operation_key = OperationKeyField()
    submit = SubmitField(_l("Save the draft"))
    fill = SubmitField(_l("Fill with the suggestions"))
    figures = SubmitField(_l("Show the figures"))
    add_lines = SubmitField(_l("Add 5 more lines"))
    show_paste = SubmitField(_l("Show the pasted rows as lines"))
    show_lines = SubmitField(_l("Put these lines in the form"))

    def filled_lines(self) -> list[tuple[int, RequisitionLineForm]]:
        """(position, line) of every line with something typed on it."""
        return [
            (index, entry.form)
            for index, entry in enumerate(self.lines.entries)
            if not entry.form.is_blank()
        ]


DECISION_CHOICES = [
    SelectChoice("", _l("— decide —")),
    SelectChoice(LineDecision.APPROVED.value, _l("Approve all")),
    SelectChoice(LineDecision.REDUCED.value, _l("Approve less")),
    SelectChoice(LineDecision.REJECTED.value, _l("Reject")),
]


class ReviewLineForm(Form):
    """The decision on one line."""

    class Meta:
        csrf = False

    line_id = HiddenField()
    decision = SelectField(_l("Decision"), choices=DECISION_CHOICES, default="")
    approved = line_quantity_field(_l("Quantity approved"))
    reason = StringField(_l("Reason"), filters=[_strip], validators=[Optional(), Length(max=2000)])


class ReviewForm(Form):
    """Every line's decision at once."""

    lines = FieldList(FormField(ReviewLineForm), min_entries=0, max_entries=600)
    submit = SubmitField(_l("Record the review"))


class ShipLineForm(Form):
    """How much of a line's backorder goes now."""

    class Meta:
        csrf = False

    line_id = HiddenField()
    quantity = IntegerField(
        _l("Send now"),
        validators=[Optional(), NumberRange(min=0, max=MAX_QUANTITY)],
        render_kw={"min": 0, "inputmode": "numeric"},
    )


class ShipForm(Form):
    """Draft the shipment of what goes now."""

    lines = FieldList(FormField(ShipLineForm), min_entries=0, max_entries=600)
    operation_key = OperationKeyField()
    submit = SubmitField(_l("Draft the shipment"))


class CancelForm(Form):
    """Cancel a draft or a requisition not reviewed yet."""

    reason = TextAreaField(_l("Why is it cancelled?"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Cancel this requisition"))


class SubmitForm(Form):
    """Submit a draft for review (a button)."""

    submit = SubmitField(_l("Submit for review"))


class CancelBackorderForm(Form):
    """Give up some or all of a line's backorder, with a reason."""

    quantity = line_quantity_field(
        _l("Quantity to cancel"), description=_l("Blank: all of the backorder.")
    )
    reason = TextAreaField(_l("Why?"), validators=[DataRequired(), Length(max=2000)])
    submit = SubmitField(_l("Cancel the backorder"))


class PrintForm(Form):
    """Print the requisition form (the print is logged: COPY n from the second on)."""


class RequisitionFilterForm(FilterForm):
    """Filters of the requisitions list (places are filled in by the view)."""

    location = SelectField(_l("Place"), default="")
    status = SelectField(
        _l("Status"),
        default="",
        choices=[
            SelectChoice("", _l("Any status")),
            *(SelectChoice(s.value, _l(STATUS_LABELS[s])) for s in RequisitionStatus),
        ],
    )
