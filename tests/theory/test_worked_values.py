"""Every row of tests/data/worked_values.csv: its mqsim expression reproduces the value at the
row's precision (closed forms at 1e-9, published examples at their rounding), every source is a
key of docs/references.bib, and docs/worked_values.md is rendered from the current table."""

from __future__ import annotations

import importlib.util
import math
import re
from pathlib import Path

import pytest

import mqsim.dist as dist
from mqsim import theory as th

from tests.worked_values import TABLE, WORKED

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("key", sorted(WORKED))
def test_worked_value_reproduced(key):
    w = WORKED[key]
    got = eval(w.expression, {"th": th, "dist": dist, "math": math})  # noqa: S307 (our own table)
    assert w.agrees(got), f"{key}: {w.expression} = {got!r}, table says {w.text} ({w.check})"


def test_sources_are_in_the_bibliography():
    bib = (ROOT / "docs" / "references.bib").read_text()
    keys = set(re.findall(r"^@\w+\{([^,]+),", bib, flags=re.M))
    for w in WORKED.values():
        for s in w.source.split(";"):
            assert s.strip() in keys, f"{w.key}: source {s!r} is not in docs/references.bib"


def test_docs_page_is_rendered_from_the_table():
    spec = importlib.util.spec_from_file_location("worked_values_page", ROOT / "docs" / "_ext" / "worked_values.py")
    page = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(page)
    assert (ROOT / "docs" / "worked_values.md").read_text() == page.render(TABLE), (
        "docs/worked_values.md is out of date: run `make docs` (or python docs/_ext/worked_values.py)")
