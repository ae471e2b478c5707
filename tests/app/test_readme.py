"""Every ```python and ```bash block of README.md runs, so the README cannot drift from the code.

A block may be preceded (anywhere between the previous block and it) by markers, HTML comments
that GitHub does not show, one directive each::

    <!-- readme-test: skip because REASON -->                 do not run the block (say why)
    <!-- readme-test: skip-line "PREFIX" because REASON -->   bash: do not run the lines starting with PREFIX
    <!-- readme-test: sub "OLD" -> "NEW" -->                  run the block with OLD replaced by NEW
                                                              (tiny horizons; OLD must occur)
    <!-- readme-test: check "EXPR" -->                        python: EXPR must be true afterwards
                                                              (``_`` is the value of the block's last line)
    <!-- readme-test: expect "TEXT" -->                       the block's output must contain TEXT

A marker that does not apply (OLD or PREFIX not found) or cannot be parsed fails the test, so
the markers stay honest when the README changes. Python blocks run in order in one fresh
interpreter and share a namespace (a later block continues an earlier one), except a block with
``if __name__ == "__main__":``, which runs as a script file of its own, as a user would run it.
Bash blocks run line by line: ``make`` lines in the repository, every other line in a scratch
directory that holds a copy of ``examples/``; the environment's ``bin`` comes first on PATH.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
LANGS = {"python": "python", "py": "python", "bash": "bash", "sh": "bash", "shell": "bash", "console": "bash"}
_Q = r'"((?:[^"\\]|\\.)*)"'
DIRECTIVES = {
    "skip": re.compile(r"^skip because (\S.*)$"),
    "skip-line": re.compile(rf"^skip-line {_Q} because (\S.*)$"),
    "sub": re.compile(rf"^sub {_Q} -> {_Q}$"),
    "check": re.compile(rf"^check {_Q}$"),
    "expect": re.compile(rf"^expect {_Q}$"),
}


@dataclass
class Block:
    """One fenced block of README.md and the markers in front of it."""

    line: int  # README line of the block's first code line
    lang: str
    code: str
    skip: str | None = None
    skip_lines: list[tuple[str, str]] = field(default_factory=list)
    subs: list[tuple[str, str]] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    expects: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"README.md:{self.line}-{self.lang}"

    def prepared(self) -> str:
        """The code with the substitutions applied (each must match)."""
        code = self.code
        for old, new in self.subs:
            assert old in code, f"{self.id}: marker sub {old!r} matches nothing in the block"
            code = code.replace(old, new)
        return code


def _unquote(s: str) -> str:
    return re.sub(r"\\(.)", r"\1", s)


def _directive(block_line: int, text: str, into: Block) -> None:
    for name, rx in DIRECTIVES.items():
        m = rx.match(text)
        if m:
            args = [_unquote(g) for g in m.groups()]
            if name == "skip":
                into.skip = args[0]
            elif name == "skip-line":
                into.skip_lines.append((args[0], args[1]))
            elif name == "sub":
                into.subs.append((args[0], args[1]))
            elif name == "check":
                into.checks.append(args[0])
            else:
                into.expects.append(args[0])
            return
    raise AssertionError(f"README.md:{block_line}: cannot parse marker 'readme-test: {text}'")


def parse(text: str) -> list[Block]:
    """The runnable fenced blocks of a Markdown text, with their markers."""
    lines = text.splitlines()
    blocks: list[Block] = []
    pending: list[tuple[int, str]] = []
    i = 0
    while i < len(lines):
        for m in re.finditer(r"<!--\s*readme-test:\s*(.*?)\s*-->", lines[i]):
            pending.append((i + 1, m.group(1)))
        fence = re.match(r"^(\s*)(`{3,}|~{3,})\s*([\w+-]*)", lines[i])
        if not fence:
            i += 1
            continue
        marker, lang = fence.group(2), fence.group(3).lower()
        j = i + 1
        while j < len(lines) and not lines[j].strip().startswith(marker):
            j += 1
        if lang in LANGS:
            b = Block(i + 2, LANGS[lang], "\n".join(lines[i + 1:j]) + "\n")
            for ln, d in pending:
                _directive(ln, d, b)
            blocks.append(b)
        elif pending:
            raise AssertionError(f"README.md:{pending[0][0]}: marker before a ```{lang} block, which is not run")
        pending = []
        i = j + 1
    assert not pending, f"README.md:{pending[0][0]}: marker after the last block"
    return blocks


BLOCKS = parse(README.read_text())


def _env() -> dict[str, str]:
    bindir = str(Path(sys.executable).parent)
    return {**os.environ, "PATH": bindir + os.pathsep + os.environ.get("PATH", ""), "MQSIM_PROGRESS": "0",
            "MPLBACKEND": "Agg", "PYTHONPATH": str(ROOT)}


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("readme")
    shutil.copytree(ROOT / "examples", d / "examples")
    return d


def _is_script(b: Block) -> bool:
    return b.lang == "python" and re.search(r"^if __name__ == ['\"]__main__['\"]:", b.code, flags=re.M) is not None


_SHARED_RUNNER = r'''
import ast, io, json, sys, traceback, contextlib
blocks = json.load(open(sys.argv[1]))
ns, out, failed = {"__name__": "__readme__"}, [], None
for b in blocks:
    if failed is not None:
        out.append({"line": b["line"], "ok": False, "detail": f"not run: the block at README.md:{failed} failed"})
        continue
    name, buf = f"README.md:{b['line']}", io.StringIO()
    try:
        tree = ast.parse("\n" * (b["line"] - 1) + b["code"], filename="README.md")
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        with contextlib.redirect_stdout(buf):
            exec(compile(tree, "README.md", "exec"), ns)
            ns["_"] = eval(compile(ast.Expression(last.value), "README.md", "eval"), ns) if last else None
        for c in b["checks"]:
            assert eval(c, ns), f"{name}: check {c!r} is false"
        text = buf.getvalue() + repr(ns["_"])
        for e in b["expects"]:
            assert e in text, f"{name}: output does not contain {e!r}"
        out.append({"line": b["line"], "ok": True, "detail": ""})
    except BaseException:
        failed = b["line"]
        out.append({"line": b["line"], "ok": False, "detail": buf.getvalue()[-2000:] + traceback.format_exc()})
json.dump(out, open(sys.argv[2], "w"))
'''


@pytest.fixture(scope="module")
def shared_python(scratch) -> dict[int, dict]:
    """Run the python blocks that share a namespace, once; their outcome by README line."""
    todo = [b for b in BLOCKS if b.lang == "python" and not b.skip and not _is_script(b)]
    spec = [{"line": b.line, "code": b.prepared(), "checks": b.checks, "expects": b.expects} for b in todo]
    (scratch / "blocks.json").write_text(json.dumps(spec))
    (scratch / "runner.py").write_text(_SHARED_RUNNER)
    r = subprocess.run([sys.executable, "runner.py", "blocks.json", "result.json"], cwd=scratch, env=_env(),
                       capture_output=True, text=True, timeout=900)
    assert (scratch / "result.json").exists(), f"the README runner crashed:\n{r.stdout[-2000:]}\n{r.stderr[-4000:]}"
    return {o["line"]: o for o in json.loads((scratch / "result.json").read_text())}


def _bash_lines(code: str) -> list[str]:
    joined = re.sub(r"\\\n\s*", " ", code)
    return [ln for ln in joined.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]


def _run_bash(b: Block, scratch: Path) -> None:
    lines = _bash_lines(b.prepared())
    for prefix, _reason in b.skip_lines:
        assert any(ln.lstrip().startswith(prefix) for ln in lines), f"{b.id}: skip-line {prefix!r} matches no line"
    output = ""
    for ln in lines:
        if any(ln.lstrip().startswith(p) for p, _ in b.skip_lines):
            continue
        cwd = ROOT if ln.lstrip().startswith("make ") else scratch
        r = subprocess.run(["bash", "-o", "pipefail", "-c", ln], cwd=cwd, env=_env(), capture_output=True,
                           text=True, timeout=900)
        assert r.returncode == 0, f"{b.id}: `{ln}` exited {r.returncode}\n{r.stdout[-2000:]}\n{r.stderr[-3000:]}"
        output += r.stdout
    for e in b.expects:
        assert e in output, f"{b.id}: output does not contain {e!r}"


def _run_script(b: Block, scratch: Path) -> None:
    path = scratch / f"readme_{b.line}.py"
    path.write_text(b.prepared())
    r = subprocess.run([sys.executable, path.name], cwd=scratch, env=_env(), capture_output=True, text=True,
                       timeout=900)
    assert r.returncode == 0, f"{b.id}: the script exited {r.returncode}\n{r.stdout[-2000:]}\n{r.stderr[-3000:]}"
    for e in b.expects:
        assert e in r.stdout, f"{b.id}: output does not contain {e!r}"
    assert not b.checks, f"{b.id}: check markers apply to shared blocks, not to scripts"


def test_readme_has_runnable_blocks():
    assert {b.lang for b in BLOCKS} == {"python", "bash"}, "README.md lost its python or bash examples"


@pytest.mark.parametrize("block", BLOCKS, ids=[b.id for b in BLOCKS])
def test_readme_block_runs(block, request, scratch):
    if block.skip:
        pytest.skip(f"{block.id}: {block.skip}")
    if block.lang == "bash":
        _run_bash(block, scratch)
    elif _is_script(block):
        _run_script(block, scratch)
    else:
        outcome = request.getfixturevalue("shared_python")[block.line]
        assert outcome["ok"], outcome["detail"]


def test_markers_are_parsed_strictly():
    text = "<!-- readme-test: sub \"a\" -> \"b\" -->\n<!-- readme-test: check \"_ == 2\" -->\n```python\nx = 1\n```\n"
    (b,) = parse(text)
    assert b.subs == [("a", "b")] and b.checks == ["_ == 2"] and b.line == 4
    with pytest.raises(AssertionError, match="matches nothing"):
        b.prepared()
    with pytest.raises(AssertionError, match="cannot parse"):
        parse("<!-- readme-test: skip -->\n```bash\nls\n```\n")  # a skip needs a reason
    with pytest.raises(AssertionError, match="not run"):
        parse("<!-- readme-test: skip because x -->\n```yaml\na: 1\n```\n")
