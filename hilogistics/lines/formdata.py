"""Posted form data rebuilt on the server: lines carried down, pasted or imported lines added.

The forms stay plain WTForms: these helpers only rewrite the ``lines-N-<field>`` keys of a copy
of the posted data before the form is built, so that what the clerk then sees is exactly what
Record will send. A later document passes its own field names.
"""

import re
from collections.abc import Iterable, Mapping, Sequence

from werkzeug.datastructures import MultiDict

_LINE_KEY = re.compile(r"^lines-(\d+)-(\w+)$")


def line_values(data: Mapping[str, str] | MultiDict, fields: Sequence[str]) -> list[dict[str, str]]:
    """Each posted line (in order of N) as field → text; lines missing from the post are blank."""
    lines: dict[int, dict[str, str]] = {}
    for key in data:
        match = _LINE_KEY.match(key)
        if match and match[2] in fields:
            lines.setdefault(int(match[1]), {})[match[2]] = data.get(key) or ""
    if not lines:
        return []
    return [lines.get(index, {}) for index in range(max(lines) + 1)]


def is_blank(line: Mapping[str, str]) -> bool:
    """True when nothing was typed on the line."""
    return not any((value or "").strip() for value in line.values())


def with_lines(
    data: MultiDict, lines: Iterable[Mapping[str, str]], *, fields: Sequence[str], total: int
) -> MultiDict:
    """A copy of ``data`` whose lines are ``lines``, then blank ones up to ``total`` lines."""
    rebuilt = MultiDict([(k, v) for k, v in data.items(multi=True) if not _LINE_KEY.match(k)])
    count = 0
    for count, line in enumerate(lines, start=1):
        for name in fields:
            rebuilt.add(f"lines-{count - 1}-{name}", line.get(name, ""))
    for index in range(count, total):
        for name in fields:
            rebuilt.add(f"lines-{index}-{name}", "")
    return rebuilt


def carry_down(lines: list[dict[str, str]], carried: Sequence[str]) -> list[dict[str, str]]:
    """The lines, each filled one with all ``carried`` fields blank taking them from above.

    "Above" is the nearest line with something on it (e.g. the lot and expiry of one lot).
    """
    above: dict[str, str] | None = None
    result = []
    for line in lines:
        line = dict(line)
        if not is_blank(line):
            if above is not None and not any(line.get(name, "").strip() for name in carried):
                for name in carried:
                    line[name] = above.get(name, "")
            above = line
        result.append(line)
    return result
