"""Render mqsim's docstring conventions as reST (a Sphinx extension, like napoleon for our style).

The docstrings describe arguments as paragraphs of ``name: description`` lines, continuation
lines indented::

    warmup: seconds at the start excluded from every statistic.
    seed: int >= 0 for a reproducible run; None draws fresh entropy
        (recorded in ``Result.seed``).

Plain reST reads such a paragraph as a broken definition list. Here a paragraph whose every
unindented line starts with ``name:`` (or ``a, b:`` / ``a / b:``) becomes a field list, ``|x|``
outside literals is escaped (it is an absolute value, not a substitution), and a data object
that has no docstring of its own does not show its type's (``dict``'s) docstring.
"""

from __future__ import annotations

import re
from typing import Any

_NAME = r"[A-Za-z_][\w.()\[\]]*"
FIELD = re.compile(rf"^({_NAME}(?:\s*(?:,|/)\s*{_NAME})*):\s+(\S.*)$")
_BARS = re.compile(r"(?<![\\|])\|(?=[^|\s])([^|`]*?[^|\s\\])\|(?!\|)")
_LITERAL = re.compile(r"(``.*?``)")


def _paragraphs(lines: list[str]) -> list[tuple[int, int]]:
    """(start, end) index ranges of the blocks of consecutive non-blank lines."""
    out, start = [], None
    for i, line in enumerate(lines + [""]):
        if line.strip() and start is None:
            start = i
        elif not line.strip() and start is not None:
            out.append((start, i))
            start = None
    return out


def fields(lines: list[str]) -> list[str]:
    """Turn the ``name: description`` paragraphs of ``lines`` into reST field lists."""
    lines = list(lines)
    for a, b in _paragraphs(lines):
        top = [lines[i] for i in range(a, b) if not lines[i][:1].isspace()]
        if top and lines[a] == top[0] and all(FIELD.match(t) for t in top):
            for i in range(a, b):
                m = None if lines[i][:1].isspace() else FIELD.match(lines[i])
                if m:
                    lines[i] = f":{m.group(1)}: {m.group(2)}"
    return lines


def escape_bars(line: str) -> str:
    """Escape ``|x|`` (absolute values) outside double-backtick literals."""
    parts = _LITERAL.split(line)
    return "".join(p if p.startswith("``") else _BARS.sub(r"\\|\1\\|", p) for p in parts)


def process(app: Any, what: str, name: str, obj: Any, options: Any, lines: list[str]) -> None:
    """``autodoc-process-docstring`` handler: rewrite ``lines`` in place."""
    tdoc = getattr(type(obj), "__doc__", None)
    if what in ("data", "attribute") and isinstance(tdoc, str) and " ".join(lines).split() == tdoc.split():
        lines[:] = []
        return
    lines[:] = [escape_bars(line) for line in fields(lines)]


def setup(app: Any) -> dict[str, Any]:
    """Sphinx entry point."""
    app.connect("autodoc-process-docstring", process)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
