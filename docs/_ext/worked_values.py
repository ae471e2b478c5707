"""Render ``docs/worked_values.md`` from ``tests/data/worked_values.csv`` (the one source).

Runs at the start of every ``make docs`` (a Sphinx extension) and from the command line
(``python docs/_ext/worked_values.py``); ``tests/theory/test_worked_values.py`` fails when the
committed page differs from what the table renders to.
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TABLE = ROOT / "tests" / "data" / "worked_values.csv"
PAGE = ROOT / "docs" / "worked_values.md"

#: (section title, regular expression on the key); a row goes to the first section that matches
SECTIONS = [
    ("Little's law and the operational laws", r"^(little|utilisation_law|saturation|cafe\.bottleneck)"),
    ("M/M/1", r"^mm1_"),
    ("M/M/1/K", r"^mm1k_"),
    ("M/M/c: Erlang C", r"^(mmc_|callcentre|telefonica)"),
    ("Erlang B", r"^erlangb"),
    ("M/M/c/K, drop-head and reject-publish", r"^(mmck_|overflow_)"),
    ("M/G/1 (Pollaczek–Khinchine) and M/D/1", r"^(mg1_|md1_)"),
    ("G/G/1 and G/G/c: Kingman, GI/M/1, Allen–Cunneen, Sakasegawa", r"^(kingman|gim1|allen|sakasegawa)"),
    ("Dispatch: prefetch 1, round-robin push, random split", r"^dispatch"),
    ("Priorities", r"^(np_|pr_)"),
    ("Networks: tandem queues, requeue as feedback, the café", r"^(tandem|feedback|cafe)"),
    ("TTL as deterministic patience", r"^ttl"),
    ("Kafka consumer groups", r"^kafka"),
    ("Other", r"."),
]

HEADER = """# Worked values

Every number the tests compare a formula with, and where it comes from. The table is
`tests/data/worked_values.csv` (this page is generated from it: edit the CSV, then `make docs`);
`tests/theory/test_worked_values.py` evaluates each row's expression and checks it:

* **exact** values of closed forms at relative tolerance 10⁻⁹;
* **printed** values (published examples, or figures computed to the digits shown) at half a
  unit of their last digit;
* **integer** answers (how many servers) exactly.

Simulation tests compare these values with confidence intervals over seeded replications,
never with a fixed tolerance on one run. Symbols: `lam` arrival rate, `mu` service rate per
consumer, `c` consumers, `K` system capacity, `E[S]` mean service time, `C_a^2`/`C_s^2` squared
coefficients of variation; times in seconds unless stated.
"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").strip()


def _cite(source: str) -> str:
    return "{cite:p}`" + ",".join(s.strip() for s in source.split(";")) + "`"


def render(table: Path = TABLE) -> str:
    """The Markdown page for ``table``."""
    with table.open(newline="") as f:
        rows = list(csv.DictReader(f))
    out = [HEADER]
    for title, pattern in SECTIONS:
        mine = [r for r in rows if re.search(pattern, r["key"])]
        rows = [r for r in rows if r not in mine]
        if not mine:
            continue
        out += [f"## {title}", "", "| key | value | check | model, parameters | computed by | source |",
                "|---|---|---|---|---|---|"]
        for r in mine:
            what = _cell(r["model"]) + "; " + _cell(r["parameters"])
            if r["note"]:
                what += " (" + _cell(r["note"]) + ")"
            out.append(f"| `{r['key']}` | {r['value']} | {r['check']} | {what} | `{_cell(r['expression'])}` "
                       f"| {_cite(r['source'])} |")
        out.append("")
    return "\n".join(out)


def write(table: Path = TABLE, page: Path = PAGE) -> bool:
    """Write ``page`` if its text changed; True when it did."""
    text = render(table)
    if page.exists() and page.read_text() == text:
        return False
    page.write_text(text)
    return True


def setup(app: Any) -> dict[str, Any]:
    """Sphinx entry point: refresh the page when the build starts."""
    app.connect("builder-inited", lambda app: write())
    return {"parallel_read_safe": True, "parallel_write_safe": True}


if __name__ == "__main__":
    sys.exit(print("wrote" if write() else "unchanged", PAGE))
