"""Sphinx configuration of the mqsim course website (``make docs``).

Sphinx + MyST-NB + sphinx-book-theme: the stack under Jupyter Book 1 and QuantEcon's lectures.
Notebooks are rendered from their committed outputs (never re-executed); the API reference is
generated from ``__all__`` and the docstrings (``_ext/apigen.py``); citations come from
``references.bib`` (sphinxcontrib-bibtex); MathJax is served from the site itself, so the
pages render formulas offline (a classroom without internet, CI).
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(DOCS / "_ext"))
sys.path.insert(0, str(ROOT))

import mqsim  # noqa: E402

project = "mqsim"
author = "the mqsim contributors"
copyright = "2026, the mqsim contributors"
release = version = mqsim.__version__

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinxcontrib.bibtex",
    "apigen",
    "docstrings",
    "worked_values",
    "lectures",
]

root_doc = "index"
# The solution notebooks put their exercises (H3) directly under the title (H1); that renders
# fine, so the heading-level lint is off.
suppress_warnings = ["myst.header"]
exclude_patterns = ["_build", "_ext", "**.ipynb_checkpoints", "lectures/README.md", "README.md"]
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}

# --- notebooks: the committed outputs, as nbval checks them -----------------------------------
nb_execution_mode = "off"
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3

# --- API reference ----------------------------------------------------------------------------
autodoc_default_options = {"member-order": "bysource"}
autodoc_typehints = "description"
autodoc_typehints_format = "short"
autodoc_preserve_defaults = True
autosummary_generate = False
napoleon_numpy_docstring = True
napoleon_google_docstring = False
add_module_names = False

# --- citations ----------------------------------------------------------------------------------
bibtex_bibfiles = ["references.bib"]
bibtex_default_style = "plain"
bibtex_reference_style = "author_year"

# --- HTML ---------------------------------------------------------------------------------------
html_theme = "sphinx_book_theme"
html_title = "mqsim: message queues, simulated and predicted"
html_static_path: list[str] = []
html_theme_options = {
    "show_toc_level": 2,
    "home_page_in_toc": True,
    "use_download_button": True,
    "navigation_with_keys": False,
}
html_last_updated_fmt = None

# MathJax 3 from the django-static-mathjax wheel (docs extra), copied into _static/mathjax.
_MATHJAX = importlib.util.find_spec("mathjax")
_MATHJAX_ES5 = (Path(_MATHJAX.origin).parent / "static" / "mathjax" / "es5") if _MATHJAX else None
if _MATHJAX_ES5 is not None and (_MATHJAX_ES5 / "tex-mml-chtml.js").exists():
    mathjax_path = "mathjax/tex-mml-chtml.js"


def _copy_mathjax(app, exception) -> None:
    if exception is None and app.builder.format == "html" and _MATHJAX_ES5 is not None:
        shutil.copytree(_MATHJAX_ES5, Path(app.outdir) / "_static" / "mathjax", dirs_exist_ok=True)


def setup(app) -> None:
    """Copy the local MathJax after the HTML pages are written."""
    app.connect("build-finished", _copy_mathjax)
