"""Form fields of a line: a one-stop date typed as text, read like pasted dates."""

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import StringField, TextAreaField
from wtforms.validators import Length, Optional, ValidationError

from hilogistics.lines.parsing import InputError, parse_date


class TypedDateField(StringField):
    """A date in one text input (one tab stop), read by :func:`parse_date`.

    ``data`` is a date or None. Shown back as typed when it cannot be read, else YYYY-MM-DD.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        render_kw = {
            "placeholder": _l("YYYY-MM-DD"),
            "autocomplete": "off",
            "spellcheck": "false",
            "size": 10,
            **(kwargs.pop("render_kw", None) or {}),
        }
        super().__init__(*args, render_kw=render_kw, **kwargs)
        self.text = ""
        self.problem: str | None = None

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Read the typed text; an unreadable date keeps its text and a message for validate."""
        self.text = str(valuelist[0]).strip() if valuelist else ""
        self.data = None
        self.problem = None
        if self.text:
            try:
                self.data = parse_date(self.text)
            except InputError as error:
                self.problem = error.message

    def pre_validate(self, form: Any) -> None:
        """Refuse the text that is not a date, before the other validators."""
        if self.problem is not None:
            raise ValidationError(self.problem)

    def _value(self) -> str:
        if self.problem is not None or (self.raw_data and self.data is None):
            return self.text
        return self.data.isoformat() if self.data else ""


# Room for a few hundred spreadsheet rows; larger lists go through the file import.
MAX_PASTE_TEXT = 200_000


def paste_field(
    label: Any, columns: Any, *, rows: int = 6, max_length: int = MAX_PASTE_TEXT
) -> TextAreaField:
    """The paste box every lines form has: rows copied from a spreadsheet, ``columns`` described."""
    return TextAreaField(
        label,
        validators=[Optional(), Length(max=max_length)],
        description=columns,
        render_kw={"rows": rows, "spellcheck": "false", "autocomplete": "off"},
    )
