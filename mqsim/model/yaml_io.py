"""Loading scenarios from plain data and YAML, with one clear error per problem.

* :func:`load_yaml` takes a **path** (``str`` or :class:`os.PathLike`) to a YAML file;
* :func:`loads_yaml` takes YAML **text** (the ``json.load`` / ``json.loads`` convention);
* :func:`scenario_from_dict` takes plain data (as loaded from YAML or JSON).

Errors are ``ValueError`` whose message starts with the offending field (``producers[1].rate:
...``) and, for YAML, ends with where it is (``(in orders.yaml, line 4)``). The YAML reader is a
``yaml.SafeLoader`` that also refuses what YAML itself would accept silently: a key given twice
in one mapping (the second would win; both lines are named), and aliases that expand the
document beyond :data:`MAX_YAML_NODES` values (a few hundred bytes of nested aliases can stand
for gigabytes). Files over :data:`MAX_YAML_BYTES` and nesting deeper than
:data:`MAX_YAML_DEPTH` are refused too. Unknown fields are rejected, never ignored.
"""

from __future__ import annotations

import os
import re
import warnings
from typing import Any, Mapping

import yaml

from mqsim.model.kafka import KafkaScenario
from mqsim.model.scenario import Scenario
from mqsim.model.validate import file_path

__all__ = ["scenario_from_dict", "load_yaml", "loads_yaml", "MAX_YAML_BYTES", "MAX_YAML_NODES", "MAX_YAML_DEPTH"]

#: largest scenario file read (bytes); traces and samples of that size belong in a CSV ``file:``
MAX_YAML_BYTES = 16 << 20
#: most values a document may stand for once its aliases are expanded
MAX_YAML_NODES = 1_000_000
#: deepest nesting of mappings and lists
MAX_YAML_DEPTH = 64


def scenario_from_dict(data: Mapping[str, Any]) -> Scenario | KafkaScenario:
    """A scenario from plain data (as loaded from YAML or JSON); see ``examples/*.yaml``. A mapping
    with ``topic`` or ``group`` builds a :class:`mqsim.KafkaScenario`, any other a :class:`mqsim.Scenario`."""
    if isinstance(data, Mapping) and ("topic" in data or "group" in data):
        return KafkaScenario.from_dict(data)
    return Scenario.from_dict(data)


class _Loader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys and oversized alias expansion, and records the line
    of every mapping key (``self.lines``: id(mapping) -> {key: line})."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self.lines: dict[int, dict[Any, int]] = {}
        self.item_lines: dict[int, list[int]] = {}

    def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
        if not isinstance(node, yaml.MappingNode):
            return super().construct_mapping(node, deep=deep)
        self.flatten_mapping(node)
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                raise _YAMLProblem(key_node.start_mark.line, "a mapping key must be a plain value, not a list "
                                   "or a mapping") from None
            line = key_node.start_mark.line + 1
            if key in seen:
                raise _YAMLProblem(line - 1, f"duplicate key {key!r} (first given on line {seen[key]}); "
                                   "YAML would silently keep only the last one, so give each key once")
            seen[key] = line
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_map(self, node: Any) -> Any:
        data: dict[Any, Any] = {}
        yield data
        data.update(self.construct_mapping(node))
        self.lines[id(data)] = {self.construct_object(k, deep=True): k.start_mark.line + 1 for k, _ in node.value}

    def construct_yaml_seq(self, node: Any) -> Any:
        data: list[Any] = []
        yield data
        data.extend(self.construct_sequence(node))
        self.item_lines[id(data)] = [n.start_mark.line + 1 for n in node.value]


_Loader.add_constructor("tag:yaml.org,2002:map", _Loader.construct_yaml_map)
_Loader.add_constructor("tag:yaml.org,2002:seq", _Loader.construct_yaml_seq)


class _YAMLProblem(Exception):
    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line


def _expanded_size(node: Any, memo: dict[int, int], stack: set[int], depth: int = 0) -> int:
    """Number of values ``node`` stands for with every alias expanded (shared nodes counted each
    time they are referenced), refusing cycles and deep nesting."""
    key = id(node)
    if key in memo:
        return memo[key]
    if key in stack:
        raise _YAMLProblem(node.start_mark.line, "an alias refers to the node that contains it (a recursive "
                           "structure); a scenario is a tree")
    if depth > MAX_YAML_DEPTH:
        raise _YAMLProblem(node.start_mark.line, f"nesting deeper than {MAX_YAML_DEPTH} levels")
    if isinstance(node, yaml.ScalarNode):
        return 1
    stack.add(key)
    children = [x for kv in node.value for x in kv] if isinstance(node, yaml.MappingNode) else node.value
    total = 1
    for ch in children:
        total += _expanded_size(ch, memo, stack, depth + 1)
        if total > MAX_YAML_NODES:
            raise _YAMLProblem(node.start_mark.line, f"the document stands for more than {MAX_YAML_NODES:,} "
                               "values once its aliases (*name) are expanded; write the values out, or put "
                               "large data in a CSV file")
    stack.discard(key)
    memo[key] = total
    return total


def _parse(text: str, origin: str) -> tuple[Any, _Loader]:
    try:
        loader = _Loader(text)
    except yaml.YAMLError as exc:  # a character YAML does not allow (control characters)
        raise ValueError(f"{origin}: not YAML text: {str(exc).splitlines()[0]}") from None
    try:
        node = loader.get_single_node()
        if node is not None:
            _expanded_size(node, {}, set())
        data = loader.construct_document(node) if node is not None else None
    except _YAMLProblem as exc:
        raise ValueError(f"{origin}, line {exc.line + 1}: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else "unknown position"
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ValueError(f"{origin}: malformed YAML at {where}: {problem}") from None
    except RecursionError:
        raise ValueError(f"{origin}: malformed YAML: nesting too deep (at most {MAX_YAML_DEPTH} levels)") from None
    finally:
        loader.dispose()
    return data, loader


_PATH_HEAD = re.compile(r"^([A-Za-z_][\w]*(?:\[[^\]]*\]|\.[A-Za-z_]\w*)*)")


def _line_map(data: Any, loader: _Loader) -> dict[str, int]:
    """{field path: line} for every key and list item of the document (paths as messages write them)."""
    out: dict[str, int] = {}

    def walk(obj: Any, path: str) -> None:
        if isinstance(obj, dict):
            lines = loader.lines.get(id(obj), {})
            for k, v in obj.items():
                sub = (f"{path}.{k}" if path else str(k)) if isinstance(k, str) and k.isidentifier() \
                    else f"{path}[{k!r}]"
                if k in lines:
                    out.setdefault(sub, lines[k])
                walk(v, sub)
        elif isinstance(obj, list):
            items: list[int] = loader.item_lines.get(id(obj), [])
            for i, v in enumerate(obj):
                sub = f"{path}[{i}]"
                if i < len(items):
                    out.setdefault(sub, items[i])
                walk(v, sub)

    walk(data, "")
    return out


def _locate(message: str, lines: dict[str, int]) -> int | None:
    """The line of the longest field path that starts ``message`` (``producers[0].rate: ...``)."""
    m = _PATH_HEAD.match(message[len("scenario."):] if message.startswith("scenario.") else message)
    if not m:
        return None
    path = m.group(1)
    while path:
        if path in lines:
            return lines[path]
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut] if cut > 0 else ""
    return None


def _build(data: Any, loader: _Loader, origin: str) -> Scenario | KafkaScenario:
    if not isinstance(data, Mapping):
        what = "an empty document" if data is None else f"a YAML {type(data).__name__} ({str(data)[:40]!r})"
        raise ValueError(f"{origin}: a scenario must be a YAML mapping with producers, queue, consumers (or "
                         f"producers, topic, group); got {what}")
    try:
        return scenario_from_dict(data)
    except ValueError as exc:
        msg = str(exc)
        line = _locate(msg, _line_map(data, loader))
        raise ValueError(f"{msg} (in {origin}, line {line})" if line else f"{msg} (in {origin})") from None


def loads_yaml(text: str, origin: str = "<string>") -> Scenario | KafkaScenario:
    """A scenario from YAML text (``origin`` names it in messages); see :func:`load_yaml` for files."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError(f"{origin}: not UTF-8 text") from None
    if not isinstance(text, str):
        raise ValueError(f"loads_yaml: expected YAML text (str), got {type(text).__name__}")
    if len(text) > MAX_YAML_BYTES:
        raise ValueError(f"{origin}: {len(text):,} characters; a scenario is at most {MAX_YAML_BYTES:,}")
    data, loader = _parse(text, origin)
    return _build(data, loader, origin)


def load_yaml(path: str | os.PathLike[str]) -> Scenario | KafkaScenario:
    """Load a scenario from the YAML file at ``path``.

    A missing file, a directory, a file that is not UTF-8 text or a malformed document gives one
    ``ValueError`` naming the file (and the line). YAML *text* goes to :func:`loads_yaml`; for
    compatibility a ``str`` with a line break is still read as text, with a
    ``DeprecationWarning``.
    """
    if isinstance(path, str) and "\n" in path:
        warnings.warn("load_yaml(text) is deprecated: load_yaml takes a path; use mqsim.loads_yaml(text) for "
                      "YAML text", DeprecationWarning, stacklevel=2)
        return loads_yaml(path)
    if isinstance(path, os.PathLike):
        path = os.fspath(path)
    if not isinstance(path, str) or not path.strip():
        raise ValueError(f"scenario file: expected a path (str or pathlib.Path), got {type(path).__name__} "
                         f"{str(path)[:60]!r}; for YAML text use mqsim.loads_yaml")
    path = file_path("scenario file", path, what="YAML file")
    name = repr(path)
    try:
        size = os.path.getsize(path)
        if size > MAX_YAML_BYTES:
            raise ValueError(f"scenario file {name}: {size:,} bytes; a scenario is at most {MAX_YAML_BYTES:,} "
                             "bytes (put large traces or samples in a CSV file)")
        with open(path, "rb") as fh:
            raw = fh.read(MAX_YAML_BYTES + 1)
    except OSError as exc:
        raise ValueError(f"scenario file {name}: cannot be read ({exc.strerror or exc})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"scenario file {name}: not UTF-8 text (byte {exc.start} is 0x{raw[exc.start]:02x}); "
                         "a scenario is a YAML text file") from None
    if "\x00" in text:
        raise ValueError(f"scenario file {name}: a binary file (it contains NUL bytes), not YAML text")
    return loads_yaml(text, origin=path)
