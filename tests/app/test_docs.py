"""The website's generators (docs/_ext), without Sphinx: the API reference covers every public
name, the notebook mirror follows notebooks/, and the docstring convention becomes field lists.
The build itself (warnings as errors) runs in `make docs`; browser_tests/test_site.py opens it."""

from __future__ import annotations

import importlib
import importlib.util
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _ext(name: str):
    spec = importlib.util.spec_from_file_location(f"docs_ext_{name}", ROOT / "docs" / "_ext" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def api_pages():
    pytest.importorskip("matplotlib")
    return _ext("apigen").render_all()


def test_api_reference_covers_every_public_name(api_pages):
    import mqsim

    apigen = _ext("apigen")
    text = "\n".join(api_pages.values())
    top = api_pages["mqsim.rst"]
    for name in mqsim.__all__:
        if name != "__version__":
            assert f"mq.{name} <" in top, f"mqsim.{name} missing from the API index page"
    for page, module, _ in apigen.PAGES:
        assert f"{page}.rst" in api_pages and f"   {page}" in api_pages["index.rst"]
        mod = importlib.import_module(module)
        for name in getattr(mod, "__all__", []):
            obj = getattr(mod, name)
            if not isinstance(obj, type(mqsim)):
                assert re.search(rf"^\.\. (auto\w+|py:data):: [\w.]+\.{re.escape(name)}$", text, flags=re.M), \
                    f"{module}.{name}"


def test_each_object_is_documented_once(api_pages):
    targets = re.findall(r"^\.\. auto(?:class|function|exception):: ([\w.]+)$", "\n".join(api_pages.values()), re.M)
    objs = {}
    for t in targets:
        mod, _, name = t.rpartition(".")
        obj = getattr(importlib.import_module(mod), name)
        assert id(obj) not in objs, f"{t} is also documented as {objs[id(obj)]}"
        objs[id(obj)] = t


def test_lecture_mirror_follows_notebooks(tmp_path):
    lectures = _ext("lectures")
    src, dst = tmp_path / "notebooks", tmp_path / "docs" / "lectures"
    (src / "solutions").mkdir(parents=True)
    for p in ("00_a.ipynb", "13_new.ipynb", "solutions/13_new_solutions.ipynb"):
        (src / p).write_text("{}")
    lectures.mirror(src, dst)
    assert sorted(str(p.relative_to(dst)) for p in dst.rglob("*.ipynb")) == [
        "00_a.ipynb", "13_new.ipynb", "solutions/13_new_solutions.ipynb"]
    (src / "00_a.ipynb").unlink()
    lectures.mirror(src, dst)
    assert not (dst / "00_a.ipynb").exists() and (dst / "13_new.ipynb").exists()


def test_docstring_fields_and_bars():
    ds = _ext("docstrings")
    lines = ["Run it.", "", "warmup: seconds excluded.", "seed, n: integers", "    (continued).", "",
             "A sentence: not a field list, since", "it goes on unindented."]
    out = ds.fields(lines)
    assert out[2:5] == [":warmup: seconds excluded.", ":seed, n: integers", "    (continued)."]
    assert out[6:] == lines[6:]
    assert ds.escape_bars("|given - expected| <= tol, ``|x|`` kept") == "\\|given - expected\\| <= tol, ``|x|`` kept"
