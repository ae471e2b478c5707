"""The pre-0.2 module names keep working for one release: each warns once with a
DeprecationWarning and finds every old name in its new home (lecture modules, mqsim.theory,
mqsim.viz), including the two figure functions whose name or argument changed."""

from __future__ import annotations

import importlib
import sys
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

import mqsim as mq  # noqa: E402
from mqsim.teaching import bounded_queues, capacity_planning, common, flow_balance, output_analysis  # noqa: E402
from mqsim.viz import curves, laws  # noqa: E402

OLD = {
    "mqsim.lessons": {"sim_vs_theory": common.sim_vs_theory, "flow_balance": flow_balance.flow_balance,
                      "replication_values": output_analysis.replication_values},
    "mqsim.lessons2": {"kendall_sweep": bounded_queues.kendall_sweep, "theory_rows": common.theory_rows,
                       "md_c_exact": mq.theory.md_c_exact, "batch_wait": mq.theory.batch_wait,
                       "smallest_max_length": mq.theory.smallest_max_length},
    "mqsim.lessons3": {"erlang_a": mq.theory.erlang_a, "ci_table": common.ci_table,
                       "capstone_scenario": capacity_planning.capstone_scenario,
                       "kafka_max_rate": mq.theory.kafka_max_rate},
    "mqsim.plots": {"hockey_stick": mq.viz.hockey_stick, "ci_bars": mq.viz.ci_bars, "SIM_COLOR": mq.viz.SIM_COLOR},
    "mqsim.widgets": {"mmc_explorer": mq.viz.mmc_explorer},
    "mqsim.exercises": {"check": mq.teaching.exercises.check, "REGISTRY": mq.teaching.exercises.REGISTRY},
}


@pytest.mark.parametrize("old", sorted(OLD))
def test_old_modules_warn_and_resolve(old):
    sys.modules.pop(old, None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        mod = importlib.import_module(old)
    assert any(issubclass(w.category, DeprecationWarning) and old in str(w.message) for w in caught)
    for name, new in OLD[old].items():
        assert getattr(mod, name) is new, name
    with pytest.raises(AttributeError):
        mod.no_such_name  # noqa: B018


def test_renamed_and_changed_figures_still_draw():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        plots = importlib.import_module("mqsim.plots")
    t = mq.teaching.bursty_producers.kingman_error(ca2s=(0.0,), rhos=[0.3, 0.6])
    ax = plots.curves(t, "rho", "rel_error", series="arrivals")
    assert len(ax.get_lines()) == 1
    sc = mq.Scenario([mq.Producer("p", rate=0.5)], consumers=mq.Consumers(1, service=mq.dist.Exponential(rate=1.0)))
    run = mq.simulate(sc, 500, 50, seed=1)
    ax = plots.little_check([run], labels=["one"])
    ref = laws.little_check(flow_balance.flow_balance_table({"one": run}))
    assert ax.get_lines()[1].get_ydata().tolist() == ref.get_lines()[1].get_ydata().tolist()
    assert curves.formula_curves is mq.viz.formula_curves
    plt.close("all")
