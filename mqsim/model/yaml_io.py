"""Loading scenarios from plain data and YAML, with one clear error per problem.

Errors are ``ValueError`` whose message names the offending field (``producers[1].rate``) or,
for malformed YAML, the line and column. Unknown fields are rejected, never ignored.
"""

from __future__ import annotations

import os
from typing import Any, Mapping

from mqsim.model.kafka import KafkaScenario
from mqsim.model.scenario import Scenario

__all__ = ["scenario_from_dict", "load_yaml"]



def scenario_from_dict(data: Mapping[str, Any]) -> Scenario | KafkaScenario:
    """A scenario from plain data (as loaded from YAML or JSON); see ``examples/*.yaml``. A mapping
    with ``topic`` or ``group`` builds a :class:`mqsim.KafkaScenario`, any other a :class:`mqsim.Scenario`."""
    if isinstance(data, Mapping) and ("topic" in data or "group" in data):
        return KafkaScenario.from_dict(data)
    return Scenario.from_dict(data)


def load_yaml(source: str) -> Scenario | KafkaScenario:
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
