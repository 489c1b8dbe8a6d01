"""Every Python example in the README and the docs runs as written, and prints what the page
shows.

A page's ```python blocks are pasted, in order, into one script that a fresh interpreter runs
(as a reader would: a process pool's workers can then import it), with no IonQ key and no
network, in an empty directory. A ```text block right after a python block is what that block
prints: compared exactly. A page that imports an optional extra (Dask, torch) is skipped when
it is not installed; CI installs them.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"```python\n(.*?)```(?:[ \t]*\n+```text\n(.*?)```)?", re.S)

MARK = "\x1e--- end of docs example ---\x1e"  # printed after each block
OPTIONAL = ("distributed", "torch")  # extras a page may need


def examples(page: Path) -> list[tuple[str, str | None]]:
    """(code, expected output or None) of each python block of a page."""
    return [(code, expected) for code, expected in BLOCK.findall(page.read_text())
            if code.strip()]


def run_page(page: Path, workdir: Path) -> list[dict[str, str | None]]:
    """Each block's output, and the error of the block that failed (if one did)."""
    script = workdir / f"{page.stem}_examples.py"
    script.write_text("".join(  # workers a page spawns import the script: mark in main only
        f"{code}\nif __name__ == '__main__':\n    print({MARK!r}, flush=True)\n"
        for code, _ in examples(page)))
    env = {k: v for k, v in os.environ.items() if not k.startswith("IONQ_")}
    env.update(XDG_CACHE_HOME=str(workdir / "cache"), PYTHONHASHSEED="0")
    done = subprocess.run([sys.executable, script.name], capture_output=True, text=True,
                          cwd=workdir, env=env, timeout=600)
    outputs = done.stdout.split(MARK + "\n")
    results: list[dict[str, str | None]] = [{"output": o, "error": None}
                                            for o in outputs[:-1]]
    if done.returncode != 0:
        results.append({"output": outputs[-1], "error": done.stderr})
    return results


def needs(page: Path) -> list[str]:
    """The optional extras a page's examples import that are not installed."""
    code = "\n".join(c for c, _ in examples(page))
    return [m for m in OPTIONAL if re.search(rf"^\s*(import|from) {m}\b", code, re.M)
            and importlib.util.find_spec(m) is None]


PAGES_WITH_EXAMPLES = [p for p in PAGES if examples(p)]


@pytest.mark.parametrize("page", PAGES_WITH_EXAMPLES, ids=lambda p: p.name)
def test_the_examples_run_as_written(page: Path, tmp_path: Path) -> None:
    if needs(page):
        pytest.skip(f"needs {', '.join(needs(page))} (an optional extra)")
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
    assert {"README.md", "usage.md", "training.md", "qpu.md", "compilation.md", "batching.md",
            "scaling.md"} <= names


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
