"""The course website (``make docs`` -> ``_build/html``) in headless Chromium.

The index links every lecture (one page per ``notebooks/NN_*.ipynb``), every solution, the API
reference and the references page; served over HTTP on loopback, the lecture navigation leads to
a notebook page whose figure loads and whose formulas MathJax typesets (MathJax ships with the
site, so this needs no network). ``make test-browser`` builds the site first.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from browser_tests.test_lab import ART, CHROMIUM, CHROMIUM_ARGS, ROOT, _free_port

playwright = pytest.importorskip("playwright.sync_api")

SITE = ROOT / "_build" / "html"
#: the lecture the navigation test opens: Erlang C, with figures and typeset formulas
LECTURE = "04_competing_consumers"


@pytest.fixture(scope="module")
def site():
    if not (SITE / "index.html").exists():
        pytest.fail("no built site in _build/html: run `make docs` (make test-browser does)")
    return SITE


@pytest.fixture(scope="module")
def served(site):
    """``python -m http.server`` on a free loopback port, stopped by its id afterwards."""
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                             "--directory", str(site)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(url + "/index.html", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still open"


def test_index_links_lectures_solutions_api_and_references(site):
    html = (site / "index.html").read_text()
    links = set(re.findall(r'href="([^"#?]+)', html))
    lectures = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    solutions = sorted(p.stem for p in (ROOT / "notebooks" / "solutions").glob("*.ipynb"))
    assert len(lectures) >= 13
    for stem in lectures:
        assert f"lectures/{stem}.html" in links, f"index does not link lecture {stem}"
        assert (site / "lectures" / f"{stem}.html").exists()
    for stem in solutions:
        assert f"lectures/solutions/{stem}.html" in links, f"index does not link solution {stem}"
    for page in ("api/index.html", "api/mqsim.html", "api/mqsim.theory.html", "api/mqsim.dist.html",
                 "api/mqsim.experiments.html", "api/mqsim.viz.html", "references.html", "worked_values.html",
                 "engines.html"):
        assert page in links and (site / page).exists(), page
    refs = (site / "references.html").read_text()
    for who in ("Erlang", "Kendall", "Little", "Pollaczek", "Khintchine", "Kingman", "Cobham", "Allen",
                "Jackson", "Whitt", "Kleinrock", "Harchol-Balter", "rabbitmq.com/docs/priority",
                "rabbitmq.com/docs/consumer-prefetch", "rabbitmq.com/docs/ttl", "rabbitmq.com/docs/dlx",
                "rabbitmq.com/docs/maxlength", "rabbitmq.com/docs/quorum-queues", "kafka.apache.org"):
        assert who in refs, f"references page lacks {who}"


def test_api_reference_documents_public_names(site):
    theory = (site / "api" / "mqsim.theory.html").read_text()
    for name in ("mmc", "erlang_c", "mm1k", "mg1", "kingman", "allen_cunneen", "np_priority_mg1", "jackson",
                 "for_scenario"):
        assert f'id="mqsim.theory.{name}"' in theory, name
    top = (site / "api" / "mqsim.html").read_text()
    for name in ("simulate", "replicate", "sweep", "size_consumers", "Scenario"):
        assert f"mq.{name}" in top, name


def test_lecture_navigation_figure_and_formula(served):
    ART.mkdir(parents=True, exist_ok=True)
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1300, "height": 950})
        offsite: list[str] = []
        page.on("request", lambda r: offsite.append(r.url) if not r.url.startswith((served, "data:")) else None)
        page.goto(served + "/index.html")
        page.locator("nav.bd-links a", has_text="Lectures").first.click()
        page.wait_for_url("**/lectures.html")
        page.locator("article a[href*='lectures/%s']" % LECTURE).first.click()
        page.wait_for_url(f"**/lectures/{LECTURE}.html")
        page.wait_for_function("""() => { const i = Array.from(document.querySelectorAll('article img'));
                                          return i.length && i.every(x => x.complete && x.naturalWidth > 0); }""",
                               timeout=30_000)
        # MathJax replaces each formula's TeX source with an <mjx-container>
        page.wait_for_function("() => document.querySelectorAll('article mjx-container').length > 0", timeout=30_000)
        n_math = page.evaluate("() => document.querySelectorAll('article .math').length")
        n_typeset = page.evaluate("() => document.querySelectorAll('article .math mjx-container').length")
        assert n_math > 0 and n_typeset == n_math, (n_math, n_typeset)
        page.locator("article mjx-container").first.scroll_into_view_if_needed()
        page.screenshot(path=str(ART / "site_lecture.png"))
        browser.close()
    assert not [u for u in offsite if "mathjax" in u.lower()], "MathJax was fetched from outside the site"
