"""Every Python example in the README and the docs runs as written, and prints what the page
shows.

A page's ```python blocks run in order in one fresh interpreter (as a reader pasting them into
one session would), with no IonQ key and no network, in an empty directory. A ```text block
right after a python block is what that block prints: compared exactly.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"```python\n(.*?)```(?:[ \t]*\n+```text\n(.*?)```)?", re.S)

RUNNER = r"""
import contextlib, io, json, sys, traceback
blocks, namespace, outputs = json.load(sys.stdin), {"__name__": "__main__"}, []
for code in blocks:
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(code, "<docs>", "exec"), namespace)
    except BaseException:
        outputs.append({"output": out.getvalue(), "error": traceback.format_exc()})
        break
    outputs.append({"output": out.getvalue(), "error": None})
print(json.dumps(outputs))
"""


def examples(page: Path) -> list[tuple[str, str | None]]:
    """(code, expected output or None) of each python block of a page."""
    return [(code, expected) for code, expected in BLOCK.findall(page.read_text())
            if code.strip()]


def run_page(page: Path, workdir: Path) -> list[dict[str, str | None]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IONQ_")}
    env.update(XDG_CACHE_HOME=str(workdir / "cache"), PYTHONHASHSEED="0")
    done = subprocess.run([sys.executable, "-c", RUNNER],
                          input=json.dumps([code for code, _ in examples(page)]),
                          capture_output=True, text=True, cwd=workdir, env=env, timeout=600)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


PAGES_WITH_EXAMPLES = [p for p in PAGES if examples(p)]


@pytest.mark.parametrize("page", PAGES_WITH_EXAMPLES, ids=lambda p: p.name)
def test_the_examples_run_as_written(page: Path, tmp_path: Path) -> None:
    results = run_page(page, tmp_path)
    for k, ((code, expected), result) in enumerate(zip(examples(page), results,
                                                       strict=False)):
        where = f"{page.name}, example {k + 1}:\n{code}"
        assert result["error"] is None, f"{where}\nraised:\n{result['error']}"
        if expected is not None:
            assert result["output"] == expected, f"{where}\nprinted:\n{result['output']}"
    assert len(results) == len(examples(page))


def test_the_pages_have_examples() -> None:
    """Guards the extraction itself: a change of fence style would silently test nothing."""
    names = {p.name for p in PAGES_WITH_EXAMPLES}
    assert {"README.md", "usage.md", "training.md", "qpu.md", "compilation.md"} <= names


if __name__ == "__main__":  # print what a page's examples print, to write them into the page
    import tempfile

    for name in sys.argv[1:]:
        page = next(p for p in PAGES if p.name == name)
        with tempfile.TemporaryDirectory() as tmp:
            for (code, _), result in zip(examples(page), run_page(page, Path(tmp)),
                                         strict=False):
                print(f"--- {code.splitlines()[0]!r}\n{result['output']}", end="")
                if result["error"]:
                    print(result["error"])
