"""Results written as units: the old complete result or nothing, no litter, reruns work.

The kill tests stop a real process with SIGKILL at a known step of a write (the
``DEEPMOTIF_TEST_KILL_AT`` seam of :mod:`deepmotif.atomic`), as a kill or a power cut would.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from deepmotif.atomic import (
    KILL_HOOK,
    atomic_dir,
    atomic_files,
    atomic_group,
    clean_stale,
    dir_mode,
    file_mode,
    foreign_entries,
    target_name,
)

SRC = Path(__file__).resolve().parents[1] / "src"


def _tree(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): p.read_text()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _write_result(folder: Path, version: str) -> None:
    for name in ("a.tsv", "b.png"):
        (folder / name).write_text(f"{name} {version}")
    (folder / "done.json").write_text(version)


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_atomic_dir_creates_replaces_and_leaves_no_litter(tmp_path):
    out = tmp_path / "res"
    with atomic_dir(out, marker="done.json") as stage:
        assert stage.parent == tmp_path and not out.exists()
        _write_result(stage, "1")
    assert _tree(out) == {"a.tsv": "a.tsv 1", "b.png": "b.png 1", "done.json": "1"}
    assert stat.S_IMODE(out.stat().st_mode) == dir_mode()
    (out / "stale.png").write_text("from the old result")
    with atomic_dir(out, marker="done.json") as stage:
        _write_result(stage, "2")
    assert _tree(out) == {"a.tsv": "a.tsv 2", "b.png": "b.png 2", "done.json": "2"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["res"]


@pytest.mark.parametrize("failure", ["raise", "no marker"])
def test_atomic_dir_failure_keeps_the_old_result(tmp_path, failure):
    out = tmp_path / "res"
    with atomic_dir(out, marker="done.json") as stage:
        _write_result(stage, "old")
    before = _tree(out)
    with pytest.raises((RuntimeError, KeyError)), atomic_dir(out, marker="done.json") as stage:
        (stage / "a.tsv").write_text("half")
        if failure == "raise":
            raise KeyError("interrupted")
    assert _tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["res"]


def test_atomic_files_all_or_nothing(tmp_path):
    a, b = tmp_path / "x.sites.tsv", tmp_path / "x.fa"
    with atomic_files([a, b]) as (ta, tb):
        ta.write_text("sites")
        tb.write_text("fasta")
    assert (a.read_text(), b.read_text()) == ("sites", "fasta")
    assert {stat.S_IMODE(p.stat().st_mode) for p in (a, b)} == {file_mode()}
    with pytest.raises(ValueError), atomic_files([a, b]) as (ta, tb):
        ta.write_text("new sites")
        raise ValueError("stop")
    assert (a.read_text(), b.read_text()) == ("sites", "fasta")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.fa", "x.sites.tsv"]


def test_atomic_group_adds_files_only_when_all_are_drawn(tmp_path):
    figs = tmp_path / "figs"
    figs.mkdir()
    (figs / "earlier.png").write_text("keep")
    with pytest.raises(RuntimeError), atomic_group(figs) as stage:
        (stage / "new.png").write_text("drawn")
        raise RuntimeError("stop")
    assert sorted(p.name for p in figs.iterdir()) == ["earlier.png"]
    with atomic_group(figs) as stage:
        (stage / "new.png").write_text("drawn")
    assert sorted(p.name for p in figs.iterdir()) == ["earlier.png", "new.png"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["figs"]


def test_clean_stale_removes_only_dead_writers_and_restores_an_old_result(tmp_path):
    dead, alive = _dead_pid(), os.getppid()
    target = tmp_path / "res"
    (tmp_path / f".res.{dead}.ab12.tmp").write_text("partial")
    (tmp_path / f".res.{dead}.cd34.new").mkdir()
    (tmp_path / f".res.{alive}.ef56.new").mkdir()  # a writer still running
    (tmp_path / f".other.{dead}.gh78.tmp").write_text("another target's")
    old = tmp_path / f".res.{dead}.ij90.old"
    old.mkdir()
    (old / "done.json").write_text("old")
    clean_stale(target)
    assert (target / "done.json").read_text() == "old"  # the replacement never arrived
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["res", f".res.{alive}.ef56.new", f".other.{dead}.gh78.tmp"]
    )


def test_foreign_entries_and_target_names(tmp_path):
    (tmp_path / "motifs.json").write_text("{}")
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / ".motifs.json.1.ab.tmp").write_text("")
    assert foreign_entries(tmp_path, lambda n: n == "motifs.json") == ["notes.txt"]
    assert foreign_entries(tmp_path / "absent", lambda n: False) == []
    assert target_name("/a/.motifs.12.ab_c.new/.matches.tsv.12.xy.tmp") == "/a/motifs/matches.tsv"
    assert target_name("plain.txt") == "plain.txt"


_SCRIPT = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    import numpy as np
    from deepmotif.atomic import atomic_dir, atomic_files
    from deepmotif.rundir.npz import NpzStream

    what, out, version = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    if what == "dir":
        with atomic_dir(out, marker="done.json") as stage:
            for name in ("a.tsv", "b.png"):
                (stage / name).write_text(f"{name} {version}")
            (stage / "done.json").write_text(version)
    elif what == "files":
        with atomic_files([out.with_suffix(".tsv"), out]) as (a, b):
            a.write_text(version)
            b.write_text(version)
    else:
        s = NpzStream(out)
        s.open("x", (4, 2), np.float32)
        for _ in range(4):
            s.append("x", np.full((1, 2), float(version), np.float32))
        s.finish()
    """
)


def _run(tmp_path, what, out, version, kill_at=None):
    script = tmp_path / "writer.py"
    script.write_text(_SCRIPT)
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    env.pop(KILL_HOOK, None)
    if kill_at:
        env[KILL_HOOK] = kill_at
    return subprocess.run(
        [sys.executable, str(script), what, str(out), version], env=env, capture_output=True
    )


@pytest.mark.parametrize("step", ["atomic_dir:commit", "atomic_dir:swap"])
def test_sigkill_mid_replacement_leaves_the_old_result(tmp_path, step):
    out = tmp_path / "res"
    assert _run(tmp_path, "dir", out, "old").returncode == 0
    old = _tree(out)
    killed = _run(tmp_path, "dir", out, "new", kill_at=step)
    assert killed.returncode == -signal.SIGKILL
    if step == "atomic_dir:commit":
        assert _tree(out) == old  # the new result was complete but never took the old's place
    else:
        assert not out.exists()  # set aside, the new one not yet in: nothing there
    clean_stale(out)  # what the next command writing there does first
    assert _tree(out) == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["res", "writer.py"]
    assert _run(tmp_path, "dir", out, "new").returncode == 0  # reruns work
    assert _tree(out)["done.json"] == "new"


def test_sigkill_mid_stream_leaves_no_npz_and_the_rerun_cleans_up(tmp_path):
    out = tmp_path / "x.npz"
    killed = _run(tmp_path, "npz", out, "1", kill_at="npz:append")
    assert killed.returncode == -signal.SIGKILL
    assert not out.exists()
    litter = [p.name for p in tmp_path.iterdir() if p.name.startswith(".x.npz.")]
    assert len(litter) == 1  # the killed writer's partial arrays
    assert _run(tmp_path, "npz", out, "2").returncode == 0
    with np.load(out) as z:
        np.testing.assert_array_equal(z["x"], np.full((4, 2), 2.0, np.float32))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["writer.py", "x.npz"]


def test_sigkill_before_the_renames_leaves_neither_file(tmp_path):
    out = tmp_path / "sim.fa"
    killed = _run(tmp_path, "files", out, "1", kill_at="atomic_files:written")
    assert killed.returncode == -signal.SIGKILL
    assert not out.exists() and not out.with_suffix(".tsv").exists()
    assert _run(tmp_path, "files", out, "2").returncode == 0
    assert out.read_text() == "2" == out.with_suffix(".tsv").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sim.fa", "sim.tsv", "writer.py"]
