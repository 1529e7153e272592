"""`make bench`'s driver: tables between markers, stamped; the quick mode runs every script."""

from __future__ import annotations

import datetime
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run_all():
    spec = importlib.util.spec_from_file_location("run_all", ROOT / "benchmarks" / "run_all.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["run_all"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_blocks_are_replaced_in_place_or_added_once():
    ra = _run_all()
    text = "# B\n\nintro\n\n<!-- bench:a -->\nold\n<!-- /bench:a -->\n\nafter\n"
    new = ra.replace_block(text, "a", "new table")
    assert new == "# B\n\nintro\n\n<!-- bench:a -->\nnew table\n<!-- /bench:a -->\n\nafter\n"
    added = ra.replace_block(ra.replace_block(new, "b", "one"), "c", "two")
    assert added.count(ra.SECTION) == 1 and added.index("bench:b") < added.index("bench:c")
    assert ra.replace_block(added, "b", "three").count("<!-- bench:b -->") == 1
    assert len({t.name for t in ra.TABLES}) == len(ra.TABLES)


def test_quick_never_writes_benchmarks_md(capsys):
    ra = _run_all()
    before = (ROOT / "BENCHMARKS.md").read_text()
    assert ra.main(["--quick", "--out", str(ROOT / "BENCHMARKS.md"), "--only", "training"]) == 2
    assert (ROOT / "BENCHMARKS.md").read_text() == before
    assert ra.main(["--only", "nope"]) == 2
    assert "unknown table(s) nope" in capsys.readouterr().err


@pytest.mark.slow  # every script starts torch: about a minute idle, many under load
def test_quick_mode_writes_every_table_stamped(tmp_path):
    """Every script at tiny size into a copy; the ENCODE-data table is left to `make bench-quick`."""
    ra = _run_all()
    out = tmp_path / "BENCHMARKS.md"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run_all.py"), "--quick", "--quiet",
         "--out", str(out), "--workdir", str(tmp_path / "work"), "--data", str(tmp_path / "no")],
        capture_output=True, text=True, timeout=1800,  # 13 min at load average 15-20 on 2 cores
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    text = out.read_text()
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    today = datetime.date.today().isoformat()
    assert (ROOT / "BENCHMARKS.md").read_text().splitlines()[0] == text.splitlines()[0]
    for table in ra.TABLES:
        start, end = ra.markers(table.name)
        assert text.count(start) == 1 and text.count(end) == 1, table.name
        block = text[text.index(start) : text.index(end)]
        assert f"_Commit {head}" in block and today in block, block[:300]
        assert "quick mode" in block and "Not rebuilt yet" not in block
        if table.quick_needs_data:
            assert "Not run: the DeepBind ENCODE data" in block
        elif table.source:
            assert "| dataset |" in block  # the Markdown table itself
        else:
            body = block.split("```text\n", 1)[1].split("```", 1)[0]
            assert body.strip(), table.name
