"""Form pieces shared by several domains."""

import uuid

from flask_wtf import FlaskForm
from wtforms import Field, FieldList, FormField, HiddenField

from hilogistics.errors import DomainError


def new_operation_key() -> str:
    """A fresh one-time key for a stock-posting form."""
    return uuid.uuid4().hex


class OperationKeyField(HiddenField):
    """Hidden one-time key: the ledger posts a form with a given key once, however often sent."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(default=new_operation_key, **kwargs)


def attach_error(form: FlaskForm, error: DomainError) -> None:
    """Show a service's DomainError on the field it names, or at the top of the form.

    Field names may point into a FieldList (``lines-2-quantity``).
    """
    field = _find_field(form, error.field) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


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
