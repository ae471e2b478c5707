"""mqsim.viz.timeseries: queue length, backlog growth, Kafka lag, load and backlog, autocorrelation."""

from __future__ import annotations

import numpy as np
import pytest

import mqsim as mq
from mqsim import analysis
from mqsim.dist import Exponential
from mqsim.teaching import capacity_planning, event_engine, kafka
from mqsim.viz import distributions, timeseries
from tests.viz.helpers import legend_texts, one_queue


def test_autocorrelation_and_state_distribution(mm1_run):
    w = analysis.samples(mm1_run, "wait")
    ax = timeseries.autocorrelation({"rho = 0.6": w}, max_lag=20)
    (line,) = [ln for ln in ax.get_lines() if ln.get_label().startswith("simulated")]
    assert line.get_data()[1][0] == 1.0 and len(line.get_data()[0]) == 21
    table = event_engine.state_distribution(mm1_run, mq.theory.mm1(3.0, 5.0), n_max=8)
    ax2 = distributions.state_distribution(table, formula="M/M/1")
    assert len(ax2.patches) == 18
    th = [ln for ln in ax2.get_lines() if ln.get_label() == "theory (M/M/1)"][0]
    assert np.allclose(th.get_data()[1], [0.4 * 0.6**k for k in range(9)])


def test_queue_length_backlog_lag_and_load(mm1_run):
    ax = timeseries.queue_length(mm1_run, theory=1.5)
    assert ax.get_xlabel() == "time (s)" and "theory (mean)" in legend_texts(ax)
    over = mq.simulate(one_queue(2.4, c=2), horizon=500, seed=2)
    ax = timeseries.backlog_growth(over)
    line = [ln for ln in ax.get_lines() if ln.get_label().startswith("theory")][0]
    assert line.get_ydata()[-1] == pytest.approx(0.4 * 500)  # (lam - c/E[S]) t
    ks = mq.KafkaScenario([mq.Producer("p", rate=1.0)], mq.Topic(2), mq.ConsumerGroup(2, Exponential(mean=0.5)))
    ax = timeseries.partition_lag(kafka.partition_lag(mq.simulate(ks, horizon=50, seed=1)), shares=[0.5, 0.5])
    assert len(ax.lines) == 2 and len({ln.get_linestyle() for ln in ax.lines}) == 2
    wl = capacity_planning.capstone_workload()
    runs = {"3": mq.simulate(capacity_planning.capstone_scenario(3), horizon=120, seed=1)}
    top, bottom = timeseries.load_and_backlog(runs, wl["schedule"])
    assert top.get_ylabel() == "messages/s" and len(bottom.lines) == 1
