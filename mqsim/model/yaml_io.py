"""Loading scenarios from plain data and YAML, with one clear error per problem.

Errors are ``ValueError`` whose message names the offending field (``producers[1].rate``) or,
for malformed YAML, the line and column. Unknown fields are rejected, never ignored.
"""

from __future__ import annotations

import os
from typing import Any, Mapping

from mqsim.model import validate
from mqsim.model.dist import from_spec
from mqsim.model.scenario import Consumers, Failure, Producer, Queue, Scenario, Stage

__all__ = ["scenario_from_dict", "load_yaml"]

_TOP = {"producers", "queue", "consumers", "name", "stages", "routes"}
_PRODUCER = {"name", "rate", "interarrival", "priority", "service", "ttl", "batch", "schedule", "trace"}
_QUEUE = {"max_priority", "max_length", "overflow", "ttl", "delivery_limit", "dead_letter"}
_CONSUMERS = {"count", "service", "prefetch", "service_by", "nack", "reject", "auto_ack", "failure", "requeue"}
_FAILURE = {"time_to_failure", "repair"}
_STAGE = {"name", "queue", "consumers"}


def _reroot(exc: ValueError, where: str, own_prefix: str) -> ValueError:
    msg = str(exc)
    if msg.startswith(own_prefix):
        msg = where + msg[len(own_prefix):]
    return ValueError(msg)


def scenario_from_dict(data: Mapping[str, Any]) -> Scenario:
    """Build a :class:`Scenario` from plain data; see ``examples/*.yaml`` for the layout. A
    mapping with ``topic`` and ``group`` builds a :class:`mqsim.kafka.KafkaScenario`."""
    if isinstance(data, Mapping) and ("topic" in data or "group" in data):
        return _kafka_from_dict(data)  # type: ignore[return-value]
    data = validate.keys("scenario", data, _TOP)
    if "producers" not in data:
        raise ValueError("producers: missing; a scenario needs at least one producer")
    producers = _producers(data["producers"])
    queue = _queue("queue", data.get("queue"))
    consumers = _consumers("consumers", data.get("consumers"))
    stages_raw = data.get("stages") or []
    if not isinstance(stages_raw, list):
        raise ValueError("stages: must be a list of {name, queue, consumers}")
    stages = []
    for i, st in enumerate(stages_raw):
        where = f"stages[{i}]"
        st = validate.keys(where, st, _STAGE)
        if "name" not in st:
            raise ValueError(f"{where}.name: missing")
        stages.append(Stage(name=st["name"], queue=_queue(f"{where}.queue", st.get("queue")),
                            consumers=_consumers(f"{where}.consumers", st.get("consumers"))))
    return Scenario(producers=producers, queue=queue, consumers=consumers, name=str(data.get("name") or ""),
                    stages=stages, routes=data.get("routes") or {})


def _producers(raw: Any) -> list[Producer]:
    if isinstance(raw, Mapping):
        raw = [raw]
    if not isinstance(raw, list) or not raw:
        raise ValueError("producers: must be a non-empty list of producers")
    out = []
    for i, p in enumerate(raw):
        where = f"producers[{i}]"
        p = dict(validate.keys(where, p, _PRODUCER))
        p.setdefault("name", f"p{i}")
        for key in ("interarrival", "service"):
            if p.get(key) is not None:
                p[key] = from_spec(p[key], f"{where}.{key}")
        try:
            out.append(Producer(**p))
        except ValueError as exc:
            raise _reroot(exc, where, f"producer {p['name']!r}") from None
    return out


def _kafka_from_dict(data: Mapping[str, Any]) -> Any:
    from mqsim.model.kafka import ConsumerGroup, KafkaScenario, Topic

    data = validate.keys("scenario", data, {"producers", "topic", "group", "name"})
    if "producers" not in data:
        raise ValueError("producers: missing; a scenario needs at least one producer")
    topic = Topic(**dict(validate.keys("topic", data.get("topic") or {}, {"partitions", "keys", "key_skew"})))
    g = dict(validate.keys("group", data.get("group") or {}, {"count", "service", "assignment", "rebalance",
                                                            "changes"}))
    if "service" in g:
        g["service"] = from_spec(g["service"], "group.service")
    if "changes" in g:
        g["changes"] = [tuple(x) if isinstance(x, (list, tuple)) else x for x in g["changes"] or []]
    return KafkaScenario(producers=_producers(data["producers"]), topic=topic, group=ConsumerGroup(**g),
                         name=str(data.get("name") or ""))


def _queue(where: str, raw: Any) -> Queue:
    q = dict(validate.keys(where, raw or {}, _QUEUE))
    try:
        return Queue(**q)
    except ValueError as exc:
        raise _reroot(exc, where, "queue") from None


def _consumers(where: str, raw: Any) -> Consumers:
    c = dict(validate.keys(where, raw or {}, _CONSUMERS))
    if "service" in c:
        c["service"] = from_spec(c["service"], f"{where}.service")
    if "service_by" in c:
        sb = c["service_by"]
        if not isinstance(sb, Mapping):
            raise ValueError(f"{where}.service_by: expected a mapping {{producer name or priority: distribution}}")
        c["service_by"] = {k: from_spec(v, f"{where}.service_by[{k!r}]") for k, v in sb.items()}
    if c.get("failure") is not None:
        f = validate.keys(f"{where}.failure", c["failure"], _FAILURE)
        for k in _FAILURE:
            if k not in f:
                raise ValueError(f"{where}.failure.{k}: missing")
        c["failure"] = Failure(from_spec(f["time_to_failure"], f"{where}.failure.time_to_failure"),
                               from_spec(f["repair"], f"{where}.failure.repair"))
    try:
        return Consumers(**c)
    except ValueError as exc:
        raise _reroot(exc, where, "consumers") from None


def load_yaml(source: str) -> Scenario:
    """Load a scenario from a YAML file path or a YAML document string (``yaml.safe_load``)."""
    import yaml

    text = source
    origin = "<string>"
    if "\n" not in source and os.path.exists(source):
        origin = source
        with open(source, encoding="utf-8") as fh:
            text = fh.read()
    elif "\n" not in source and source.endswith((".yaml", ".yml")):
        raise ValueError(f"scenario file {source!r}: no such file")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else "unknown position"
        problem = getattr(exc, "problem", None) or str(exc)
        raise ValueError(f"{origin}: malformed YAML at {where}: {problem}") from None
    if not isinstance(data, Mapping):
        raise ValueError(f"{origin}: a scenario must be a YAML mapping with producers, queue, consumers")
    return scenario_from_dict(data)
