"""Item import from CSV or XLSX: preview every row, then apply all rows or none.

The same columns as the export. Rows are matched to items by code: a known code updates the
item, a new one creates it. Uploaded files wait for confirmation in the instance folder.
"""

import enum
import os
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from hilogistics.actors import SystemActor
from hilogistics.auth.models import User
from hilogistics.catalogue.models import Category, Item, ItemKind, Unit
from hilogistics.catalogue.services import (
    ItemValues,
    apply_item_values,
    item_has_movements,
    item_problems,
    require_admin,
)
from hilogistics.db import begin_write, db
from hilogistics.errors import ConflictError, DomainError
from hilogistics.exports import SpreadsheetError, read_table
from hilogistics.history.recording import act_as
from hilogistics.inputs import control_character_message, has_control_characters

COLUMNS = (
    "code",
    "name",
    "name_ko",
    "name_fr",
    "category",
    "unit",
    "pack_size",
    "kind",
    "tracks_expiry",
    "tracks_serial",
    "family",
    "active",
)
REQUIRED_COLUMNS = ("code", "name", "name_ko", "category", "unit")
EXTENSIONS = ("csv", "xlsx")
MAX_ROWS = 10_000
# Service field names that differ from the file's column names.
_FIELD_TO_COLUMN = {"category_id": "category", "unit_id": "unit", "is_active": "active"}
_TRUE = frozenset({"yes", "true", "1", "y"})
_FALSE = frozenset({"no", "false", "0", "n"})
# The export quotes text that a spreadsheet would take for a formula; undo that on the way in.
_NEUTRALISED = re.compile(r"^'[=+\-@\t\r]")
T = TypeVar("T")


class RowAction(enum.StrEnum):
    """What confirming the import does with one row."""

    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class RowProblem:
    """Why a row (row 1: the header) cannot be imported, and in which column."""

    row: int
    column: str
    message: str


@dataclass
class PlannedRow:
    """One data row and what it will do; ``action`` is None when the row has problems."""

    row: int
    code: str
    name: str
    action: RowAction | None
    changes: tuple[str, ...] = ()
    values: ItemValues | None = None
    item: Item | None = None


@dataclass
class ImportPlan:
    """The outcome of reading an import file: each row's action and every problem found."""

    rows: list[PlannedRow] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)

    def count(self, action: RowAction) -> int:
        """How many rows will have ``action``."""
        return sum(1 for row in self.rows if row.action is action)

    def summary(self) -> str:
        """E.g. "12 created, 3 updated, 40 unchanged"."""
        return _(
            "%(created)d created, %(updated)d updated, %(unchanged)d unchanged",
            created=self.count(RowAction.CREATE),
            updated=self.count(RowAction.UPDATE),
            unchanged=self.count(RowAction.UNCHANGED),
        )


class ImportRejectedError(DomainError):
    """The import file has problems; nothing was written. ``plan`` lists them."""

    def __init__(self, plan: ImportPlan) -> None:
        super().__init__(
            ngettext(
                "The file has %(num)d problem. Nothing was imported.",
                "The file has %(num)d problems. Nothing was imported.",
                len(plan.problems),
            ),
            field="file",
        )
        self.plan = plan


def file_extension(filename: str) -> str | None:
    """``csv`` or ``xlsx`` for an accepted file name, otherwise None."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    return extension if extension in EXTENSIONS else None


def plan_item_import(*, actor: User | SystemActor, data: bytes, filename: str) -> ImportPlan:
    """Read an import file and say, row by row, what it would do. Writes nothing.

    Raises PermissionDeniedError for non-admins and DomainError (field ``file``) for a file that
    is not a readable CSV or XLSX file. Problems in the rows are listed in the plan, not raised.
    """
    require_admin(actor)
    if file_extension(filename) is None:
        raise DomainError(_("Choose a .csv or .xlsx file."), field="file")
    try:
        table = read_table(data, filename, max_rows=MAX_ROWS)
    except SpreadsheetError as error:
        raise DomainError(
            _("The file cannot be read (%(reason)s).", reason=str(error)), field="file"
        ) from error
    plan = ImportPlan()
    if not table:
        plan.problems.append(RowProblem(1, "", _("The file has no item rows.")))
        return plan
    if len(table) > MAX_ROWS:
        plan.problems.append(
            RowProblem(1, "", _("The file has more than %(n)d rows: split it.", n=MAX_ROWS))
        )
        return plan
    headers = set(table[0][1])
    for column in sorted(h for h in headers if has_control_characters(h)):
        plan.problems.append(RowProblem(1, repr(column), control_character_message(repr(column))))
    if plan.problems:
        return plan
    for column in REQUIRED_COLUMNS:
        if column not in headers:
            plan.problems.append(RowProblem(1, column, _("This column is missing.")))
    for column in sorted(headers - set(COLUMNS)):
        plan.problems.append(
            RowProblem(
                1,
                column,
                _("Unknown column. The columns are: %(columns)s.", columns=", ".join(COLUMNS)),
            )
        )
    if plan.problems:
        return plan
    _RowReader(plan).read(table)
    return plan


def import_items(*, actor: User | SystemActor, data: bytes, filename: str) -> ImportPlan:
    """Create and update items from an import file: every row, or none if any row is bad.

    No ledger effect. Flushes; the caller commits once. Raises ImportRejectedError (with the
    plan) when any row has a problem, ConflictError when another user added one of the codes
    meanwhile, and what plan_item_import raises.
    """
    begin_write()
    act_as(actor)
    plan = plan_item_import(actor=actor, data=data, filename=filename)
    if plan.problems:
        raise ImportRejectedError(plan)
    for row in plan.rows:
        if row.values is None:
            continue
        if row.action is RowAction.CREATE:
            item = Item()
            apply_item_values(item, row.values)
            db.session.add(item)
        elif row.action is RowAction.UPDATE and row.item is not None:
            apply_item_values(row.item, row.values)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as error:
        raise ConflictError(
            _("Another user changed the catalogue meanwhile. Upload the file again."),
            field="file",
        ) from error
    return plan


class _RowReader:
    """Turns table rows into planned rows and problems, with lookups loaded once."""

    def __init__(self, plan: ImportPlan) -> None:
        self.plan = plan
        self.categories = {c.code.lower(): c for c in db.session.scalars(select(Category))}
        self.units = {u.code.lower(): u for u in db.session.scalars(select(Unit))}
        self.items = {i.code.upper(): i for i in db.session.scalars(select(Item))}
        self.first_row_of: dict[str, int] = {}
        self._movements: dict[int, bool] = {}

    def has_movements(self, item: Item) -> bool:
        if item.id not in self._movements:
            self._movements[item.id] = item_has_movements(item)
        return self._movements[item.id]

    def read(self, table: list[tuple[int, dict[str, str]]]) -> None:
        for number, cells in table:
            self.read_row(number, {k: _unquote(v) for k, v in cells.items()})

    def read_row(self, number: int, cells: dict[str, str]) -> None:
        # PostgreSQL refuses NUL, which SQLite would store: both refuse it here, at the preview.
        unreadable = [column for column, text in cells.items() if has_control_characters(text)]
        if unreadable:
            self.plan.problems.extend(
                RowProblem(number, column, control_character_message(column))
                for column in unreadable
            )
            code, name = cells.get("code", ""), cells.get("name", "")
            shown = [text if not has_control_characters(text) else "" for text in (code, name)]
            self.plan.rows.append(PlannedRow(number, shown[0].upper(), shown[1], action=None))
            return
        problems: list[RowProblem] = []

        def problem(column: str, message: str) -> None:
            problems.append(RowProblem(number, column, message))

        code = cells.get("code", "").upper()
        item = self.items.get(code)
        if code in self.first_row_of:
            problem(
                "code",
                _(
                    "The code %(code)s is also on row %(row)d: each item may appear once.",
                    code=code,
                    row=self.first_row_of[code],
                ),
            )
        elif code:
            self.first_row_of[code] = number

        category_id = self._lookup(cells, "category", self.categories, problem)
        unit_id = self._lookup(cells, "unit", self.units, problem)
        pack_size = _parse(
            cells.get("pack_size"),
            _whole_number,
            item.pack_size if item else 1,
            lambda: problem(
                "pack_size", _("Write the units per carton as a whole number of at least 1.")
            ),
        )
        kind = _parse(
            cells.get("kind"),
            lambda text: ItemKind(text.lower()),
            item.kind if item else ItemKind.CONSUMABLE,
            lambda: problem("kind", _("Write consumable or equipment.")),
        )
        flags = {}
        for column, attribute, default in (
            ("tracks_expiry", "tracks_expiry", False),
            ("tracks_serial", "tracks_serial", False),
            ("active", "is_active", True),
        ):
            flags[attribute] = _parse(
                cells.get(column),
                _boolean,
                getattr(item, attribute) if item else default,
                lambda column=column: problem(column, _("Write yes or no.")),
            )
        values = ItemValues.normalised(
            code=code,
            name=cells.get("name", ""),
            name_ko=cells.get("name_ko", ""),
            name_fr=cells["name_fr"] if "name_fr" in cells else (item.name_fr if item else None),
            category_id=category_id,
            unit_id=unit_id,
            pack_size=pack_size,
            kind=kind,
            family=cells["family"] if "family" in cells else (item.family if item else None),
            **flags,
        )
        columns_with_problems = {p.column for p in problems}
        for error in item_problems(
            values, item, check_code_taken=False, has_movements=self.has_movements
        ):
            column = _FIELD_TO_COLUMN.get(error.field or "", error.field or "")
            if column not in columns_with_problems:
                problem(column, error.message)

        name = values.name or values.name_ko
        if problems:
            self.plan.problems.extend(problems)
            self.plan.rows.append(PlannedRow(number, code, name, action=None))
            return
        if item is None:
            self.plan.rows.append(PlannedRow(number, code, name, RowAction.CREATE, values=values))
            return
        changes = tuple(_FIELD_TO_COLUMN.get(f, f) for f in values.differences(item))
        action = RowAction.UPDATE if changes else RowAction.UNCHANGED
        self.plan.rows.append(PlannedRow(number, code, name, action, changes, values, item))

    def _lookup(
        self,
        cells: dict[str, str],
        column: str,
        known: dict[str, Category] | dict[str, Unit],
        problem: Callable[[str, str], None],
    ) -> int | None:
        code = cells.get(column, "")
        if not code:
            if column == "category":
                problem(column, _("Write the category code."))
            else:
                problem(column, _("Write the unit code."))
            return None
        found = known.get(code.lower())
        if found is None:
            if column == "category":
                problem(column, _("No category has the code %(code)s.", code=code))
            else:
                problem(column, _("No unit of issue has the code %(code)s.", code=code))
            return None
        return found.id


def _unquote(text: str) -> str:
    return text[1:] if _NEUTRALISED.match(text) else text


def _parse(
    text: str | None, convert: Callable[[str], T], default: T, complain: Callable[[], None]
) -> T:
    """Convert a cell; an empty cell or missing column keeps ``default``."""
    if not text:
        return default
    try:
        return convert(text)
    except (ValueError, OverflowError):
        complain()
        return default


def _whole_number(text: str) -> int:
    # Spreadsheets often store whole numbers as 12.0.
    number = float(text) if "." in text else int(text)
    if number != int(number) or number < 1:
        raise ValueError(text)
    return int(number)


def _boolean(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(text)


# Uploaded files waiting for confirmation ---------------------------------------------------------

TOKEN_PATTERN = re.compile(r"^[0-9a-f]{32}$")
STALE_AFTER_SECONDS = 24 * 3600


def store_upload(directory: Path, data: bytes, extension: str) -> str:
    """Keep an uploaded file (mode 0600) until it is confirmed; return its random token."""
    if extension not in EXTENSIONS:
        raise ValueError(extension)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    _purge_stale(directory)
    token = secrets.token_hex(16)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    descriptor = os.open(directory / f"{token}.{extension}", flags, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    return token


def claim_upload(directory: Path, token: str) -> tuple[bytes, str] | None:
    """Take the stored file for ``token`` (content, file name) and delete it, or None.

    Also None for anything not shaped like a token. Deleting is the claim: when two requests
    confirm the same import at once, only the one whose delete succeeds goes on.
    """
    if not TOKEN_PATTERN.fullmatch(token):
        return None
    for extension in EXTENSIONS:
        path = directory / f"{token}.{extension}"
        try:
            data = path.read_bytes()
            path.unlink()
        except FileNotFoundError:
            continue
        return data, path.name
    return None


def _purge_stale(directory: Path) -> None:
    # Previews nobody confirmed: remove them after a day.
    limit = time.time() - STALE_AFTER_SECONDS
    for path in directory.iterdir():
        try:
            if path.is_file() and path.stat().st_mtime < limit:
                path.unlink()
        except FileNotFoundError:  # another worker removed it first
            pass
