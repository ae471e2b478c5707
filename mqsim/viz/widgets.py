"""Interactive panels for the notebooks (needs the ``notebooks`` extra: ``pip install 'mqsim[notebooks]'``).

ipywidgets and IPython are imported inside the functions, so ``import mqsim`` stays light.

>>> from mqsim.viz.widgets import mmc_explorer
>>> panel = mmc_explorer(lam=2.4, mu=1.0, c=3)     # doctest: +SKIP
>>> panel                                          # doctest: +SKIP

In a notebook, the last line shows the sliders and the live output.

Moving a slider re-runs a short seeded simulation and the formula (:func:`explore_mmc`); the
sliders update on release (``continuous_update=False``), which debounces dragging. At the default
sizes one update (simulation, theory, table and figure) takes well under a second.

Saved notebooks: a panel's display carries, besides the live widget, a static HTML snapshot of
its latest table and figure (``text/html``). Readers without a kernel or a widget manager (a
static HTML page, a notebook viewer) see that snapshot instead of ``VBox(children=...)``; a
notebook executed with its widget state stored shows the panel itself.
"""

from __future__ import annotations

import base64
import functools
import io
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from mqsim.sim.result import Result
    from mqsim.theory import Prediction

__all__ = ["explore_mmc", "mmc_explorer", "scenario_for", "theory_panel", "HIGH_PRIORITY"]

#: priority given to the "high" producer when the priority mix is used (x-max-priority = this)
HIGH_PRIORITY = 5

_ROWS = (("utilisation", "consumer utilisation"), ("throughput", "throughput (messages/s)"),
         ("L", "L: mean in system (messages)"), ("Lq", "Lq: mean waiting (messages)"),
         ("W", "W: mean time in system (s)"), ("Wq", "Wq: mean wait (s)"), ("p_wait", "P(wait > 0)"),
         ("wait_p95", "95th percentile of wait (s)"), ("loss", "loss fraction"))
_STYLE = {"description_width": "initial"}


def scenario_for(lam: float, mu: float, c: int, max_length: int | None = None, high_share: float = 0.0,
                 overflow: str = "drop-head", ttl: float | None = None) -> Any:
    """The explorer's scenario: Poisson publishing at ``lam`` msg/s (a share ``high_share`` of it
    at priority :data:`HIGH_PRIORITY`, the rest at 0), ``c`` consumers with exponential service
    at ``mu`` msg/s each and prefetch 1, an optional ``max_length`` (ready messages) and an
    optional queue ``ttl`` (seconds of ready time)."""
    from mqsim.model import validate
    from mqsim.model.dist import Exponential
    from mqsim.model.scenario import Consumers, Producer, Queue, Scenario

    high_share = validate.number("high_share", high_share, lo=0.0, hi=1.0, hi_open=True, unit="a fraction")
    if high_share > 0:
        producers = [Producer("high", rate=lam * high_share, priority=HIGH_PRIORITY),
                     Producer("low", rate=lam * (1.0 - high_share), priority=0)]
        queue = Queue(max_priority=HIGH_PRIORITY, max_length=max_length, overflow=overflow, ttl=ttl)
    else:
        producers = [Producer("messages", rate=lam)]
        queue = Queue(max_length=max_length, overflow=overflow, ttl=ttl)
    return Scenario(producers, queue=queue, consumers=Consumers(int(c), service=Exponential(rate=mu), prefetch=1),
                    name="explorer")


def explore_mmc(lam: float = 2.4, mu: float = 1.0, c: int = 3, max_length: int | None = None,
                high_share: float = 0.0, *, ttl: float | None = None, horizon: float = 2_000.0,
                warmup: float = 200.0, seed: int = 1) -> "tuple[pd.DataFrame, Result, Prediction]":
    """One update of the explorer, without widgets: simulate :func:`scenario_for` for ``horizon``
    seconds (statistics after ``warmup``) with ``seed``, ask :func:`mqsim.theory.for_scenario`,
    and return (table, result, prediction).

    The table has one row per metric (and the mean wait per priority level when there is a
    priority mix) and columns ``simulated (one run)`` and ``theory`` (NaN where no formula
    applies, e.g. an overloaded infinite queue; ``prediction.reason`` says why).
    """
    import pandas as pd

    from mqsim.analysis.theory_join import theory_table
    from mqsim.sim.run import simulate
    from mqsim.theory import for_scenario

    sc = scenario_for(lam, mu, c, max_length, high_share, ttl=ttl)
    res = simulate(sc, horizon, warmup, seed=seed)
    pred = for_scenario(sc)
    th = theory_table(pred, sc)
    overall = res.overall()
    rows = [(label, overall[k], th.get(("all", "all"), {}).get(k, float("nan"))) for k, label in _ROWS]
    if high_share > 0:
        summ = res.summary(by=("priority",))
        for level in sorted(summ.loc[summ["group"] == "priority", "key"], reverse=True):
            sim = float(summ.loc[(summ["group"] == "priority") & (summ["key"] == level), "Wq"].iloc[0])
            rows.append((f"Wq of priority {level} (s)", sim, th.get(("priority", level), {}).get("Wq", float("nan"))))
    table = pd.DataFrame(rows, columns=["metric", "simulated (one run)", "theory"]).set_index("metric")
    return table, res, pred


def _draw(res: Any, pred: Any) -> Any:
    """Queue length over time and the wait distribution, simulated vs theory."""
    import matplotlib.pyplot as plt

    from mqsim.viz.distributions import wait_cdf
    from mqsim.viz.timeseries import queue_length

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 3.6), layout="constrained")
    m = pred.metrics if pred is not None and pred.applies else None
    queue_length(res, ax=a1, theory=float(m.L) if m is not None else None)
    wait_cdf(res, pred if m is not None and hasattr(m, "wait_tail") else None, ax=a2)
    return fig


def _png(fig: Any) -> str:
    """The figure as a base64 PNG (for the static snapshot)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80)
    return base64.b64encode(buf.getvalue()).decode("ascii")


@functools.lru_cache(maxsize=1)
def _panel_class() -> type:
    """A VBox whose display also carries a static HTML snapshot of its latest output."""
    import ipywidgets as w

    class Panel(w.VBox):
        snapshot = ""

        def _repr_mimebundle_(self, **kwargs: Any) -> Any:
            data = super()._repr_mimebundle_(**kwargs)
            if self.snapshot and isinstance(data, dict):
                data["text/html"] = self.snapshot
            return data

    return Panel


def _snapshot(title: str, sliders: dict[str, Any], table: Any, fig: Any) -> str:
    """Static HTML: the title, the slider values, the table and the figure."""
    values = ", ".join(f"{s.description} = {s.value}" for s in sliders.values() if hasattr(s, "description"))
    html = table.to_html() if hasattr(table, "to_html") else ""
    img = f'<img src="data:image/png;base64,{_png(fig)}" alt="panel figure"/>' if fig is not None else ""
    return (f"<div><p>{title}</p><p><small>Static snapshot of the interactive panel ({values}); run the "
            f"notebook to move the sliders.</small></p>{html}{img}</div>")


def theory_panel(title: str, sliders: dict[str, Any], draw: Callable[..., tuple[Any, Any]]) -> Any:
    """A panel of ``sliders`` ({name: ipywidgets slider}) that calls ``draw(**values)`` on every
    change and shows the (table, figure) it returns. Returns an ``ipywidgets.VBox`` with
    ``.sliders``, ``.output`` and ``.update()``; its saved display includes a static snapshot."""
    try:
        import ipywidgets as w
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("this panel needs ipywidgets: pip install 'mqsim[notebooks]'") from exc
    import matplotlib.pyplot as plt

    panel = _panel_class()([w.HTML(title), w.HBox(list(sliders.values()))])

    def update(**kw: Any) -> None:
        table, fig = draw(**kw)
        panel.snapshot = _snapshot(title, sliders, table, fig)
        _show(table)
        _show(fig)
        plt.close(fig)

    out = w.interactive_output(update, sliders)
    panel.children = (*panel.children, out)
    panel.sliders, panel.output = sliders, out
    panel.update = lambda: update(**{k: s.value for k, s in sliders.items()})
    return panel


def _explorer_sliders(lam: float, mu: float, c: int, max_length: int | None, high_share: float,
                      ttl: float | None) -> dict[str, Any]:
    import ipywidgets as w

    def slider(cls: Any, value: Any, lo: Any, hi: Any, text: str, step: Any = None) -> Any:
        kw = {"step": step} if step is not None else {}
        return cls(value=value, min=lo, max=hi, description=text, continuous_update=False, style=_STYLE, **kw)

    return {
        "lam": slider(w.FloatSlider, lam, 0.1, max(6.0, 2 * lam), "λ (msg/s)", 0.1),
        "mu": slider(w.FloatSlider, mu, 0.1, max(3.0, 2 * mu), "μ per consumer (msg/s)", 0.1),
        "c": slider(w.IntSlider, c, 1, max(12, c), "consumers c"),
        "limit": w.Checkbox(value=max_length is not None, description="x-max-length", indent=False),
        "max_length": slider(w.IntSlider, 10 if max_length is None else max_length, 0, 50, "max ready messages"),
        "high_share": slider(w.FloatSlider, high_share, 0.0, 0.9, "high-priority share", 0.05),
        "expiry": w.Checkbox(value=ttl is not None, description="x-message-ttl", indent=False),
        "ttl": slider(w.FloatSlider, 2.0 if ttl is None else ttl, 0.0, 20.0, "TTL of ready messages (s)", 0.5),
    }


def mmc_explorer(lam: float = 2.4, mu: float = 1.0, c: int = 3, *, max_length: int | None = None,
                 high_share: float = 0.0, ttl: float | None = None, horizon: float = 2_000.0, warmup: float = 200.0,
                 seed: int = 1, plot: bool = True) -> Any:
    """A panel of sliders for λ, μ, c (and x-max-length, priority mix, queue TTL) that re-runs a
    short simulation and the formula on every change, showing a simulated-vs-theory table and,
    if ``plot``, the queue length and the wait distribution.

    Returns an ``ipywidgets.VBox`` with extra attributes for code and tests: ``sliders`` (dict
    name -> widget: lam, mu, c, limit, max_length, high_share, expiry, ttl), ``output`` (the
    Output widget), ``table`` / ``result`` / ``prediction`` (from the latest update, see
    :func:`explore_mmc`) and ``update()`` (recompute now).
    """
    try:
        import ipywidgets as w
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("mqsim.viz.widgets needs ipywidgets: pip install 'mqsim[notebooks]'") from exc

    sliders = _explorer_sliders(lam, mu, c, max_length, high_share, ttl)
    title = (f"<b>M/M/c explorer</b>: one seeded run of {horizon:g} s (statistics after {warmup:g} s) beside the "
             "formula mqsim.theory.for_scenario picks. Sliders update on release.")
    panel = _panel_class()([w.HTML(title), w.HBox([sliders["lam"], sliders["mu"], sliders["c"]]),
                            w.HBox([sliders["limit"], sliders["max_length"], sliders["high_share"]]),
                            w.HBox([sliders["expiry"], sliders["ttl"]])])

    def update(lam: float, mu: float, c: int, limit: bool, max_length: int, high_share: float, expiry: bool,
               ttl: float) -> None:
        sliders["max_length"].disabled = not limit
        sliders["ttl"].disabled = not expiry
        table, res, pred = explore_mmc(lam, mu, c, max_length if limit else None, high_share,
                                       ttl=ttl if expiry else None, horizon=horizon, warmup=warmup, seed=seed)
        panel.table, panel.result, panel.prediction = table, res, pred
        _show(table.round(4))
        _show(w.HTML(f"<small><b>Theory:</b> {pred.model or 'none'} — {pred.formula or 'no formula'} "
                     f"({'exact' if pred.exact else 'approximate or not applicable'}). {pred.reason}</small>"))
        fig = _draw(res, pred) if plot else None
        panel.snapshot = _snapshot(title, sliders, table.round(4), fig)
        if fig is not None:
            import matplotlib.pyplot as plt

            _show(fig)
            plt.close(fig)

    out = w.interactive_output(update, sliders)
    panel.children = (*panel.children, out)
    panel.sliders = sliders
    panel.output = out
    panel.update = lambda: update(**{k: s.value for k, s in sliders.items()})
    return panel


def _show(obj: Any) -> None:
    """Display in a running IPython kernel (into the active Output widget); no-op elsewhere."""
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # pragma: no cover
        return
    if get_ipython() is not None:
        display(obj)
