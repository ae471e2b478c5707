"""The ``mqsim`` command: simulate, sweep, size consumers and evaluate formulas from a shell.

    mqsim run examples/reference.yaml                          # replications with 95% CIs beside theory
    mqsim sweep examples/reference.yaml --set consumers.count=3..6
    mqsim size examples/reference.yaml --slo "P(wait > 0.5) <= 0.05"
    mqsim theory mmc --lam 2.4 --mu 1 --c 3
    mqsim live examples/reference.yaml --duration 120           # the same path on a real RabbitMQ

Every command prints a readable table; ``--csv`` or ``--json`` print machine-readable output
instead, ``-o FILE`` writes it to a file, ``--plot out.png`` draws a figure. A malformed
scenario file, an unknown field or a bad value prints one ``error: ...`` line naming it and
exits with status 2.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, NoReturn, Sequence

if TYPE_CHECKING:
    from mqsim.theory.results import QueueMetrics

__all__ = ["main", "parse_values", "parse_set"]

RUN_METRICS = ("throughput", "utilisation", "L", "Lq", "W", "Wq", "p_wait", "wait_p50", "wait_p95", "wait_p99",
               "sojourn_p95", "sojourn_p99", "loss")
SWEEP_METRICS = ("utilisation", "Wq", "W", "p_wait", "wait_p95")
DEFAULT_MESSAGES = 20_000


class UsageError(ValueError):
    """Bad command-line input (reported as ``error: ...``, exit status 2)."""


# --------------------------------------------------------------------------------------------
# value parsing
# --------------------------------------------------------------------------------------------
def _scalar(text: str) -> Any:
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def parse_values(text: str, where: str = "--set") -> list[Any]:
    """Values of one ``--set``: ``a..b`` (integers a to b inclusive), ``a..b:step`` (numbers,
    inclusive), or a comma list of YAML scalars (``1,2,5``, ``0.5,1.5``, ``drop-head,reject-publish``)."""
    text = text.strip()
    if not text:
        raise UsageError(f"{where}: no values given; use a..b, a..b:step or a comma list")
    if ".." in text:
        rng, _, step_txt = text.partition(":")
        a_txt, _, b_txt = rng.partition("..")
        try:
            a, b = _number(a_txt), _number(b_txt)
            step = _number(step_txt) if step_txt else None
        except ValueError:
            raise UsageError(f"{where}: cannot read the range {text!r}; write a..b (integers) or a..b:step") from None
        if step is None:
            if not (isinstance(a, int) and isinstance(b, int)):
                raise UsageError(f"{where}: {text!r}: a range of non-integers needs a step, e.g. 0.5..2:0.5")
            step = 1
        if step <= 0:
            raise UsageError(f"{where}: {text!r}: the step must be > 0")
        if b < a:
            raise UsageError(f"{where}: {text!r}: the range end must be >= its start")
        n = int(math.floor((b - a) / step + 1e-9)) + 1
        if n > 10_000:
            raise UsageError(f"{where}: {text!r} has {n} values; at most 10,000")
        if isinstance(a, int) and isinstance(b, int) and isinstance(step, int):
            return list(range(a, b + 1, step))
        return [round(a + i * step, 12) for i in range(n)]
    return [_scalar(v.strip()) for v in text.split(",") if v.strip() != ""]


def _number(text: str) -> int | float:
    text = text.strip()
    try:
        return int(text)
    except ValueError:
        v = float(text)
        if not math.isfinite(v):
            raise ValueError(text) from None
        return v


def parse_set(items: Sequence[str]) -> dict[str, list[Any]]:
    """``["consumers.count=1..8", "producers[0].rate=1,2"]`` -> a :func:`mqsim.sweep` grid."""
    grid: dict[str, list[Any]] = {}
    for item in items:
        path, eq, values = item.partition("=")
        path = path.strip()
        if not eq or not path:
            raise UsageError(f"--set {item!r}: write PATH=VALUES, e.g. consumers.count=1..8")
        if path in grid:
            raise UsageError(f"--set {path}: given twice; give each field once, with all its values "
                             f"(e.g. --set {path}=1,2,3)")
        grid[path] = parse_values(values, f"--set {path}")
    return grid


# --------------------------------------------------------------------------------------------
# output
# --------------------------------------------------------------------------------------------
def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return "nan" if math.isnan(v) else f"{v:.6g}"
    return str(v)


def _column_format(values: Any) -> Any:
    """One number format for a whole column: integers without decimals, otherwise fixed decimals
    giving the largest value 4 significant digits, or scientific notation when the column spans
    more than 6 orders of magnitude (or holds very large or very small values)."""
    import numpy as np

    v = np.asarray([x for x in values if isinstance(x, (int, float)) and not isinstance(x, bool)], dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return _fmt
    if np.all(v == np.round(v)) and np.all(np.abs(v) < 1e15):
        return lambda x: f"{x:,.0f}" if isinstance(x, (int, float)) and math.isfinite(x) else _fmt(x)
    big = float(np.max(np.abs(v)))
    nz = np.abs(v[v != 0])
    small = float(np.min(nz)) if nz.size else big
    if big >= 1e7 or big < 1e-3 or (small > 0 and big / small > 1e6):
        return lambda x: f"{x:.4e}" if isinstance(x, (int, float)) and math.isfinite(x) else _fmt(x)
    dec = min(6, max(0, 3 - math.floor(math.log10(big)))) if big > 0 else 0
    return lambda x: f"{x:,.{dec}f}" if isinstance(x, (int, float)) and math.isfinite(x) else _fmt(x)


def _table(df: Any, index: bool = True) -> str:
    """A DataFrame as text, each numeric column in one number format (see :func:`_column_format`)."""
    fmts = {c: _column_format(df[c].tolist()) for c in df.columns
            if df[c].dtype.kind in "if" or (df[c].dtype == object and any(isinstance(x, float) for x in df[c]))}
    return df.to_string(index=index, formatters=fmts)


def _jsonable(v: Any) -> Any:
    import numpy as np

    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None if math.isnan(v) else ("inf" if v > 0 else "-inf")
    return v


def _records(df: Any) -> list[dict[str, Any]]:
    return [_jsonable(r) for r in df.to_dict(orient="records")]


def _emit(args: argparse.Namespace, text: str, frame: Any = None, payload: Any = None) -> None:
    """Print (or write to ``-o``) the table text, or CSV / JSON of ``frame`` / ``payload``."""
    if args.json:
        out = json.dumps(_jsonable(payload) if payload is not None else _records(frame), indent=2)
    elif args.csv:
        out = frame.to_csv(index=False)
    else:
        out = text
    if args.output:
        try:
            Path(args.output).parent.mkdir(parents=True, exist_ok=True)
            Path(args.output).write_text(out if out.endswith("\n") else out + "\n", encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"-o {args.output}: cannot write it ({exc.strerror or exc})") from None
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        print(out.rstrip("\n"))


def _check_writable(flag: str, path: str | None) -> None:
    """Refuse an output path that cannot be written, before any work is done."""
    if path is None:
        return
    p = Path(path)
    if not str(path).strip() or "\x00" in str(path):
        raise UsageError(f"{flag}: not a valid file path: {path!r}")
    if p.is_dir():
        raise UsageError(f"{flag} {path}: is a directory; give a file name")
    parent = p.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if parent.exists() and not parent.is_dir():
        raise UsageError(f"{flag} {path}: {parent} is a file, not a directory")
    import os

    if not os.access(parent, os.W_OK):
        raise UsageError(f"{flag} {path}: cannot write into {parent} (permission denied)")
    if flag == "--plot" and p.suffix.lower() not in (".png", ".svg", ".pdf", ".jpg", ".jpeg"):
        raise UsageError(f"{flag} {path}: give a .png, .svg, .pdf or .jpg file name")


def _save(ax: Any, path: str) -> None:
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        ax.figure.savefig(path, dpi=120)
    except (OSError, ValueError) as exc:
        raise UsageError(f"--plot {path}: cannot write it ({getattr(exc, 'strerror', None) or exc})") from None
    import matplotlib.pyplot as plt

    plt.close(ax.figure)
    print(f"wrote {path}", file=sys.stderr)


def _agg() -> None:
    import matplotlib

    matplotlib.use("Agg")


# --------------------------------------------------------------------------------------------
# shared options
# --------------------------------------------------------------------------------------------
def _add_output(p: argparse.ArgumentParser, plot: bool = True) -> None:
    g = p.add_argument_group("output")
    fmt = g.add_mutually_exclusive_group()
    fmt.add_argument("--csv", action="store_true", help="print CSV instead of the table")
    fmt.add_argument("--json", action="store_true", help="print JSON instead of the table")
    g.add_argument("-o", "--output", metavar="FILE", help="write the output to FILE instead of the terminal")
    if plot:
        g.add_argument("--plot", metavar="PNG", help="also draw a figure into this PNG file")


def _add_run_options(p: argparse.ArgumentParser, replications: int = 10) -> None:
    p.add_argument("scenario", help="scenario YAML file (see examples/)")
    g = p.add_argument_group("simulation")
    g.add_argument("-n", "--replications", type=int, default=replications,
                   help=f"replications (default {replications})")
    g.add_argument("--horizon", type=float, default=None,
                   help="seconds per replication (default: about 20,000 messages)")
    g.add_argument("--warmup", default=None,
                   help="seconds excluded at the start, or 'auto' for MSER-5 (default: 10%% of the horizon)")
    g.add_argument("--seed", type=int, default=1, help="experiment seed (default 1)")
    e = p.add_argument_group("execution")
    e.add_argument("-j", "--jobs", type=int, default=None, help="parallel workers (default: all cores)")
    e.add_argument("--executor", default="auto", choices=["auto", "sequential", "process", "dask"],
                   help="where runs execute (default auto: a process pool for big jobs)")
    e.add_argument("--no-progress", action="store_true", help="no progress bars (or MQSIM_PROGRESS=0)")


def _window(args: argparse.Namespace, sc: Any) -> tuple[float, float | str]:
    horizon = args.horizon if args.horizon is not None else DEFAULT_MESSAGES / sc.arrival_rate
    if args.warmup is None:
        warmup: float | str = horizon / 10
    elif str(args.warmup).strip().lower() == "auto":
        warmup = "auto"
    else:
        try:
            warmup = float(args.warmup)
        except ValueError:
            raise UsageError(f"--warmup: must be a number of seconds or 'auto', got {args.warmup!r}") from None
    return horizon, warmup


def _exec_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    return {"executor": args.executor, "n_jobs": args.jobs, "progress": False if args.no_progress else None}


def _metrics(text: str | None, default: Sequence[str]) -> list[str] | None:
    if text is None:
        return list(default)
    if text.strip().lower() == "all":
        return None
    return [m.strip() for m in text.split(",") if m.strip()]


def _describe(sc: Any, path: str) -> str:
    from mqsim.theory import for_scenario

    from mqsim.model.overload import stability

    pred = for_scenario(sc)
    kind = "exact" if pred.exact else "approximation"
    es = sc.offered_load / sc.arrival_rate
    head = (f"Scenario {sc.name or path}: lambda = {sc.arrival_rate:.6g} msg/s, E[S] = {es:.6g} s, "
            f"{sc.consumers.count} consumers, rho = {sc.utilisation:.4g}")
    th = (f"Theory: {pred.model} by {pred.formula} ({kind})" if pred.applies and pred.stable
          else f"Theory: {pred.reason}")
    st = stability(sc)
    warn = f"\nUNSTABLE, {st.reason()}; rows marked unstable are not steady-state figures" if st.unstable else ""
    return head + "\n" + th + warn


# --------------------------------------------------------------------------------------------
# commands
# --------------------------------------------------------------------------------------------
def cmd_run(args: argparse.Namespace) -> int:
    from mqsim.experiments.replications import replicate
    from mqsim.experiments.slo import parse_metric
    from mqsim.model.yaml_io import load_yaml

    _check_writable("-o", args.output)
    _check_writable("--plot", args.plot)
    sc = load_yaml(args.scenario)
    horizon, warmup = _window(args, sc)
    wanted = _metrics(args.metrics, RUN_METRICS)
    specs = [parse_metric(m, "--metrics") for m in wanted] if wanted else []
    extras = [s.name for s in specs if s.extra]
    # precision on the metrics asked for, else on L, Lq, W, Wq (PRECISION_METRICS)
    prec = [s.name for s in specs] if args.rel_precision is not None and args.metrics and wanted else None
    reps = replicate(sc, args.replications, args.seed, horizon, warmup, by=(), rel_precision=args.rel_precision,
                     metrics=prec, max_n=max(args.max_replications, args.replications), extra_metrics=extras,
                     confidence=args.confidence, **_exec_kwargs(args))
    t = reps.overall(args.confidence)
    if wanted:
        t = t.loc[[s.name for s in specs]]
    t = t.copy()
    t["covered"] = [bool(lo <= th <= hi) if isinstance(th, float) and math.isfinite(th) else None
                    for lo, hi, th in zip(t["ci_low"], t["ci_high"], t["theory"])]
    frame = t.reset_index()
    lines = [_describe(sc, args.scenario),
             f"Simulated: {reps.n} replications of {horizon:,.0f} s, warm-up {reps.warmup:,.1f} s"
             + (" (MSER-5)" if reps.warmup_info is not None else "")
             + (f"; precision target {args.rel_precision:g} {'reached' if reps.converged else 'NOT reached'}"
                if args.rel_precision is not None else ""),
             f"Mean and {args.confidence:.0%} CI (Student t) beside theory:", "",
             _table(t.drop(columns=["formula", "exact"]))]
    _emit(args, "\n".join(lines), frame)
    if args.plot:
        _agg()
        if reps.warmup_info is not None:
            from mqsim.viz.warmup import plot_warmup

            ax = plot_warmup(reps.warmup_info)
        else:
            from mqsim.experiments.replications import replication_seed
            from mqsim.sim.run import simulate
            from mqsim.viz import queue_length

            res = simulate(sc, horizon, reps.warmup, seed=replication_seed(reps.seed, 0))
            L = t["theory"].get("L") if "L" in t.index else None
            ax = queue_length(res, theory=L if L is not None and math.isfinite(L) else None)
            ax.set_title(f"{sc.name or args.scenario}: replication 0")
        _save(ax, args.plot)
    return 0


def _cell(mean: float, hw: float, theory: float) -> str:
    s = f"{mean:.4g} ± {hw:.2g}" if math.isfinite(hw) else f"{mean:.4g}"
    if isinstance(theory, float) and math.isfinite(theory):
        s += f" [{theory:.4g}]"
    return s


def cmd_sweep(args: argparse.Namespace) -> int:
    from mqsim.experiments.slo import parse_metric
    from mqsim.experiments.sweep import sweep
    from mqsim.model.yaml_io import load_yaml

    _check_writable("-o", args.output)
    _check_writable("--plot", args.plot)
    sc = load_yaml(args.scenario)
    if not args.set:
        raise UsageError("sweep: give at least one --set PATH=VALUES, e.g. --set consumers.count=1..8")
    grid = parse_set(args.set)
    horizon, warmup = _window(args, sc)
    wanted = _metrics(args.metrics, SWEEP_METRICS)
    specs = [parse_metric(m, "--metrics") for m in wanted] if wanted else []
    t = sweep(sc, grid, args.replications, args.seed, horizon, warmup, by=(), confidence=args.confidence,
              extra_metrics=[s.name for s in specs if s.extra], **_exec_kwargs(args))
    if wanted:
        t = t[t["metric"].isin([s.name for s in specs])]
    paths = list(grid)
    rows = []
    names = [s.name for s in specs] if wanted else list(dict.fromkeys(t["metric"]))
    for key, sub in t.groupby(paths, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        row: dict[str, Any] = dict(zip(paths, key))
        row["rho"] = float(sub["rho"].iloc[0])
        row["unstable"] = bool(sub["unstable"].any())
        by_m = sub.set_index("metric")
        for m in names:
            if m in by_m.index:
                r = by_m.loc[m]
                row[m] = _cell(float(r["mean"]), float(r["half_width"]), float(r["theory"]))
        rows.append(row)
    import pandas as pd

    formula = next((f for f in t["formula"] if f), "")
    text = "\n".join([
        _describe(sc, args.scenario),
        f"Sweep over {', '.join(paths)}: {args.replications} replications of {horizon:,.0f} s per point, "
        f"common random numbers",
        f"Each cell: mean ± {args.confidence:.0%} CI half-width [theory{': ' + formula if formula else ''}]", "",
        _table(pd.DataFrame(rows), index=False)])
    _emit(args, text, t)
    if args.plot:
        _agg()
        from mqsim.viz import hockey_stick

        metric = "Wq" if "Wq" in names else names[0]
        x = paths[0] if len(paths) == 1 and pd.api.types.is_numeric_dtype(t[paths[0]]) else "rho"
        ax = hockey_stick(t, metric, x=x)
        ax.set_title(f"{sc.name or args.scenario}: {metric} over {paths[0]}")
        _save(ax, args.plot)
    return 0


def cmd_size(args: argparse.Namespace) -> int:
    from mqsim.experiments.sizing import size_consumers
    from mqsim.model.yaml_io import load_yaml

    _check_writable("-o", args.output)
    _check_writable("--plot", args.plot)
    sc = load_yaml(args.scenario)
    horizon, warmup = _window(args, sc)
    r = size_consumers(sc, args.slo, args.confidence, replications=args.replications,
                       max_replications=max(args.max_replications, args.replications), seed=args.seed,
                       horizon=horizon, warmup=warmup, max_consumers=args.max_consumers, **_exec_kwargs(args))
    payload = {"answer": r.answer, "cannot_be_met": r.cannot_be_met or None, "formula_answer": r.formula_answer,
               "formula": r.formula,
               "formula_exact": r.formula_exact, "slo": str(r.slo), "confidence": r.confidence,
               "explanation": r.explanation, "evidence": _records(r.evidence)}
    _emit(args, _describe(sc, args.scenario) + "\n\n" + repr(r), r.evidence, payload)
    if args.plot and not r.evidence.empty:
        _agg()
        from mqsim.viz.sizing import sizing_evidence

        _save(sizing_evidence(r), args.plot)
    return 0


# ---- theory ---------------------------------------------------------------------------------
_THEORY_ARGS = ("lam", "mu", "c", "K", "mean", "scv", "ca2", "a")
_MODELS: dict[str, tuple[tuple[str, ...], str]] = {
    "mm1": (("lam", "mu"), "M/M/1"),
    "mmc": (("lam", "mu", "c"), "M/M/c (Erlang C)"),
    "mm1k": (("lam", "mu", "K"), "M/M/1/K"),
    "mmck": (("lam", "mu", "c", "K"), "M/M/c/K (reject-publish; --drop-head for drop-head waits)"),
    "mg1": (("lam", "mean", "scv"), "M/G/1 (Pollaczek–Khinchine)"),
    "md1": (("lam", "mean"), "M/D/1 (service time --mean)"),
    "kingman": (("lam", "ca2", "mean", "scv"), "G/G/1 Kingman approximation"),
    "allen-cunneen": (("lam", "ca2", "mean", "scv", "c"), "G/G/c Allen–Cunneen approximation"),
    "erlang-b": (("c", "a"), "Erlang B blocking probability"),
    "erlang-c": (("c", "a"), "Erlang C probability of waiting"),
}


def _check_theory_args(model: str, args: argparse.Namespace) -> dict[str, Any]:
    """The values of the options ``model`` takes; a missing one or one it does not take is a UsageError."""
    need, _ = _MODELS[model]
    missing = [f"--{k}" for k in need if getattr(args, k) is None]
    if missing:
        raise UsageError(f"theory {model}: needs {', '.join('--' + k for k in need)}; missing {', '.join(missing)}")
    extra_args = [f"--{k}" for k in _THEORY_ARGS if k not in need and getattr(args, k) is not None]
    if args.drop_head and model != "mmck":
        extra_args.append("--drop-head")
    if args.t is not None and model not in ("mm1", "mmc"):
        extra_args.append("--t")
    if extra_args:
        also = " (and --t)" if model in ("mm1", "mmc") else " (and --drop-head)" if model == "mmck" else ""
        raise UsageError(f"theory {model}: {', '.join(extra_args)} {'does' if len(extra_args) == 1 else 'do'} not "
                         f"apply to {model}, which takes {', '.join('--' + k for k in need)}{also}")
    return {k: getattr(args, k) for k in need}


def _queue_formula(model: str, v: dict[str, Any], drop_head: bool) -> QueueMetrics:
    """The formula's metrics of one queue model of :data:`_MODELS` (arguments in its option order)."""
    from mqsim import theory as th

    formulas: dict[str, Callable[..., QueueMetrics]] = {
        "mm1": th.mm1, "mmc": th.mmc, "mm1k": th.mm1k, "mmck": th.mmck_drop_head if drop_head else th.mmck,
        "mg1": th.mg1, "md1": th.md1, "kingman": th.kingman, "allen-cunneen": th.allen_cunneen,
    }
    return formulas[model](*(v[k] for k in _MODELS[model][0]))


def _theory_values(model: str, v: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    """Every quantity ``mqsim theory`` prints for ``model`` (times in seconds)."""
    from mqsim import theory as th

    if model == "erlang-b":
        return {"model": "Erlang B", "c": v["c"], "a": v["a"], "B": th.erlang_b(v["c"], v["a"])}
    if model == "erlang-c":
        return {"model": "Erlang C", "c": v["c"], "a": v["a"], "C": th.erlang_c(v["c"], v["a"])}
    m = _queue_formula(model, v, args.drop_head)
    out: dict[str, Any] = {k: x for k, x in m.to_dict().items() if not isinstance(x, (tuple, list, dict))}
    if isinstance(m, th.MMcMetrics):  # the models with a wait distribution
        for p in (0.5, 0.9, 0.95, 0.99):
            out[f"wait_p{p * 100:g}"] = m.wait_quantile(p)
        for p in (0.5, 0.95, 0.99):
            out[f"sojourn_p{p * 100:g}"] = m.sojourn_quantile(p)
        if args.t is not None:
            out[f"P(wait>{args.t:g})"] = m.wait_tail(args.t)
            out[f"P(sojourn>{args.t:g})"] = m.sojourn_tail(args.t)
    elif args.t is not None:
        raise UsageError(f"theory {model}: --t needs a model with a wait distribution (mm1, mmc)")
    return out


def cmd_theory(args: argparse.Namespace) -> int:
    """``mqsim theory MODEL --lam ...``: the formula's quantities, one per line (times in seconds)."""
    _check_writable("-o", args.output)
    out = _theory_values(args.model, _check_theory_args(args.model, args), args)
    import pandas as pd

    frame = pd.DataFrame({"quantity": list(out), "value": [_jsonable(x) for x in out.values()]})
    width = max(len(k) for k in out)
    text = "\n".join(f"{k:<{width}}  {_fmt(x)}" for k, x in out.items())  # one quantity per line: %.6g each
    _emit(args, text, frame, out)
    return 0


# --------------------------------------------------------------------------------------------
# live: the same scenario on a real RabbitMQ broker, beside the simulator (self-contained)
# --------------------------------------------------------------------------------------------
LIVE_METRICS = ("published", "acked", "dropped", "expired", "dead_lettered", "lost", "throughput", "utilisation",
                "Wq", "p_wait", "wait_p50", "wait_p95", "wait_p99")


def cmd_live(args: argparse.Namespace) -> int:
    """``mqsim live scenario.yaml``: play the scenario on RabbitMQ; print live vs simulated."""
    from mqsim import live
    from mqsim.model.yaml_io import load_yaml
    from mqsim.sim.run import simulate

    sc = load_yaml(args.scenario)
    if args.duration <= 0 or args.time_scale <= 0:
        raise UsageError("--duration and --time-scale: must be > 0")
    with live.rabbitmq(args.url) as url:
        res = live.run(sc, url, duration=args.duration, seed=args.seed, time_scale=args.time_scale,
                       warmup=args.warmup)
        cal = live.calibrate(url, n=args.calibrate) if args.calibrate else None
    fit = None
    if cal is not None:  # res.scenario: the queue scenario the player accepted
        fit = simulate(cal.apply(res.scenario, time_scale=args.time_scale), horizon=args.duration,
                       warmup=args.warmup, seed=args.seed)
    sim = simulate(sc, horizon=args.duration, warmup=args.warmup, seed=args.seed)
    cmp = live.compare(sim, res, calibrated=fit, metrics=LIVE_METRICS, by=())
    table = cmp.table.drop(columns=["group", "key"])
    if args.plot:
        _agg()
        fig = cmp.figure(title=f"{sc.name or args.scenario}: simulated vs RabbitMQ (seed {args.seed})")
        _save(fig.axes[0], args.plot)
    where = "private broker" if args.url is None else args.url
    head = (f"{sc.name or args.scenario}: {args.duration:g} s on RabbitMQ ({where}), seed {args.seed}, "
            f"the simulator's sample path; times in seconds")
    lines = [head, table.to_string(index=False, float_format=lambda v: f"{v:.6g}")]
    if cmp.path is not None:
        p = cmp.path
        lines.append(f"per-message wait difference live - sim on the shared path: {p['mean_difference']:+.6g} s "
                     f"(95% batch-means CI {p['low']:+.6g} .. {p['high']:+.6g}; {p['messages']} messages)")
    if cal is not None:
        lines.append(f"calibration: dispatch overhead {cal.dispatch_overhead * 1e3:.3g} ms mean "
                     f"(p99 {cal.dispatch_p99 * 1e3:.3g} ms), client overhead {cal.client_overhead * 1e3:.3g} ms mean, "
                     f"publish latency {cal.publish_p50 * 1e3:.3g} ms median")
    payload = {"scenario": sc.name or args.scenario, "duration": args.duration, "seed": args.seed,
               "metrics": _records(table), "path": cmp.path, "report": res.report,
               "calibration": cal.as_dict() if cal is not None else None}
    _emit(args, "\n".join(lines), table, payload)
    return 0


def _add_live(sub: Any) -> None:
    p = sub.add_parser("live", help="play a scenario on a real RabbitMQ broker beside the simulator",
                       description="Play a scenario on RabbitMQ (a private broker on loopback, or --url) along the "
                                   "simulator's own sample path, and print live vs simulated side by side.")
    p.add_argument("scenario", help="scenario YAML file (see examples/)")
    p.add_argument("--duration", type=float, default=60.0, help="scenario seconds to play (default 60)")
    p.add_argument("--url", default=None,
                   help="AMQP URL of a running broker on loopback (default: start a private one)")
    p.add_argument("--seed", type=int, default=1, help="seed of the shared sample path (default 1)")
    p.add_argument("--warmup", type=float, default=0.0, help="seconds excluded from the statistics (default 0)")
    p.add_argument("--time-scale", type=float, default=1.0, help="scenario seconds per real second (default 1)")
    p.add_argument("--calibrate", type=int, default=0, metavar="N",
                   help="also measure the broker's dispatch overhead over N deliveries and add a calibrated column")
    _add_output(p)
    p.set_defaults(func=cmd_live)


# --------------------------------------------------------------------------------------------
# parser
# --------------------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    ap = _Parser(prog="mqsim", description=_plain(__doc__.split("\n\n")[0]),
                 epilog="Run 'mqsim COMMAND -h' for a command's options.")
    from mqsim import __version__

    ap.add_argument("--version", action="version", version=f"mqsim {__version__}")
    sub = ap.add_subparsers(dest="command", metavar="COMMAND", required=True, parser_class=_Parser)

    p = sub.add_parser("run", help="replicate a scenario: every metric with its CI beside theory",
                       description="Replicate a scenario and print every metric's mean and CI beside theory.")
    _add_run_options(p)
    p.add_argument("--metrics", default=None,
                   help=f"comma list (default {','.join(RUN_METRICS)}), 'all', or e.g. 'P(wait>0.5),wait_p90'")
    p.add_argument("--confidence", type=float, default=0.95, help="CI level (default 0.95)")
    p.add_argument("--rel-precision", type=float, default=None,
                   help="add replications until each metric's CI half-width <= this fraction of its mean "
                        "(the --metrics given, else L, Lq, W, Wq)")
    p.add_argument("--max-replications", type=int, default=100, help="cap for --rel-precision (default 100)")
    _add_output(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("sweep", help="replicate at every point of a grid of scenario fields",
                       description="Replicate a scenario over a full-factorial grid of fields, beside theory.")
    _add_run_options(p)
    p.add_argument("--set", action="append", metavar="PATH=VALUES", default=[],
                   help="a field and its values: consumers.count=1..8, producers[0].rate=1,2,3, "
                        "producers[0].rate=0.5..2:0.5 (repeat for a full factorial)")
    p.add_argument("--metrics", default=None, help=f"comma list (default {','.join(SWEEP_METRICS)}) or 'all'")
    p.add_argument("--confidence", type=float, default=0.95, help="CI level (default 0.95)")
    _add_output(p)
    p.set_defaults(func=cmd_sweep)

    p = sub.add_parser("size", help="the fewest consumers that meet an SLO (formula, then simulation)",
                       description="The fewest consumers whose simulated CI upper bound meets the SLO, "
                                   "bracketed by the formula.")
    _add_run_options(p)
    p.add_argument("--slo", required=True,
                   help="e.g. 'p99_wait<=0.2', 'Wq<=0.5', 'P(wait>0.5)<=0.05', 'sojourn_p95<=3', 'loss<=0.01'")
    p.add_argument("--confidence", type=float, default=0.95, help="CI level (default 0.95)")
    p.add_argument("--max-replications", type=int, default=40,
                   help="replications for a count whose CI straddles the threshold (default 40)")
    p.add_argument("--max-consumers", type=int, default=None, help="search limit")
    _add_output(p)
    p.set_defaults(func=cmd_size)

    p = sub.add_parser("theory", help="evaluate a queueing formula",
                       description="Evaluate a formula. Rates per second, times in seconds. Models: "
                                   + "; ".join(f"{k}: {d} ({', '.join('--' + a for a in need)})"
                                               for k, (need, d) in _MODELS.items()))
    p.add_argument("model", choices=list(_MODELS))
    p.add_argument("--lam", type=float, help="arrival rate (per second)")
    p.add_argument("--mu", type=float, help="service rate per consumer (per second)")
    p.add_argument("--c", type=int, help="consumers (servers)")
    p.add_argument("--K", type=int, help="system capacity, in service included")
    p.add_argument("--mean", type=float, help="mean service time (seconds)")
    p.add_argument("--scv", type=float, help="squared coefficient of variation of service")
    p.add_argument("--ca2", type=float, help="squared coefficient of variation of inter-arrival times")
    p.add_argument("--a", type=float, help="offered load (Erlangs)")
    p.add_argument("--t", type=float, help="also P(wait > t) and P(sojourn > t), t in seconds (mm1, mmc)")
    p.add_argument("--drop-head", action="store_true", help="mmck: waits of delivered messages under drop-head")
    _add_output(p, plot=False)
    p.set_defaults(func=cmd_theory)
    _add_live(sub)
    return ap


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``error: mqsim run: argument -n: invalid int value: 'x'``."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")


def _plain(text: str) -> str:
    """reST markup out of a docstring for --help: ``mqsim`` -> mqsim, :func:`x` -> x."""
    import re

    return re.sub(r":[a-z]+:`~?([^`]+)`", r"\1", text).replace("``", "")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mqsim`` command; returns the exit status (0 ok, 2 bad input: one
    ``error: ...`` line on stderr, never a traceback)."""
    import warnings

    try:
        args = build_parser().parse_args(argv)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except SystemExit as exc:  # --help, --version
        return int(exc.code or 0) if not isinstance(exc.code, str) else 2
    try:
        with warnings.catch_warnings():
            from mqsim.model.overload import OverloadWarning

            warnings.simplefilter("ignore", OverloadWarning)  # the tables say it (unstable / no steady state)
            return int(args.func(args))
    except (ValueError, ImportError, RuntimeError) as exc:  # bad input, UnstableError, no broker installed
        print(f"error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    except OSError as exc:  # an output that cannot be written after all
        print(f"error: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # pragma: no cover
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
