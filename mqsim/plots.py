"""Deprecated: the figures moved to the modules of :mod:`mqsim.viz` (one per kind of figure, one
style module); this alias goes away in the next release. Two names changed: ``curves`` is
:func:`mqsim.viz.formula_curves`, and :func:`mqsim.viz.little_check` now takes the table of
:func:`mqsim.teaching.flow_balance.flow_balance_table` (the runs-taking form is kept here)."""

from typing import Any

from mqsim._compat import deprecated_module


def curves(*args: Any, **kwargs: Any) -> Any:
    """Deprecated name of :func:`mqsim.viz.formula_curves`."""
    from mqsim.viz.curves import formula_curves

    return formula_curves(*args, **kwargs)


def little_check(results: Any, *, labels: Any = None, ax: Any = None) -> Any:
    """Deprecated form of :func:`mqsim.viz.little_check` that takes runs (one Result or a list)."""
    from mqsim.teaching.flow_balance import flow_balance_table
    from mqsim.viz.laws import little_check as figure

    runs = list(results) if isinstance(results, (list, tuple)) else [results]
    keys = labels or [f"rho = {r.scenario.utilisation:.2f}" for r in runs]
    return figure(flow_balance_table(dict(zip(keys, runs))), ax=ax)


deprecated_module(__name__, "mqsim.viz", "mqsim.viz.style")
from mqsim.viz.style import THEORY_STYLES as MARK_STYLES  # noqa: E402,F401
