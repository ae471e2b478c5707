"""mqsim.viz.style: simulation and formulas stay apart in greyscale (line style and marker, not only
colour), labels carry units and Greek letters, and outside legends sit beside the axes."""

from __future__ import annotations

import itertools

import matplotlib.pyplot as plt

from mqsim.viz import style


def test_styles_differ_in_more_than_colour():
    for (_, ls1, m1), (_, ls2, m2) in itertools.combinations(style.THEORY_STYLES, 2):
        assert ls1 != ls2 and m1 != m2
    for (_, m1, ls1), (_, m2, ls2) in itertools.combinations(style.SERIES_STYLES[:4], 2):
        assert m1 != m2 and ls1 != ls2
    assert style.SIM_COLOR != style.THEORY_COLOR


def test_labels_have_units_and_greek():
    assert style.label("Wq") == "mean wait in queue Wq (s)"
    assert style.label("throughput") == "throughput X (messages/s)"
    assert style.label("rho") == "offered utilisation ρ = λE[S]/c"
    assert style.label("producers[0].rate") == "arrival rate λ (messages/s)"
    assert style.label("something") == "something"
    assert style.sim_label(10) == "simulated (95% CI, n=10)"


def test_outside_legends_do_not_overlap_the_axes():
    for where, side in (("right", "x"), ("above", "y")):
        ax = style.new_axes()
        ax.plot([0, 1], [0, 1], label="a")
        ax.plot([0, 1], [1, 0], label="b")
        style.finish(ax, xlabel="x (s)", where=where)
        ax.figure.canvas.draw()
        leg, box = ax.get_legend().get_window_extent(), ax.get_window_extent()
        assert (leg.x0 >= box.x1) if side == "x" else (leg.y0 >= box.y1)
        plt.close("all")
