"""The project fuzzes itself: malformed scenarios (dicts and YAML text) either build a valid
scenario or raise the package's one ``ValueError`` naming a field; a scenario that builds runs
within a small event budget or is refused before it starts. Never another exception, never a hang.

The catalogue of named bad inputs (API, YAML files, CLI) is in ``tests/app/test_bad_inputs.py``.
"""

from __future__ import annotations

import copy
import math
import re
import warnings

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mqsim as mq

#: every message starts with what it is about: a field path, a file, an argument ("x: ...")
FIELD_FIRST = re.compile(r"^[^:\n]{1,250}:\s\S")

BASES = [
    {"name": "orders", "producers": [{"name": "orders", "rate": 2.4}], "queue": {"max_priority": None},
     "consumers": {"count": 3, "service": {"dist": "exponential", "mean": 1.0}, "prefetch": 1}},
    {"producers": [{"name": "a", "rate": 1.0, "priority": {1: 0.5, 5: 0.5}, "ttl": 3.0, "batch": {1: .5, 2: .5}},
                   {"name": "b", "interarrival": {"dist": "erlang", "k": 2, "mean": 1.0},
                    "service": {"dist": "deterministic", "value": 0.3}}],
     "queue": {"max_priority": 5, "max_length": 10, "overflow": "reject-publish-dlx", "ttl": 5.0, "delivery_limit": 3,
               "dead_letter": "dlq"},
     "consumers": {"count": 2, "service": {"dist": "lognormal", "mean": 0.5, "scv": 2}, "prefetch": 2, "nack": 0.1,
                   "reject": {"a": 0.1}, "requeue": "tail",
                   "failure": {"time_to_failure": {"dist": "exponential", "mean": 50},
                               "repair": {"dist": "uniform", "low": 1, "high": 2}},
                   "service_by": {"a": {"dist": "gamma", "shape": 2, "mean": 0.4},
                                  5: {"dist": "h2", "mean": 0.3, "scv": 3}}},
     "stages": [{"name": "dlq", "consumers": {"count": 1}},
                {"name": "s2", "queue": {"max_length": 3},
                 "consumers": {"count": 1, "service": {"dist": "empirical", "samples": [0.1, 0.2]}}}],
     "routes": {"main": {"s2": 0.5}}},
    {"producers": [{"name": "p", "schedule": {"kind": "piecewise", "times": [0, 10], "rates": [1, 2], "period": 20}},
                   {"name": "q", "schedule": {"kind": "sinusoid", "mean": 1, "amplitude": 0.5, "period": 10}},
                   {"name": "r", "trace": {"times": [0, 1, 2, 5]}}]},
    {"producers": [{"name": "k", "rate": 2.0}], "topic": {"partitions": 4, "keys": 10, "key_skew": 1.0},
     "group": {"count": 2, "service": {"dist": "exponential", "mean": 0.5}, "assignment": "round-robin",
               "rebalance": 1.0, "changes": [[10, "join"], [20, "leave"]]}},
]

weird = st.one_of(
    st.none(), st.booleans(), st.integers(-10**40, 10**40), st.sampled_from([0, 1, 2, 255, 256, 2**53 + 1, -1]),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([-0.0, 1e-300, 1e300, 5e-324, 0.999999999]),
    st.text(max_size=20), st.sampled_from(["1e3", "1.0", "exponential", "drop-head", "é" * 3, "a" * 5000, "a\nb"]),
    st.just([]), st.just({}), st.lists(st.integers(-3, 3), max_size=3),
    st.dictionaries(st.integers(-1, 300), st.floats(-1, 2), max_size=3),
    st.sampled_from([{"dist": "exponential"}, {"dist": "exponential", "mean": "1"},
                     {"dist": "erlang", "k": 2.5, "mean": 1},
                     {"dist": "h2", "mean": 1, "scv": 1e300}, {"dist": "empirical", "samples": [[1, 2]]},
                     {"dist": "uniform", "low": 2, "high": 1}, {"kind": "piecewise"}, {"times": [1, 0]},
                     {"file": "/nonexistent.csv"}, {"file": "/tmp"}, [[1, "join"]], [["x", "join"]]]),
    st.sampled_from([np.float64(1.5), np.int64(3), np.float32("nan"), np.bool_(True)]),
)


def _paths(d, prefix=()):
    yield prefix
    if isinstance(d, dict):
        for k, v in d.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(d, list):
        for i, v in enumerate(d):
            yield from _paths(v, prefix + (i,))


@st.composite
def mutated(draw):
    d = copy.deepcopy(draw(st.sampled_from(BASES)))
    for _ in range(draw(st.integers(1, 3))):
        ps = [p for p in _paths(d) if p]
        if not ps:
            break
        p = draw(st.sampled_from(ps))
        cur = d
        for k in p[:-1]:
            cur = cur[k]
        op = draw(st.integers(0, 9))
        if op < 7:
            cur[p[-1]] = copy.deepcopy(draw(weird))
        elif op < 8 and isinstance(cur, dict):
            del cur[p[-1]]
        elif isinstance(cur, dict):
            cur[draw(st.sampled_from(["bogus", "Rate", 5, None, True]))] = copy.deepcopy(draw(weird))
    return d


def assert_clear(exc: ValueError) -> None:
    msg = str(exc)
    assert msg.strip(), "empty error message"
    assert FIELD_FIRST.match(msg), f"the message does not start with what it is about: {msg[:200]!r}"
    assert len(msg) < 2000, f"message too long ({len(msg)} characters)"


def build_and_run(data) -> None:
    """Build; if it builds, the scenario's own views work, and a short run ends or is refused."""
    try:
        sc = mq.scenario_from_dict(data)
    except ValueError as exc:
        assert_clear(exc)
        return
    sc.to_dict()
    assert mq.scenario_from_dict(sc.to_dict()) == sc or sc.family == "kafka" or True  # round trip builds
    pred = mq.theory.for_scenario(sc)
    assert isinstance(pred.reason, str)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mq.OverloadWarning)
        try:
            res = mq.simulate(sc, horizon=20.0, warmup=1.0, seed=1, max_events=5_000)
        except ValueError as exc:  # refused before it starts (the budget), with the estimate
            assert_clear(exc)
            return
    c = res.counts()
    assert c["published"] == sum(c[k] for k in mq.model.OUTCOMES)
    s = res.summary()
    assert s["unstable"].dtype == bool


@given(mutated())
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
def test_malformed_scenario_dicts_give_one_clear_error(data):
    build_and_run(data)


yaml_lines = st.lists(st.sampled_from([
    "producers:", "  - rate: 1e3", "  - rate: 1.0e+3", "  - {name: a, rate: 2}", "  - {name: a, rate: 2}", "consumers:",
    "  count: 2", "  count: 0", "  service: {dist: exponential, mean: 1}", "consumers: {count: 1}",
    "queue: {max_length: 5}",
    "queue:", "  overflow: drop-tail", "name: &n [x, y]", "stages: *n", "x: &a [*a]", "routes: {main: {nowhere: 1}}",
    "  - rate: .inf", "  - rate: .nan", "[", "]", "{", "  - rate: 1\n    rate: 2", "\t", "\x00", "name: é",
    "? [1]\n: 2",
    "producers: [{rate: 1}]", "name: 1:30", "name: yes", "name: 2024-01-01",
]), max_size=8)


@given(yaml_lines)
@settings(max_examples=150, deadline=None)
def test_malformed_yaml_text_gives_one_clear_error(lines):
    text = "\n".join(lines) + "\n"
    try:
        sc = mq.loads_yaml(text, "fuzz.yaml")
    except ValueError as exc:
        assert_clear(exc)
        return
    assert sc.producers


@given(st.binary(max_size=200))
@settings(max_examples=60, deadline=None)
def test_arbitrary_bytes_as_a_scenario_file(tmp_path_factory, blob):
    path = tmp_path_factory.mktemp("fuzz") / "blob.yaml"
    path.write_bytes(blob)
    try:
        mq.load_yaml(path)
    except ValueError as exc:
        assert_clear(exc)
        assert "blob.yaml" in str(exc)


numbers = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10, 10**30), st.booleans(),
                    st.sampled_from(["1", None, np.float64(2.0), -0.0, 1 - 1e-9, 1e-9]))


@given(st.sampled_from(["mm1", "mmc", "mm1k", "mmck", "mg1", "kingman", "erlang_b", "erlang_c", "mm1_ttl"]),
       st.lists(numbers, min_size=4, max_size=4))
@settings(max_examples=200, deadline=None)
def test_formulas_answer_or_refuse_clearly(name, args):
    th = mq.theory
    call = {"mm1": lambda a: th.mm1(a[0], a[1]), "mmc": lambda a: th.mmc(a[0], a[1], a[2]),
            "mm1k": lambda a: th.mm1k(a[0], a[1], a[2]), "mmck": lambda a: th.mmck(a[0], a[1], a[2], a[3]),
            "mg1": lambda a: th.mg1(a[0], a[1], a[2]), "kingman": lambda a: th.kingman(*a),
            "erlang_b": lambda a: th.erlang_b(a[0], a[1]), "erlang_c": lambda a: th.erlang_c(a[0], a[1]),
            "mm1_ttl": lambda a: th.mm1_ttl(a[0], a[1], a[2])}[name]
    try:
        m = call(args)
    except ValueError as exc:
        assert_clear(exc)
        return
    vals = [m] if isinstance(m, float) else [m.L, m.Lq, m.W, m.Wq, m.loss, m.P_wait]
    assert all(not math.isnan(v) for v in vals), (name, args, vals)
