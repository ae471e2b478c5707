"""Dotted paths into a scenario's plain-data form: ``"producers[0].rate"``, ``"consumers.count"``."""

from __future__ import annotations

import re
from typing import Any

__all__ = ["set_path", "parse_path"]

_PATH_TOKEN = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")
_EXAMPLE = "use e.g. producers[0].rate or consumers.count"


def parse_path(path: Any) -> list[str | int]:
    """The tokens of a dotted path: field names (str) and list indices (int)."""
    if not isinstance(path, str) or not path.strip():
        raise ValueError(f"path: must be a dotted field path, {_EXAMPLE}; got {path!r}"[:300])
    if len(path) > 500:
        raise ValueError(f"path: at most 500 characters, got {len(path)}")
    tokens: list[str | int] = []
    for part in path.split("."):
        pos = 0
        for m in _PATH_TOKEN.finditer(part):
            if m.start() != pos:
                break
            tokens.append(m.group(1) if m.group(1) is not None else int(m.group(2)))
            pos = m.end()
        if pos != len(part) or not part:
            raise ValueError(f"path {path!r}: cannot parse {part!r}; {_EXAMPLE}")
    return tokens


def _where(tokens: list[str | int]) -> str:
    out = ""
    for t in tokens:
        out += f"[{t}]" if isinstance(t, int) else (f".{t}" if out else t)
    return out


def set_path(data: dict[str, Any], path: str, value: Any) -> None:
    """Set the field at dotted ``path`` of ``data`` (nested dicts and lists) to ``value`` in place.

    Setting ``rate`` drops ``interarrival`` and the other way round (a producer has one of them).
    Raises ``ValueError`` naming the path when a step does not exist or is not a mapping or list
    (``producers[0].rate.x``: ``producers[0].rate`` is a number, it has no fields).
    """
    tokens = parse_path(path)
    cur: Any = data
    for i, tok in enumerate(tokens):
        here = _where(tokens[:i]) or "the scenario"
        last = i == len(tokens) - 1
        if isinstance(tok, int):
            if not isinstance(cur, list):
                raise ValueError(f"path {path!r}: {here} is not a list, so it has no item [{tok}]")
            if tok >= len(cur):
                raise ValueError(f"path {path!r}: index {tok} out of range ({here} has {len(cur)} item"
                                 f"{'s' if len(cur) != 1 else ''})")
        elif not isinstance(cur, dict):
            kind = ("a list" if isinstance(cur, list) else "not set" if cur is None else
                    "a number" if isinstance(cur, (int, float)) else "a string" if isinstance(cur, str) else
                    f"a {type(cur).__name__} value")
            raise ValueError(f"path {path!r}: {here} is {kind}, so it has no field {tok!r}")
        elif not last and tok not in cur:
            raise ValueError(f"path {path!r}: {here} has no field {tok!r}"
                             + (f" (fields: {', '.join(map(str, cur))})" if cur else ""))
        if last:
            break
        cur = cur[tok]
        if cur is None and not isinstance(tokens[i + 1], int):
            raise ValueError(f"path {path!r}: {_where(tokens[:i + 1])} is not set; set the whole field instead")
    leaf = tokens[-1]
    if isinstance(cur, dict) and leaf == "rate" and "interarrival" in cur:
        del cur["interarrival"]
    elif isinstance(cur, dict) and leaf == "interarrival" and "rate" in cur:
        del cur["rate"]
    cur[leaf] = value
