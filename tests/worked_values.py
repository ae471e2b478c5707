"""The worked values of ``tests/data/worked_values.csv``: exact values of the formulas and the
published examples they reproduce, one row per value, with the literature that gives each.

Columns: ``key``; ``value`` as written (a decimal, or a fraction such as ``4/9``); ``check``:
``exact`` (closed form, compared at relative 1e-9), ``printed`` (a published or rounded value,
compared at half a unit of its last printed digit) or ``integer``; ``expression``: the mqsim call
that computes it (``th`` = :mod:`mqsim.theory`, ``dist`` = :mod:`mqsim.dist`); ``model`` and
``parameters`` in words; ``source``: keys of ``docs/references.bib``, ``;``-separated; ``note``.

Tests read values with :func:`value` and compare with :func:`agrees`; ``docs/worked_values.md``
is rendered from the same file (``docs/_ext/worked_values.py``).
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import pytest

TABLE = Path(__file__).resolve().parent / "data" / "worked_values.csv"
EXACT = 1e-9  # relative tolerance for exact closed forms
CHECKS = ("exact", "printed", "integer")


@dataclass(frozen=True)
class Worked:
    """One row of the table."""

    key: str
    text: str
    check: str
    expression: str
    model: str
    parameters: str
    source: str
    note: str

    @property
    def value(self) -> float:
        return float(Fraction(self.text))

    def agrees(self, x: float) -> bool:
        """``x`` equals this value: at 1e-9 (exact), at its printed rounding, or as an integer."""
        if self.check == "integer":
            return x == int(self.text)
        if self.check == "printed":
            decimals = len(self.text.split(".")[1]) if "." in self.text else 0
            return abs(x - self.value) <= 0.5 * 10.0 ** (-decimals) * (1 + 1e-9)
        return x == pytest.approx(self.value, rel=EXACT, abs=0.0) and math.isfinite(x)


def load(path: Path = TABLE) -> dict[str, Worked]:
    """All rows, by key (keys are unique, checks known, sources non-empty)."""
    rows: dict[str, Worked] = {}
    with path.open(newline="") as f:
        for r in csv.DictReader(f):
            w = Worked(r["key"], r["value"], r["check"], r["expression"], r["model"], r["parameters"],
                       r["source"], r["note"])
            assert w.key not in rows, f"duplicate key {w.key} in {path.name}"
            assert w.check in CHECKS, f"{w.key}: check must be one of {CHECKS}"
            assert w.source.strip(), f"{w.key}: no source"
            rows[w.key] = w
    return rows


WORKED = load()


def value(key: str) -> float:
    """The worked value ``key`` as a float."""
    return WORKED[key].value


def agrees(x: float, key: str) -> bool:
    """``x`` agrees with the worked value ``key`` at that value's precision."""
    return WORKED[key].agrees(x)
