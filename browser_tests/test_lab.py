"""End-to-end: `make lab` on loopback, 00_start_here.ipynb in headless Chromium.

JupyterLab is started through the Makefile target, in a fresh copy of the repository, as a
user would (``make lab LAB_ARGS=...``); a recording browser command captures the page it opens,
which must be the start notebook. The test then runs every cell from cleared outputs, checks a
matplotlib figure rendered, moves a slider of the M/M/c explorer widget and checks the widget's
output changed. Saves screenshots to
``artifacts/browser/``. Needs Debian's ``chromium`` (``/usr/bin/chromium``) and the Python
``playwright`` package; ``make test-browser`` installs both.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ART = ROOT / "artifacts" / "browser"
CHROMIUM = os.environ.get("MQSIM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]

playwright = pytest.importorskip("playwright.sync_api")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


RECORDER = """import sys, pathlib
pathlib.Path(sys.argv[1]).write_text(sys.argv[2])
"""


def _clone_for_lab(work: Path) -> Path:
    """What `make lab` needs from a fresh clone: the Makefile, pyproject.toml and notebooks/, with
    this checkout's environment (.venv) linked in. The copy keeps the repository's notebooks safe
    from the test's runs and autosaves."""
    clone = work / "clone"
    clone.mkdir()
    shutil.copy2(ROOT / "Makefile", clone / "Makefile")
    shutil.copy2(ROOT / "pyproject.toml", clone / "pyproject.toml")
    shutil.copytree(ROOT / "notebooks", clone / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    (clone / ".venv").symlink_to(ROOT / ".venv", target_is_directory=True)
    stamp = ROOT / ".venv" / ".installed"
    if stamp.exists():  # the environment is installed: make must not try to reinstall it into the copy
        t = stamp.stat().st_mtime - 1
        os.utime(clone / "pyproject.toml", (t, t))
    return clone


def _stop(proc: subprocess.Popen) -> None:
    """Stop `make lab` and the server it started (their own process group), by id."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:  # pragma: no cover
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """`make lab` in a fresh copy of the repository, with a browser command that records the URL
    JupyterLab opens (the page a user's browser would show)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}; run `make test-browser` (installs Debian's chromium)")
    port, token = _free_port(), "mqsim-browser-test"
    work = tmp_path_factory.mktemp("lab")
    clone = _clone_for_lab(work)
    (work / "recorder.py").write_text(RECORDER)
    opened = work / "opened_url"
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(work / "cfg"), "JUPYTER_RUNTIME_DIR": str(work / "rt"),
           "JUPYTER_DATA_DIR": str(work / "data"), "MQSIM_PROGRESS": "0",
           "BROWSER": f"{sys.executable} {work / 'recorder.py'} {opened} %s"}
    lab_args = f"--ip=127.0.0.1 --port={port} --IdentityProvider.token={token} --LabApp.expose_app_in_browser=True"
    proc = subprocess.Popen(["make", "--no-print-directory", "lab", f"LAB_ARGS={lab_args}"], cwd=clone, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            if proc.poll() is not None:
                pytest.fail("make lab exited: " + proc.stdout.read().decode(errors="replace")[-3000:])
            if opened.exists() and opened.read_text():
                break
            time.sleep(0.5)
        else:  # pragma: no cover
            pytest.fail("make lab opened no page within 120 s")
        urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=5)
        yield url, token, opened.read_text().strip()
    finally:
        _stop(proc)
    with socket.socket() as s:  # nothing of ours is left listening
        assert s.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still open after make lab was stopped"


def _wait_idle(page, timeout_s: float) -> None:
    """Wait until no cell shows the busy prompt [*] and the kernel reports idle."""
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        busy = page.evaluate("""() => Array.from(document.querySelectorAll('.jp-InputPrompt'))
                                   .some(e => e.textContent.includes('[*]'))""")
        status = page.evaluate("""() => { const nb = window.jupyterapp.shell.currentWidget;
            return nb && nb.sessionContext && nb.sessionContext.session
                   ? nb.sessionContext.session.kernel.status : 'none'; }""")
        if not busy and status == "idle":
            return
        time.sleep(0.5)
    raise AssertionError("notebook still running after %.0f s" % timeout_s)


def test_make_lab_opens_the_start_notebook(lab):
    url, token, opened = lab
    # Jupyter hands the browser a local redirect page (it keeps the token out of the command line)
    assert opened.startswith("file:"), opened
    redirect = Path(urllib.request.url2pathname(opened[len("file:"):])).read_text()
    assert f'{url}/lab/tree/00_start_here.ipynb' in redirect, redirect[-1000:]
    with urllib.request.urlopen(f"{url}/api/contents/00_start_here.ipynb?token={token}&content=0") as r:
        assert r.status == 200  # the server's root is notebooks/


def test_start_here_runs_renders_and_reacts_to_a_slider(lab):
    url, token, opened = lab
    ART.mkdir(parents=True, exist_ok=True)
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(opened)  # the page `make lab` opened: a redirect to the start notebook
        page.wait_for_url("**/lab/tree/00_start_here.ipynb*", timeout=90_000)
        page.wait_for_selector(".jp-Notebook", timeout=90_000)
        page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget"
                               " && window.jupyterapp.shell.currentWidget.sessionContext.session", timeout=90_000)
        _wait_idle(page, 90)
        page.evaluate("window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
        page.wait_for_function("() => document.querySelectorAll('.jp-RenderedImage img').length === 0", timeout=30_000)
        page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
        time.sleep(2)
        _wait_idle(page, 240)
        errors = page.evaluate("() => document.querySelectorAll('.jp-OutputArea-output[data-mime-type="
                               "\"application/vnd.jupyter.stderr\"] .jp-RenderedText, "
                               ".jp-RenderedText[data-mime-type=\"application/vnd.jupyter.error\"]').length")
        assert errors == 0, "a cell raised an error"
        assert page.locator(".jp-RenderedImage img").count() >= 1, "no figure rendered"
        # the widget: its output area renders a table and figure; move the lambda slider
        handle = page.locator(".widget-slider .noUi-handle, .widget-hslider .noUi-handle").first
        handle.wait_for(timeout=60_000)
        out = page.locator(".jupyter-widgets.widget-output, .widget-output").last
        page.wait_for_function("""() => { const o = Array.from(document.querySelectorAll('.widget-output'));
                                          return o.length && o[o.length-1].querySelector('table'); }""",
                               timeout=60_000)
        out.scroll_into_view_if_needed()
        before = out.inner_html()
        page.screenshot(path=str(ART / "start_here_before.png"), full_page=False)
        handle.focus()
        for _ in range(5):
            page.keyboard.press("ArrowRight")
        page.wait_for_function(
            """(b) => { const o = Array.from(document.querySelectorAll('.widget-output'));
                        const last = o[o.length-1]; return last && last.querySelector('table')
                               && last.innerHTML !== b; }""", arg=before, timeout=60_000)
        _wait_idle(page, 60)
        after = out.inner_html()
        assert after != before
        page.screenshot(path=str(ART / "start_here_after.png"), full_page=False)
        browser.close()
