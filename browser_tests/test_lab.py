"""End-to-end: JupyterLab on loopback, 00_start_here.ipynb in headless Chromium.

Runs every cell from cleared outputs, checks a matplotlib figure rendered, moves a slider of
the M/M/c explorer widget and checks the widget's output changed. Saves screenshots to
``artifacts/browser/``. Needs Debian's ``chromium`` (``/usr/bin/chromium``) and the Python
``playwright`` package; ``make test-browser`` installs both.
"""

from __future__ import annotations

import os
import shutil
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


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}; run `make test-browser` (installs Debian's chromium)")
    port, token = _free_port(), "mqsim-browser-test"
    work = tmp_path_factory.mktemp("lab")
    shutil.copytree(ROOT / "notebooks", work / "notebooks")
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(work / "cfg"), "JUPYTER_RUNTIME_DIR": str(work / "rt"),
           "MQSIM_PROGRESS": "0"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={work / 'notebooks'}",
         "--LabApp.expose_app_in_browser=True", *(["--allow-root"] if os.geteuid() == 0 else [])],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=work)
    url = f"http://127.0.0.1:{port}"
    for _ in range(120):
        if proc.poll() is not None:
            pytest.fail("JupyterLab exited: " + proc.stdout.read().decode(errors="replace")[-2000:])
        try:
            urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=1)
            break
        except OSError:
            time.sleep(0.5)
    else:  # pragma: no cover
        proc.kill()
        pytest.fail("JupyterLab did not start: " + proc.stdout.read().decode(errors="replace")[-2000:])
    yield url, token
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:  # pragma: no cover
        proc.kill()


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


def test_start_here_runs_renders_and_reacts_to_a_slider(lab):
    url, token = lab
    ART.mkdir(parents=True, exist_ok=True)
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{url}/lab/tree/00_start_here.ipynb?token={token}")
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
