"""The ``mqsim`` command: run, sweep, size, theory; machine output; one clear error, exit 2."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from mqsim.cli import UsageError, main, parse_set, parse_values

ROOT = Path(__file__).resolve().parents[2]
REF = str(ROOT / "examples" / "reference.yaml")
LOGN = str(ROOT / "examples" / "lognormal.yaml")
FAST = ["--no-progress", "-n", "3", "--horizon", "400", "--executor", "sequential"]


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# ------------------------------------------------------------------------------------------
# theory
# ------------------------------------------------------------------------------------------
def test_theory_mmc_table_and_json(capsys):
    code, out, _ = run(capsys, "theory", "mmc", "--lam", "2.4", "--mu", "1", "--c", "3", "--t", "1")
    assert code == 0
    rows = dict(line.split(None, 1) for line in out.strip().splitlines())
    assert float(rows["Wq"]) == pytest.approx(1.078651685, rel=1e-5)
    assert float(rows["P_wait"]) == pytest.approx(0.6471910112, rel=1e-5)
    assert float(rows["wait_p95"]) == pytest.approx(4.267697453, rel=1e-5)
    assert float(rows["P(wait>1)"]) == pytest.approx(0.3551859577, rel=1e-5)
    code, out, _ = run(capsys, "theory", "mmc", "--lam", "2.4", "--mu", "1", "--c", "3", "--json")
    assert code == 0 and json.loads(out)["Lq"] == pytest.approx(2.588764045, rel=1e-9)


@pytest.mark.parametrize("argv, key, value", [
    (["mm1", "--lam", "3", "--mu", "5"], "Wq", 0.3),
    (["mm1k", "--lam", "4", "--mu", "5", "--K", "5"], "loss", 0.08881949866),
    (["mmck", "--lam", "1.8", "--mu", "1", "--c", "2", "--K", "10"], "Wq", 1.516483193),
    (["mg1", "--lam", "0.8", "--mean", "1", "--scv", "4"], "Wq", 10.0),
    (["md1", "--lam", "0.8", "--mean", "1"], "Wq", 2.0),
    (["kingman", "--lam", "0.8", "--ca2", "0.5", "--mean", "1", "--scv", "1"], "Wq", 3.0),
    (["allen-cunneen", "--lam", "2.4", "--ca2", "1", "--mean", "1", "--scv", "0", "--c", "3"], "Wq", 0.5393258427),
    (["erlang-b", "--c", "3", "--a", "2"], "B", 4 / 19),
    (["erlang-c", "--c", "3", "--a", "2.4"], "C", 0.6471910112),
])
def test_theory_models(capsys, argv, key, value):
    code, out, _ = run(capsys, "theory", *argv, "--json")
    assert code == 0
    assert json.loads(out)[key] == pytest.approx(value, rel=1e-8)


def test_theory_csv(capsys):
    code, out, _ = run(capsys, "theory", "mm1", "--lam", "3", "--mu", "5", "--csv")
    df = pd.read_csv(io.StringIO(out))
    assert code == 0 and list(df.columns) == ["quantity", "value"]
    assert float(df.set_index("quantity").loc["W", "value"]) == pytest.approx(0.5)


@pytest.mark.parametrize("argv, match", [
    (["theory", "mmc", "--lam", "2.4", "--mu", "1"], "missing --c"),
    (["theory", "mmc", "--lam", "3.4", "--mu", "1", "--c", "3"], "rho"),
    (["theory", "mg1", "--lam", "0.8", "--mean", "1", "--scv", "1", "--t", "1"], "--t"),
    (["theory", "mm1", "--lam", "-1", "--mu", "1"], "lam"),
])
def test_theory_errors_exit_2(capsys, argv, match):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.startswith("error: ") and match in err and err.count("\n") == 1


# ------------------------------------------------------------------------------------------
# run / sweep / size
# ------------------------------------------------------------------------------------------
def test_run_prints_a_table_beside_theory(capsys):
    code, out, err = run(capsys, "run", REF, *FAST)
    assert code == 0, err
    assert "Erlang C" in out and "Wq" in out and "covered" in out and "3 replications" in out


def test_run_csv_and_json(capsys, tmp_path):
    code, out, _ = run(capsys, "run", REF, *FAST, "--csv", "--metrics", "Wq,P(wait>0.5),wait_p90")
    df = pd.read_csv(io.StringIO(out))
    assert code == 0 and list(df["metric"]) == ["Wq", "P(wait>0.5)", "wait_p90"]
    assert {"mean", "ci_low", "ci_high", "theory"} <= set(df.columns)
    assert df.set_index("metric").loc["Wq", "theory"] == pytest.approx(1.078651685)
    target = tmp_path / "r.json"
    code, out, err = run(capsys, "run", REF, *FAST, "--json", "-o", str(target))
    assert code == 0 and out == "" and "wrote" in err
    rows = json.loads(target.read_text())
    assert {r["metric"] for r in rows} >= {"W", "Wq", "utilisation"}


def test_run_auto_warmup_and_plot(capsys, tmp_path):
    png = tmp_path / "warm.png"
    code, out, _ = run(capsys, "run", REF, *FAST, "--warmup", "auto", "--plot", str(png))
    assert code == 0 and "MSER-5" in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_run_rel_precision(capsys):
    code, out, _ = run(capsys, "run", REF, *FAST, "--rel-precision", "0.2", "--metrics", "W", "--max-replications", "8")
    assert code == 0 and "precision target 0.2 reached" in out


def test_sweep_ranges_and_lists(capsys, tmp_path):
    png = tmp_path / "sweep.png"
    code, out, _ = run(capsys, "sweep", REF, *FAST, "--set", "consumers.count=3..4",
                       "--set", "producers[0].rate=1.8,2.4", "--csv", "--plot", str(png))
    df = pd.read_csv(io.StringIO(out))
    assert code == 0
    assert sorted(set(zip(df["consumers.count"], df["producers[0].rate"]))) == [(3, 1.8), (3, 2.4), (4, 1.8), (4, 2.4)]
    assert png.exists()
    code, out, _ = run(capsys, "sweep", REF, *FAST, "--set", "consumers.count=3..5")
    assert code == 0 and "consumers.count" in out and "[Erlang C]" not in out and "theory: Erlang C" in out


def test_size_reference_answers_five(capsys):
    code, out, err = run(capsys, "size", REF, "--slo", "P(wait > 0.5) <= 0.05", "--no-progress", "--json")
    assert code == 0, err
    r = json.loads(out)
    assert r["answer"] == 5 and r["formula_answer"] == 5 and r["formula"] == "Erlang C"
    ev = {row["consumers"]: row for row in r["evidence"]}
    assert ev[5]["meets"] and not ev[4]["meets"]


def test_size_table_output_and_plot(capsys, tmp_path):
    png = tmp_path / "size.png"
    code, out, err = run(capsys, "size", REF, "--slo", "Wq<=0.3", *FAST, "--plot", str(png))
    assert code == 0, err
    assert "SizingResult" in out and "evidence" in out and "formula alone" in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# ------------------------------------------------------------------------------------------
# errors: one line naming the problem, exit status 2
# ------------------------------------------------------------------------------------------
def test_malformed_yaml_names_the_line(capsys, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("producers:\n  - name: a\n    rate: [1\nconsumers: {count: 2}\n")
    code, out, err = run(capsys, "run", str(bad))
    assert code == 2 and out == ""
    assert err.startswith("error: ") and "line" in err and err.count("\n") == 1


def test_unknown_field_is_named(capsys, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("producers:\n  - name: a\n    rate: 1\n    colour: red\n")
    code, _, err = run(capsys, "size", str(bad), "--slo", "Wq<=1")
    assert code == 2 and "producers[0].colour" in err and "unknown field" in err


@pytest.mark.parametrize("argv, match", [
    (["sweep", REF, "--set", "consumers.cont=1..3"], "consumers.cont"),
    (["sweep", REF], "--set"),
    (["sweep", REF, "--set", "consumers.count=5..1"], "end"),
    (["size", REF, "--slo", "throughput >= 2"], "upper bounds"),
    (["run", "no-such-file.yaml"], "no such file"),
    (["run", REF, "--warmup", "soon"], "--warmup"),
    (["run", REF, "--metrics", "latency"], "unknown metric"),
    (["run", REF, "--jobs", "0"], "n_jobs"),
])
def test_bad_input_exit_2(capsys, argv, match):
    code, out, err = run(capsys, *argv, "--no-progress")
    assert code == 2 and out == ""
    assert err.startswith("error: ") and match in err


def test_argparse_errors_exit_2(capsys):
    assert main(["theory", "mmx"]) == 2
    assert main(["size", REF]) == 2  # --slo is required
    err = capsys.readouterr().err
    assert err.count("\n") == 2 and all(ln.startswith("error: ") for ln in err.splitlines())


def test_parse_values():
    assert parse_values("1..8") == list(range(1, 9))
    assert parse_values("2..8:3") == [2, 5, 8]
    assert parse_values("0.5..2:0.5") == [0.5, 1.0, 1.5, 2.0]
    assert parse_values("1, 2.5, drop-head, null") == [1, 2.5, "drop-head", None]
    assert parse_set(["consumers.count=1..3", "producers[0].rate=1,2"]) == {
        "consumers.count": [1, 2, 3], "producers[0].rate": [1, 2]}
    for bad in ("0.5..2", "1..x", "3..1", "1..5:0", "", "1..100000"):
        with pytest.raises(UsageError):
            parse_values(bad)
    with pytest.raises(UsageError, match="PATH=VALUES"):
        parse_set(["consumers.count"])


def test_entry_point_runs_as_a_module():
    p = subprocess.run([sys.executable, "-m", "mqsim", "theory", "mm1", "--lam", "3", "--mu", "5"],
                       capture_output=True, text=True)
    assert p.returncode == 0 and "0.3" in p.stdout
    p = subprocess.run([sys.executable, "-m", "mqsim", "theory", "mm1", "--lam", "5", "--mu", "5"],
                       capture_output=True, text=True)
    assert p.returncode == 2 and p.stderr.startswith("error: ") and "rho" in p.stderr
