"""Packaging: environment.yml mirrors pyproject.toml; `import mqsim` stays light."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _split(req: str) -> tuple[str, str]:
    m = re.match(r"^\s*([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?\s*(.*)$", req)
    assert m, req
    return m.group(1).lower().replace("_", "-"), m.group(2).replace(" ", "")


def test_environment_yml_mirrors_pyproject():
    py = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = dict(_split(r) for r in py["dependencies"])
    for extra in py["optional-dependencies"].values():
        wanted.update(_split(r) for r in extra)
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda: dict[str, str] = {}
    pip_section = None
    for d in env["dependencies"]:
        if isinstance(d, dict):
            pip_section = d["pip"]
            continue
        name, spec = _split(d)
        conda[name] = spec
    assert "conda-forge" in env["channels"]
    assert conda.pop("python") == ">=" + py["requires-python"].lstrip(">=")
    conda.pop("pip")
    assert pip_section and any(p.replace(" ", "").startswith("-e.") for p in pip_section)
    conda.update(_split(p) for p in pip_section if not p.replace(" ", "").startswith("-e"))
    assert conda == wanted, "environment.yml and pyproject.toml list different packages or versions"


def test_import_is_light():
    code = ("import sys, time; t = time.perf_counter(); import mqsim; dt = time.perf_counter() - t; "
            "print(dt, *sorted(m for m in ('pandas', 'scipy', 'matplotlib') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out[1:] == [], f"import mqsim pulled in heavy modules: {out[1:]}"
