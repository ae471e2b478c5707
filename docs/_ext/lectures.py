"""Mirror ``notebooks/`` into ``docs/lectures/`` (not committed) when the build starts (a Sphinx extension).

The site is built from the committed notebooks as they are, outputs included: nothing is
re-executed (``nb_execution_mode = "off"``), so the pages show exactly what ``pytest --nbval``
checks. Mirroring the whole folder keeps the notebooks' relative links (``solutions/...``)
valid; unchanged files are left alone, so Sphinx's incremental build skips them.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

PATTERNS = ("*.ipynb", "solutions/*.ipynb")


def mirror(src: Path, dst: Path) -> list[Path]:
    """Copy the notebooks matching :data:`PATTERNS` from ``src`` to ``dst``; remove stale copies."""
    wanted = {p.relative_to(src) for pat in PATTERNS for p in src.glob(pat)}
    for old in [p for pat in PATTERNS for p in dst.glob(pat)]:
        if old.relative_to(dst) not in wanted:
            old.unlink()
    for rel in sorted(wanted):
        target = dst / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists() or target.read_bytes() != (src / rel).read_bytes():
            shutil.copy2(src / rel, target)
    return sorted(dst / r for r in wanted)


def _on_builder_inited(app: Any) -> None:
    srcdir = Path(app.srcdir)
    mirror(srcdir.parent / "notebooks", srcdir / "lectures")


def setup(app: Any) -> dict[str, Any]:
    """Sphinx entry point."""
    app.connect("builder-inited", _on_builder_inited)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
