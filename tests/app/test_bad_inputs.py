"""A catalogue of named bad inputs through the API, YAML files and the ``mqsim`` command (issue 12):
each gives one clear error naming the field, the file/line or the argument, or a correct answer.
Beside it, a hypothesis fuzz of CLI argument lists: exit 0 or exit 2 with one ``error:`` line,
never a traceback. The random half is ``tests/model/test_fuzz_scenarios.py``.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mqsim as mq
from mqsim.cli import main

ROOT = Path(__file__).resolve().parents[2]
REF = str(ROOT / "examples" / "reference.yaml")
FAST = ["--no-progress", "-n", "2", "--horizon", "50", "--executor", "sequential"]
SC = mq.load_yaml(REF)
P = [{"name": "a", "rate": 1.0}]

API = {
    "Scenario(None)": (lambda: mq.Scenario(None), "producers: must be a list"),
    "name is a dict": (lambda: mq.scenario_from_dict({"producers": P, "name": {"a": 1}}), "name: must be a string"),
    "name is a list": (lambda: mq.scenario_from_dict({"producers": P, "name": [1]}), "name: must be a string"),
    "with_value into a number": (lambda: SC.with_value("producers[0].rate.x", 1), "producers[0].rate is a number"),
    "with_value past a list": (lambda: SC.with_value("producers[5].rate", 1), "index 5 out of range"),
    "horizon True": (lambda: mq.simulate(SC, horizon=True), "horizon: must be a finite number"),
    "horizon as text": (lambda: mq.simulate(SC, horizon="100"), "the string '100'"),
    "warmup as text": (lambda: mq.simulate(SC, horizon=100, warmup="10"), "warmup:"),
    "horizon 1e308": (lambda: mq.simulate(SC, horizon=1e308), "limit of 1e+09"),
    "rate 1e300": (lambda: mq.simulate(mq.scenario_from_dict({"producers": [{"rate": 1e300}]}), 10), "events"),
    "fast engine 1e15 s": (lambda: mq.simulate(SC, 1e15, engine="fast"), "events"),
    "priority mix with text": (lambda: mq.scenario_from_dict({"producers": [{"rate": 1, "priority": {1: "x"}}]}),
                               "producers[0].priority[1]: must be a finite number >= 0"),
    "priority mix negative": (lambda: mq.scenario_from_dict({"producers": [{"rate": 1, "priority": {1: -1}}]}),
                              "producers[0].priority[1]:"),
    "priority level as text": (lambda: mq.scenario_from_dict({"producers": [{"rate": 1, "priority": {"1": 1}}]}),
                               "each level must be an integer in [0, 255]"),
    "negative SLO threshold": (lambda: mq.parse_slo("Wq <= -1"), "threshold must be a finite number >= 0"),
    "negative tail threshold": (lambda: mq.parse_slo("P(wait > -1) <= 0.1"), "must be >= 0 seconds"),
    "unknown dist parameter": (lambda: mq.scenario_from_dict(
        {"producers": P, "consumers": {"service": {"dist": "exponential", "mean": 1, "sd": 2}}}),
                               "consumers.service.sd: unknown parameter"),
    "queue as a list": (lambda: mq.scenario_from_dict({"producers": P, "queue": []}), "queue: expected a mapping"),
    "nack for nobody": (lambda: mq.scenario_from_dict({"producers": P, "consumers": {"nack": {"zz": 0.1}}}),
                        "consumers.nack['zz']: no producer"),
    "seed 1.5": (lambda: mq.simulate(SC, 10, seed=1.5), "seed:"),
    "seed sequence of a list": (lambda: mq.replicate(SC, 2, seed=np.random.SeedSequence([1, 2]), horizon=10),
                                "seed: a SeedSequence must hold one integer"),
    "trace flag as text": (lambda: mq.simulate(SC, 10, trace="yes"), "trace: must be true or false"),
    "replications 1e9": (lambda: mq.replicate(SC, 10**9, horizon=10), "n: number of replications"),
    "confidence 95": (lambda: mq.replicate(SC, 2, horizon=10, confidence=95), "e.g. 0.95"),
    "sweep values not a list": (lambda: mq.sweep(SC, {"consumers.count": 3}, 2, horizon=10),
                                "must be a list of values"),
    "n_jobs 0": (lambda: mq.replicate(SC, 2, horizon=10, n_jobs=0, executor="process"), "n_jobs:"),
    "mmc c too large": (lambda: mq.theory.mmc(1, 1, 10**9), "mmc.c:"),
    "mmck K below c": (lambda: mq.theory.mmck(1, 1, 3, 2), "mmck.K:"),
    "huge integer": (lambda: mq.theory.mm1(10**400, 1), "mm1.lam:"),
    "Kafka producer TTL": (lambda: mq.scenario_from_dict({"producers": [{"rate": 1, "ttl": 1}], "topic": {}}),
                           "producers[0].ttl"),
    "Kafka changes a number": (lambda: mq.scenario_from_dict({"producers": P, "group": {"changes": 5}}),
                               "group.changes:"),
    "trace times not numbers": (lambda: mq.scenario_from_dict({"producers": [{"trace": {"times": [0, "x"]}}]}),
                                "trace.times[1]"),
    "schedule unknown key": (lambda: mq.scenario_from_dict({"producers": [{"schedule": {
        "kind": "sinusoid", "mean": 1, "amplitude": 0.5, "period": 10, "x": 1}}]}),
                             "schedule.x: unknown field"),
    "empirical nested": (lambda: mq.scenario_from_dict(
        {"producers": P, "consumers": {"service": {"dist": "empirical", "samples": [[1, 2]]}}}),
                         "samples[0]"),
    "handlers not a dict": (lambda: mq.simulate(SC, 10, handlers=[print]), "handlers:"),
}


@pytest.mark.parametrize("name", list(API))
def test_api_catalogue(name):
    call, needle = API[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mq.OverloadWarning)
        with pytest.raises(ValueError) as e:
            call()
    assert needle in str(e.value), str(e.value)
    assert "\n" not in str(e.value)


YAML = {
    "duplicate key": ("producers: [{rate: 1}]\nconsumers: {count: 1}\nconsumers: {count: 2}\n",
                      ["line 3", "duplicate key 'consumers'", "line 2"]),
    "rate 1e3 is text": ("producers:\n  - rate: 1e3\n", ["producers[0].rate", "the string '1e3'", "YAML", "line 2"]),
    "alias bomb": ("a: &a [1,1,1,1,1,1,1,1,1,1]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
                   "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
                   "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
                   "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\nproducers: [{rate: 1}]\nname: *f\n",
                   ["aliases", "1,000,000"]),
    "recursive alias": ("&a [*a]\n", ["recursive"]),
    "deep nesting": ("[" * 3000 + "]" * 3000, ["nesting"]),
    "bad count with line": ("producers: [{rate: 1}]\nstages:\n  - name: s\n    consumers: {count: 0}\n",
                            ["stages[0].consumers.count", "line 4"]),
    "not a mapping": ("- 1\n- 2\n", ["must be a YAML mapping"]),
    "empty document": ("", ["empty document"]),
}


@pytest.mark.parametrize("name", list(YAML))
def test_yaml_catalogue(tmp_path, name):
    text, needles = YAML[name]
    f = tmp_path / "bad.yaml"
    f.write_text(text)
    with pytest.raises(ValueError) as e:
        mq.load_yaml(f)
    msg = str(e.value)
    assert "bad.yaml" in msg and all(n in msg for n in needles), msg


@pytest.mark.parametrize("make, needle", [
    (lambda d: d, "is a directory"),
    (lambda d: d / "missing", "no such file"),
    (lambda d: (d / "bin.yaml").write_bytes(b"\xff\xfe\x00\x01") and d / "bin.yaml", "not UTF-8"),
    (lambda d: (d / "nul.yaml").write_bytes(b"name: a\x00b\n") and d / "nul.yaml", "binary"),
])
def test_scenario_files_that_are_not_yaml(tmp_path, make, needle):
    path = make(tmp_path)
    with pytest.raises(ValueError) as e:
        mq.load_yaml(path)
    assert needle in str(e.value) and str(path.name) in str(e.value)


def test_loads_yaml_takes_text_and_load_yaml_text_is_deprecated():
    text = Path(REF).read_text()
    assert mq.loads_yaml(text) == SC
    with pytest.warns(DeprecationWarning, match="loads_yaml"):
        assert mq.load_yaml(text) == SC


def test_size_wq_zero_cannot_be_met():
    r = mq.size_consumers(SC, "Wq <= 0", replications=2, horizon=50, progress=False)
    assert r.answer is None and "Erlang C > 0" in r.cannot_be_met


def test_overload_is_warned_once_and_marked():
    sc = mq.Scenario(producers=[mq.Producer("a", rate=1.5)], name="hot")
    with pytest.warns(mq.OverloadWarning, match="no steady state") as rec:
        res = mq.simulate(sc, 200, seed=1)
    assert len([w for w in rec if issubclass(w.category, mq.OverloadWarning)]) == 1
    assert res.summary()["unstable"].all()
    ok = mq.simulate(SC, 200, seed=1).summary()
    assert not ok["unstable"].any()


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


CLI = {
    "theory mmc c=1000": (["theory", "mmc", "--lam", "2.4", "--mu", "1", "--c", "1000"], 0, ""),
    "theory --K for mmc": (["theory", "mmc", "--lam", "2.4", "--mu", "1", "--c", "3", "--K", "5"], 2,
                           "--K does not apply"),
    "--set twice": (["sweep", REF, "--set", "consumers.count=2", "--set", "consumers.count=3", *FAST], 2,
                    "given twice"),
    "--set into a string": (["sweep", REF, "--set", "name.x=1", *FAST], 2, "name is a string"),
    "-o a directory": (["run", REF, *FAST, "-o", str(ROOT / "examples")], 2, "is a directory"),
    "--plot a directory": (["run", REF, *FAST, "--plot", str(ROOT / "examples")], 2, "is a directory"),
    "scenario a directory": (["run", str(ROOT / "examples"), *FAST], 2, "is a directory"),
    "scenario missing": (["run", "no-such-scenario", *FAST], 2, "no such file"),
    "horizon 1e308": (["run", REF, "--no-progress", "--horizon", "1e308"], 2, "events"),
    "bad int": (["run", REF, "-n", "x"], 2, "invalid int value"),
    "unknown command": (["fly"], 2, "invalid choice"),
    "size Wq <= 0": (["size", REF, "--slo", "Wq <= 0", *FAST], 0, ""),
    "negative slo": (["size", REF, "--slo", "Wq <= -1", *FAST], 2, "threshold must be"),
    "confidence 95": (["run", REF, *FAST, "--confidence", "95"], 2, "confidence"),
}


@pytest.mark.parametrize("name", list(CLI))
def test_cli_catalogue(capsys, name):
    argv, code, needle = CLI[name]
    got, out, err = run(capsys, *argv)
    assert got == code, (got, err)
    if code == 2:
        assert out == "" and err.startswith("error: ") and err.count("\n") == 1 and needle in err, err
        assert "Traceback" not in err


def test_cli_help_is_plain_text(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "``" not in out and ":func:" not in out and "mqsim command" in out


def test_cli_sweep_marks_unstable_points(capsys):
    code, out, _ = run(capsys, "sweep", REF, "--set", "consumers.count=2,3", *FAST, "--csv")
    import io

    import pandas as pd

    df = pd.read_csv(io.StringIO(out))
    assert code == 0 and set(df.loc[df["consumers.count"] == 2, "unstable"]) == {True}
    assert set(df.loc[df["consumers.count"] == 3, "unstable"]) == {False}


flags = st.sampled_from(["-n", "--horizon", "--warmup", "--seed", "-j", "--executor", "--confidence", "--metrics",
                         "--set", "--slo", "--max-consumers", "--rel-precision", "--lam", "--mu", "--c", "--K", "--t",
                         "--mean", "--scv", "--a", "--ca2", "--csv", "--json", "--drop-head", "--bogus"])
values = st.sampled_from(["0", "-1", "1", "2", "1e308", "nan", "inf", "-0", "x", "", "2.5", "10000000", "auto",
                          "consumers.count=1..2", "consumers.count=a..b", "name=1", "Wq<=0.5", "P(wait>0.5)<=0",
                          "all", "sequential", "/proc/x/y", "é"])


@given(st.sampled_from(["run", "sweep", "size", "theory"]), st.lists(st.tuples(flags, values), max_size=4))
@settings(max_examples=80, deadline=None)
def test_cli_argument_fuzz_exits_0_or_2_with_one_line(command, pairs):
    import contextlib
    import io

    head = [command, "mmc" if command == "theory" else REF]
    argv = head + [x for pr in pairs for x in pr] + (["--no-progress", "--executor", "sequential", "-n", "2",
                                                      "--horizon", "20"] if command != "theory" else [])
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        code = main(argv)
    text = err.getvalue()
    assert code in (0, 2), (argv, code, text)
    if code == 2:
        lines = [ln for ln in text.splitlines() if ln.startswith("error: ")]
        assert len(lines) == 1 and "Traceback" not in text, (argv, text)
    assert not math.isnan(code)
