"""Input validation of every formula, the result objects, and a light import.

Each formula is checked against worked values and against an independent computation."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest

from mqsim import theory as th
from mqsim.dist import Deterministic
from mqsim.theory import UnstableError
from tests.worked_values import agrees


# --------------------------------------------------------------------------------------------
# input validation and result objects
# --------------------------------------------------------------------------------------------
BAD_CALLS = [
    (lambda: th.mm1(-1, 1), "lam", "> 0"),
    (lambda: th.mm1(0, 1), "lam", "> 0"),
    (lambda: th.mm1(1, 0), "mu", "> 0"),
    (lambda: th.mm1(float("nan"), 1), "lam", "> 0"),
    (lambda: th.mmc(1, 1, 0), "c", ">= 1"),
    (lambda: th.mmc(1, 1, 2.5), "c", ">= 1"),
    (lambda: th.mm1k(1, 1, 0), "K", ">= 1"),
    (lambda: th.mmck(1, 1, 3, 2), "K", ">= c"),
    (lambda: th.mmck_drop_head(1, 1, 3, 2), "K", ">= c"),
    (lambda: th.erlang_b(0, 1), "c", ">= 1"),
    (lambda: th.erlang_b(3, -1), "a", "> 0"),
    (lambda: th.erlang_c(3, 0), "a", "> 0"),
    (lambda: th.mg1(0.5, 1, -0.1), "scv", ">= 0"),
    (lambda: th.mg1(0.5, 0, 1), "mean", "> 0"),
    (lambda: th.md1(0.5, -1), "d", "> 0"),
    (lambda: th.kingman(0.5, -1, 1, 1), "ca2", ">= 0"),
    (lambda: th.kingman(0.5, 1, 1, -1), "cs2", ">= 0"),
    (lambda: th.allen_cunneen(0.5, 1, 1, 1, 0), "c", ">= 1"),
    (lambda: th.np_priority_mg1([(0.3, 1, 0.5)]), "second_moment", ">= mean^2"),
    (lambda: th.np_priority_mg1([(-0.3, 1, 2)]), "lam", "> 0"),
    (lambda: th.np_priority_mmc([0.3], 1, 0), "c", ">= 1"),
    (lambda: th.mm1(3, 5).wait_quantile(1.0), "p", "[0, 1)"),
    (lambda: th.mmc(2, 1, 3).sojourn_tail(-1), "t", ">= 0"),
    (lambda: th.little_L(-1, 1), "lam", "> 0"),
    (lambda: th.utilisation(1, 1, c=0), "c", ">= 1"),
    (lambda: th.gi_m1(Deterministic(1.0), -1), "mu", "> 0"),
]


@pytest.mark.parametrize("call, arg, rng", BAD_CALLS)
def test_bad_inputs_name_argument_and_range(call, arg, rng):
    with pytest.raises(ValueError) as e:
        call()
    assert not isinstance(e.value, UnstableError)
    msg = str(e.value)
    assert arg in msg and rng in msg


def test_queue_metrics_object():
    m = th.mmc(2.4, 1, 3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.L = 0  # type: ignore[misc]
    d = m.to_dict()
    for k in ("model", "formula", "rho", "L", "Lq", "W", "Wq", "throughput", "P_wait", "loss"):
        assert k in d
    assert d["busy_servers"] == pytest.approx(2.4)
    s = m.to_series()
    assert agrees(s["Wq"], "mmc_2.4_1_3.Wq") and s.name == "M/M/3"
    f = th.mmck(1.8, 1, 2, 10).to_dict()
    assert "probs" not in f and f["K"] == 10
    assert issubclass(UnstableError, ValueError)


def test_import_is_light():
    """mqsim.theory itself pulls in neither pandas nor scipy (whatever the package root imports)."""
    code = ("import sys, mqsim; before = set(sys.modules); import mqsim.theory as t; t.mmc(2.4, 1, 3); "
            "t.mmck(2, 1, 2, 5); new = set(sys.modules) - before; "
            "print(any(m.split('.')[0] in ('pandas', 'scipy') for m in new))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False"]


