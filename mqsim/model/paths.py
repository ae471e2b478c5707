"""Dotted paths into a scenario's plain-data form: ``"producers[0].rate"``, ``"consumers.count"``."""

from __future__ import annotations

import re
from typing import Any

__all__ = ["set_path"]

_PATH_TOKEN = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")


def set_path(data: dict[str, Any], path: str, value: Any) -> None:
    """Set the field at dotted ``path`` of ``data`` (nested dicts and lists) to ``value`` in place.

    Setting ``rate`` drops ``interarrival`` and the other way round (a producer has one of them).
    """
    tokens: list[str | int] = []
    for part in path.split("."):
        pos = 0
        for m in _PATH_TOKEN.finditer(part):
            if m.start() != pos:
                break
            tokens.append(m.group(1) if m.group(1) is not None else int(m.group(2)))
            pos = m.end()
        if pos != len(part) or not part:
            raise ValueError(f"path {path!r}: cannot parse {part!r}; use e.g. producers[0].rate")
    cur: Any = data
    for i, tok in enumerate(tokens[:-1]):
        try:
            cur = cur[tok]
        except (KeyError, IndexError, TypeError):
            raise ValueError(f"path {path!r}: no field {tok!r}") from None
        if isinstance(tok, str) and cur is None:
            raise ValueError(f"path {path!r}: {tok!r} is not set")
    last = tokens[-1]
    if isinstance(last, int):
        if not isinstance(cur, list) or last >= len(cur):
            raise ValueError(f"path {path!r}: index {last} out of range")
    elif isinstance(cur, dict) and last == "rate" and "interarrival" in cur:
        del cur["interarrival"]
    elif isinstance(cur, dict) and last == "interarrival" and "rate" in cur:
        del cur["rate"]
    cur[last] = value
