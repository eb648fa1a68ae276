"""Every problem of every line, collected in one pass and carried out of a service at once.

A service checks all lines, calls :meth:`ProblemList.add` for each problem (and
:meth:`ProblemList.warn` for what needs a confirmation rather than a correction), then
:meth:`ProblemList.raise_if_any`. The view puts each problem on the field it names.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field

from flask_babel import ngettext

from hilogistics.errors import DomainError


@dataclass(frozen=True)
class LineProblem:
    """A problem on one field, and whether a confirmation lets it through (``warning``).

    The field is ``lines-N-<field>`` (N counts the lines given, from 0) or a header field.
    """

    field: str | None
    message: str
    warning: bool = False


def line_field(index: int, name: str) -> str:
    """The name of field ``name`` of line ``index`` (from 0), as forms and services spell it."""
    return f"lines-{index}-{name}"


class LineProblems(DomainError):
    """The document was refused for these problems (all of them); nothing was written.

    ``message`` and ``field`` are those of the first problem, so that code handling a plain
    DomainError still shows something sensible.
    """

    def __init__(self, problems: list[LineProblem]) -> None:
        first = problems[0]
        message = first.message
        if len(problems) > 1:
            message = ngettext(
                "%(num)d problem, the first: %(first)s",
                "%(num)d problems, the first: %(first)s",
                len(problems),
                first=first.message,
            )
        super().__init__(message, field=first.field)
        self.problems = problems

    @property
    def errors(self) -> list[LineProblem]:
        """The problems that need a correction."""
        return [problem for problem in self.problems if not problem.warning]

    @property
    def warnings(self) -> list[LineProblem]:
        """The problems that a confirmation lets through."""
        return [problem for problem in self.problems if problem.warning]


@dataclass
class ProblemList:
    """Problems gathered while checking a document's lines."""

    problems: list[LineProblem] = field(default_factory=list)

    def add(self, field_name: str | None, message: str) -> None:
        """Record a problem that must be corrected."""
        self.problems.append(LineProblem(field_name, message))

    def warn(self, field_name: str | None, message: str) -> None:
        """Record something that must be confirmed to go on (e.g. an expired date)."""
        self.problems.append(LineProblem(field_name, message, warning=True))

    def has_errors(self) -> bool:
        """True when some problem needs a correction (warnings aside)."""
        return any(not problem.warning for problem in self.problems)

    def fields_with_errors(self) -> set[str]:
        """The fields that already have a problem, so that later checks can skip them."""
        return {p.field for p in self.problems if p.field and not p.warning}

    def __iter__(self) -> Iterator[LineProblem]:
        return iter(self.problems)

    def __len__(self) -> int:
        return len(self.problems)

    def raise_if_any(self, *, warnings_confirmed: bool = False) -> None:
        """Raise LineProblems with every problem, unless none (or only confirmed warnings)."""
        if self.has_errors() or (self.problems and not warnings_confirmed):
            raise LineProblems(list(self.problems))
