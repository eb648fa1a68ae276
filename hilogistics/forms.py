"""Form pieces shared by every domain: the base form and its translated built-in messages."""

import uuid
from typing import Any, NamedTuple

from flask import abort, g, has_request_context
from flask_babel import get_translations, lazy_ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import (
    Field,
    FieldList,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.core import UnboundField
from wtforms.utils import unset_value
from wtforms.validators import StopValidation, ValidationError
from wtforms.widgets import Select

from hilogistics.dates import planning_date_problem
from hilogistics.errors import DomainError
from hilogistics.inputs import (
    DB_INT_MAX,
    DB_INT_MIN,
    control_character_message,
    has_control_characters,
)
from hilogistics.lines.problems import LineProblems

# WTForms' own messages, marked so that pybabel puts them in our catalogues. WTForms ships a
# South Korean catalogue only; these give the interface's ko_KP (and French) wording instead.
WTFORMS_MESSAGES = (
    _l("This field is required."),
    _l("Invalid input."),
    _l("Not a valid choice."),
    _l("Invalid Choice: could not coerce."),
    _l("Not a valid integer value."),
    _l("Not a valid decimal value."),
    _l("Not a valid float value."),
    _l("Not a valid date value."),
    _l("Not a valid datetime value."),
    _l("Field must be equal to %(other_name)s."),
    _l("Field must be between %(min)d and %(max)d characters long."),
    _l("Number must be at least %(min)s."),
    _l("Number must be at most %(max)s."),
    _l("Number must be between %(min)s and %(max)s."),
    lazy_ngettext(
        "Field must be at least %(min)d character long.",
        "Field must be at least %(min)d characters long.",
        1,
    ),
    lazy_ngettext(
        "Field cannot be longer than %(max)d character.",
        "Field cannot be longer than %(max)d characters.",
        1,
    ),
)


class _CatalogueTranslations:
    """WTForms' translation hook, answered from the app's own catalogues.

    No formatting here: WTForms fills in %(min)d and friends itself.
    """

    def gettext(self, string: str) -> str:
        return get_translations().ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return get_translations().ungettext(singular, plural, n)


def _label(field: Field) -> str:
    return str(field.label.text) if field.label and field.label.text else field.name


class NoControlCharacters:
    """Refuse text holding control characters (multi-line text keeps tabs and line breaks)."""

    field_flags: dict[str, Any] = {}

    def __init__(self, *, multiline: bool = False) -> None:
        self.multiline = multiline

    def __call__(self, form: FlaskForm, field: Field) -> None:
        """Stop the field's other checks with a message naming it."""
        values = [field.data, *(field.raw_data or [])]
        if any(
            isinstance(value, str) and has_control_characters(value, multiline=self.multiline)
            for value in values
        ):
            raise StopValidation(control_character_message(_label(field)))


class WithinDatabaseRange:
    """Refuse a whole number no INTEGER column holds.

    WTForms' NumberRange cannot even compare such numbers: it turns them into floats, which
    overflow past 308 digits.
    """

    field_flags: dict[str, Any] = {}

    def __call__(self, form: FlaskForm, field: Field) -> None:
        """Stop the field's other checks when the number is out of range."""
        if isinstance(field.data, int) and not DB_INT_MIN <= field.data <= DB_INT_MAX:
            raise StopValidation(_("%(field)s: this number is far too large.", field=_label(field)))


def _guarded(unbound_field: UnboundField) -> list[Any] | None:
    """The validators to bind a field with, the shared input checks first (None: unchanged)."""
    field_class = unbound_field.field_class
    guard: Any
    if issubclass(field_class, StringField):
        guard = NoControlCharacters(multiline=issubclass(field_class, TextAreaField))
    elif issubclass(field_class, IntegerField):
        guard = WithinDatabaseRange()
    else:
        return None
    return [guard, *(unbound_field.kwargs.get("validators") or ())]


class QuickSelect(Select):
    """WTForms' select, with the same markup, its options written without ``html_params``.

    WTForms finds its option renderer by inspecting a signature on every select and builds,
    sorts and escapes an attribute dict per option: 19 options cost more than a page's 50
    table rows (bench/render.py). An option with its own attributes goes the stock way.
    """

    @classmethod
    def render_option(cls, choice: Any, **kwargs: Any) -> Markup:
        """``<option [selected ]value="…">label</option>``, as html_params orders them."""
        if choice.render_kw or kwargs:
            return super().render_option(choice, **kwargs)
        value = str(choice.value) if isinstance(choice.value, bool) else choice.value
        label = escape(choice.label or choice.value)
        selected = "selected " if choice.selected else ""
        # Safe: the value and the label are escaped here.
        return Markup(f'<option {selected}value="{escape(value)}">{label}</option>')  # noqa: S704

    @classmethod
    def _dispatch_render_option(cls) -> Any:
        return cls.render_option


_QUICK_SELECT = QuickSelect()


class Form(FlaskForm):
    """Base of every form: CSRF from Flask-WTF, built-in messages in the reader's language.

    Every text field refuses control characters and every integer field numbers beyond the
    database's range, before its own validators run: the forms cannot forget to.
    """

    class Meta:
        def get_translations(self, form: FlaskForm) -> _CatalogueTranslations:
            return _CatalogueTranslations()

        def bind_field(
            self, form: FlaskForm, unbound_field: UnboundField, options: dict[str, Any]
        ) -> Field:
            validators = _guarded(unbound_field)
            if validators is not None:
                options = {**options, "validators": validators}
            field_class = unbound_field.field_class
            if (
                issubclass(field_class, SelectField)
                and type(field_class.widget) is Select
                and not field_class.widget.multiple
                and "widget" not in unbound_field.kwargs
            ):
                options = {**options, "widget": _QUICK_SELECT}
            return unbound_field.bind(form=form, **options)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The page's forms, so that base.html can title the page and sum up every error at the
        # top whatever the view called its forms. Lines of a list (prefixed) belong to theirs.
        if has_request_context() and not kwargs.get("prefix"):
            g.setdefault("page_forms", []).append(self)


class SummaryEntry(NamedTuple):
    """One line of a page's error summary: the input to go to (None: the form) and the text."""

    target: str | None
    text: str


def _entries(form: FlaskForm) -> list[SummaryEntry]:
    # A form may name its lines its own way (a pasted line also names its row in the paste).
    line_name = getattr(form, "line_name", None) or (lambda n: _("Line %(n)d", n=n))
    entries: list[SummaryEntry] = []
    for field in form:
        if isinstance(field, FieldList):
            for number, entry in enumerate(field.entries, start=1):
                inner = entry.form if isinstance(entry, FormField) else None
                for sub in inner if inner is not None else [entry]:
                    if sub.errors and isinstance(sub.errors, list):
                        label = _("%(line)s: %(field)s", line=line_name(number), field=_label(sub))
                        entries.append(SummaryEntry(sub.id, _summary_text(label, sub.errors)))
        elif field.errors and isinstance(field.errors, list):
            entries.append(SummaryEntry(field.id, _summary_text(_label(field), field.errors)))
    entries.extend(SummaryEntry(None, str(message)) for message in form.form_errors)
    return entries


def _summary_text(label: str, errors: list[Any]) -> str:
    return _("%(label)s: %(errors)s", label=label, errors=" ".join(str(e) for e in errors))


def page_errors() -> list[SummaryEntry]:
    """Every error of every form made for this page, in order: for base.html's summary."""
    forms = g.get("page_forms", []) if has_request_context() else []
    return [entry for form in forms for entry in _entries(form)]


def planning_date(_form: FlaskForm, field: Field) -> None:
    """Validator: a date that may lie ahead, but not before the programme nor absurdly far."""
    problem = planning_date_problem(field.data) if field.data is not None else None
    if problem is not None:
        raise ValidationError(problem)


class BoundedFieldList(FieldList):
    """A FieldList whose page never sends more than ``max_entries`` rows.

    A post with more is refused (413) before a single row is built: WTForms would otherwise
    build, validate and render every one of them, or silently drop the ones beyond the limit.
    """

    def process(self, formdata: Any, data: Any = unset_value, extra_filters: Any = None) -> None:
        """Refuse an over-long list, then process it as FieldList does."""
        if formdata and self.max_entries:
            sent = set(self._extract_indices(self.name, formdata))
            if len(sent) > self.max_entries:
                abort(413)
        super().process(formdata, data, extra_filters)


def new_operation_key() -> str:
    """A fresh one-time key for a stock-posting form."""
    return uuid.uuid4().hex


class OperationKeyField(HiddenField):
    """Hidden one-time key: the ledger posts a form with a given key once, however often sent."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(default=new_operation_key, **kwargs)
        # Macros treat it like any hidden input (rendered once, by form.hidden_tag()).
        self.type = "HiddenField"


def attach_error(form: FlaskForm, error: DomainError) -> None:
    """Show a service's DomainError on the field it names, or at the top of the form.

    Field names may point into a FieldList (``lines-2-quantity``). A LineProblems shows each
    of its problems, on its own field or at the top.
    """
    named = (
        [(p.field, p.message) for p in error.problems]
        if isinstance(error, LineProblems)
        else [(error.field, error.message)]
    )
    for name, message in named:
        field = _find_field(form, name) if name else None
        if field is not None:
            field.errors = [*field.errors, message]
        else:
            form.form_errors.append(message)


def _find_field(form: FlaskForm, name: str) -> Field | None:
    if name in form._fields:
        return form._fields[name]
    for field in form:
        if isinstance(field, FieldList) and name.startswith(field.name + "-"):
            for entry in field.entries:
                if name == entry.name:
                    return entry
                if isinstance(entry, FormField) and name.startswith(entry.name + "-"):
                    return entry.form._fields.get(name[len(entry.name) + 1 :])
    return None
