"""Generate the API reference pages from the package's ``__all__`` lists (a Sphinx extension).

The reference follows the package: one page per public layer, each listing the names in that
layer's ``__all__`` (for a package without ``__all__``, the public functions and classes its
submodules define), documented by autodoc from their docstrings. Each object is documented once,
on the page of the first layer (in :data:`PAGES` order) that exports it; the top-level page
(``mqsim``) is a table of ``mqsim.__all__`` whose rows link to those entries. Nothing here is
hand-maintained: a new public name appears when it is added to an ``__all__``.

Pages are written to ``docs/api/`` (not committed) when the build starts. :func:`render_all`
is importable without Sphinx, so a test can check that every public name is covered.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

#: the packages of the public API, in the order their pages appear; ``module`` is what autodoc
#: imports, ``title`` what users type (``mq.dist`` is ``mqsim.model.dist``)
PAGES: list[tuple[str, str, str]] = [
    # (page name, module, one-line description)
    ("mqsim.model", "mqsim.model", "Scenarios as pure, validated data"),
    ("mqsim.dist", "mqsim.model.dist", "Distributions of inter-arrival and service times (``mq.dist``)"),
    ("mqsim.arrivals", "mqsim.model.arrivals", "Time-varying rates and trace replay (``mq.arrivals``)"),
    ("mqsim.theory", "mqsim.theory", "The queueing formulas (``mq.theory``)"),
    ("mqsim.analysis", "mqsim.analysis", "Statistics: metrics, confidence intervals, warm-up (``mq.analysis``)"),
    ("mqsim.sim", "mqsim.sim", "The simulation engines and their results"),
    ("mqsim.experiments", "mqsim.experiments", "Replications, sweeps, sizing and SLOs (``mq.experiments``)"),
    ("mqsim.live", "mqsim.live", "The simulation beside a real RabbitMQ broker (``mq.live``, needs pika)"),
    ("mqsim.viz", "mqsim.viz", "Figures: simulation beside theory (``mq.viz``)"),
    ("mqsim.viz.widgets", "mqsim.viz.widgets", "Interactive panels for the notebooks (needs ipywidgets)"),
    ("mqsim.teaching", "mqsim.teaching", "Lecture helpers and checked exercises (``mq.teaching``)"),
    ("mqsim.cli", "mqsim.cli", "The ``mqsim`` command line"),
    ("mqsim.demo", "mqsim.demo", "The capacity-planning report of ``make demo``"),
]


@dataclass
class Entry:
    """One public name: where it is documented and how (autodoc directive)."""

    name: str
    obj: Any
    directive: str
    options: list[str] = field(default_factory=list)


def _directive(obj: Any) -> tuple[str, list[str]]:
    if inspect.isclass(obj) and issubclass(obj, BaseException):
        return "autoexception", []
    if inspect.isclass(obj):
        return "autoclass", [":members:", ":show-inheritance:"]
    if callable(obj):
        return "autofunction", []
    opts = [":annotation:"] if len(repr(obj)) > 120 else []
    return "autodata", opts


def _public_names(mod: ModuleType) -> list[str]:
    """``__all__``, or else the public functions and classes ``mod`` itself defines."""
    names = getattr(mod, "__all__", None)
    if names is not None:
        return list(names)
    return [n for n, o in vars(mod).items() if not n.startswith("_")
            and (inspect.isfunction(o) or inspect.isclass(o)) and o.__module__ == mod.__name__]


def _sections(module: str) -> list[tuple[str, list[str]]]:
    """(module, names) to document on one page: the module, or each submodule of a package
    that has no ``__all__`` of its own."""
    mod = importlib.import_module(module)
    if hasattr(mod, "__all__") or not hasattr(mod, "__path__"):
        return [(module, _public_names(mod))]
    out = []
    for info in sorted(pkgutil.iter_modules(mod.__path__), key=lambda i: i.name):
        if not info.name.startswith("_"):
            sub = importlib.import_module(f"{module}.{info.name}")
            out.append((sub.__name__, _public_names(sub)))
    return out


def collect() -> tuple[dict[str, list[tuple[str, list[Entry]]]], dict[int, str]]:
    """Every page's sections and entries, and where each object (by id) is documented."""
    home: dict[int, str] = {}
    pages: dict[str, list[tuple[str, list[Entry]]]] = {}
    page_of_module = {importlib.import_module(m).__name__: p for p, m, _ in PAGES}
    for page, module, _ in PAGES:
        sections = []
        for modname, names in _sections(module):
            mod = importlib.import_module(modname)
            entries = []
            for n in names:
                obj = getattr(mod, n)
                if inspect.ismodule(obj):
                    home.setdefault(id(obj), f"doc:{page_of_module.get(obj.__name__, obj.__name__)}")
                    continue
                if id(obj) in home and not isinstance(obj, (str, int, float, tuple, dict, frozenset)):
                    # the same object under another public name: a short entry pointing to it
                    entries.append(Entry(n, obj, "alias", [home[id(obj)]]))
                    continue
                home.setdefault(id(obj), f"{modname}.{n}")
                entries.append(Entry(n, obj, *_directive(obj)))
            sections.append((modname, entries))
        pages[page] = sections
    for page, module, _ in PAGES:  # the layer packages themselves
        home.setdefault(id(importlib.import_module(module)), f"doc:{page}")
    return pages, home


def _summary(obj: Any) -> str:
    doc = inspect.getdoc(obj) if (inspect.isclass(obj) or callable(obj) or inspect.ismodule(obj)) else None
    line = (doc or "").strip().split("\n\n")[0].replace("\n", " ")
    return line.replace("|", "\\|")


def render_page(page: str, description: str, sections: list[tuple[str, list[Entry]]]) -> str:
    """The reST source of one layer's page."""
    title = f"``{page}``"
    lines = [title, "=" * len(title), "", description + ".", ""]
    for modname, entries in sections:
        if len(sections) > 1:
            head = f"``{modname}``"
            lines += [head, "-" * len(head), ""]
        lines += [f".. automodule:: {modname}", "   :no-members:", ""]
        if not entries:
            continue
        lines += [".. autosummary::", "   :nosignatures:", ""]
        lines += [f"   {e.name}" for e in entries] + [""]
        for e in entries:
            if e.directive == "alias":
                lines += [f".. py:data:: {modname}.{e.name}", "",
                          f"   The same object as :py:obj:`{e.options[0]}`.", ""]
                continue
            lines.append(f".. {e.directive}:: {modname}.{e.name}")
            lines += [f"   {o}" for o in e.options]
            lines.append("")
    return "\n".join(lines)


def _page_of(module: str) -> str:
    """The page that documents ``module`` (given as a page name or a module name)."""
    for page, mod, _ in PAGES:
        if module in (page, importlib.import_module(mod).__name__):
            return page
    raise LookupError(module)


def render_top(home: dict[int, str]) -> str:
    """The reST source of the top-level page: ``mqsim.__all__`` as a table of links."""
    import mqsim

    lines = ["``mqsim``", "=========", "", "What ``import mqsim as mq`` gives you. Each name links to "
             "its entry in the layer that defines it.", "",
             ".. automodule:: mqsim", "   :no-members:", "",
             ".. list-table::", "   :header-rows: 1", "   :widths: 25 75", "",
             "   * - name", "     - what it is"]
    for n in mqsim.__all__:
        if n == "__version__":
            continue
        obj = getattr(mqsim, n)
        target = home.get(id(obj))
        if inspect.ismodule(obj):  # mq.dist may be mqsim.model.dist or its alias module mqsim.dist
            pages = {p for p, _, _ in PAGES} | {importlib.import_module(m).__name__ for _, m, _ in PAGES}
            target = f"doc:{_page_of(obj.__name__)}" if obj.__name__ in pages else target
        if target is None:
            raise LookupError(f"mqsim.{n} is public but documented on no API page; add its layer to PAGES")
        if target.startswith("doc:"):
            ref = f":doc:`mq.{n} <{target[4:]}>`"
            what = _summary(obj) or "module"
        else:
            ref = f":py:obj:`mq.{n} <{target}>`"
            what = _summary(obj)
        lines += [f"   * - {ref}", f"     - {what or ' '}"]
    return "\n".join(lines) + "\n"


def render_index() -> str:
    """The reST source of the API reference's index page."""
    lines = ["API reference", "=============", "",
             "Generated from the docstrings of the public names: ``mqsim.__all__`` and each layer's "
             "``__all__``. The layers only point down (model → theory → analysis → sim → "
             "experiments → viz → teaching → cli).", "",
             ".. toctree::", "   :maxdepth: 1", "", "   mqsim"]
    lines += [f"   {p}" for p, _, _ in PAGES]
    return "\n".join(lines) + "\n"


def render_all() -> dict[str, str]:
    """File name (in ``docs/api/``) -> reST source, for every API page."""
    pages, home = collect()
    files = {"index.rst": render_index(), "mqsim.rst": render_top(home)}
    for page, _, description in PAGES:
        files[f"{page}.rst"] = render_page(page, description, pages[page])
    return files


def write(outdir: Path) -> None:
    """Write the pages into ``outdir``, leaving files whose text is unchanged untouched (so
    Sphinx's incremental build does not re-read them)."""
    outdir.mkdir(parents=True, exist_ok=True)
    files = render_all()
    for stale in set(p.name for p in outdir.glob("*.rst")) - set(files):
        (outdir / stale).unlink()
    for name, text in files.items():
        path = outdir / name
        if not path.exists() or path.read_text() != text:
            path.write_text(text)


def _on_builder_inited(app: Any) -> None:
    write(Path(app.srcdir) / "api")


def setup(app: Any) -> dict[str, Any]:
    """Sphinx entry point."""
    app.connect("builder-inited", _on_builder_inited)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
