"""mqsim.viz.laws: Little's law from a flow-balance table, and the article's Q = M x P."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import mqsim as mq
from mqsim.teaching import flow_balance
from mqsim.viz import laws
from tests.viz.helpers import legend_texts, one_queue


def test_little_check_points():
    runs = [mq.simulate(one_queue(lam, mu=5.0, max_length=4, overflow="reject-publish"), 4_000, 200, seed=2)
            for lam in (2.0, 7.0)]
    ax = laws.little_check(flow_balance.flow_balance_table(dict(zip(["light", "overloaded"], runs))))
    diag, eff, off = ax.get_lines()
    assert diag.get_label() == "theory (Little's law: L = λ_eff·W)"
    L, y_eff = eff.get_data()
    _, y_off = off.get_data()
    assert np.allclose(y_eff, L, rtol=0.03)  # Little's law with the admitted rate
    assert y_off[1] > 1.2 * L[1]  # the offered rate overstates L when messages are refused
    assert ax.get_xlabel() == "time-average number in system L (messages)"


def test_article_check_draws_mm1_the_article_and_the_points():
    t = flow_balance.article_comparison(0.2, (0.3, 0.6), n=3, seed=1, horizon=500, warmup=50)
    ax = laws.article_check(t)
    labels = legend_texts(ax)
    assert labels[:2] == ["theory (M/M/1: L = ρ/(1 − ρ))", "article: Q = M × P (P = 0.2 s)"]
    mm1, article = ax.get_lines()[:2]
    x, y = mm1.get_data()
    assert np.allclose(y, x / (1 - x)) and np.allclose(article.get_ydata(), article.get_xdata())
    assert ax.get_xlabel() == "offered utilisation ρ = λE[S]/c"


def test_little_check_needs_the_table_columns():
    with pytest.raises(ValueError, match="lam_eff_W"):
        laws.little_check(pd.DataFrame({"L": [1.0]}))
