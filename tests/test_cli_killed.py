"""Real commands killed with SIGKILL mid-write: the old complete result or nothing, no litter
after the next command, reruns work (the ``DEEPMOTIF_TEST_KILL_AT`` seam of deepmotif.atomic)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from deepmotif import rundir
from deepmotif.atomic import KILL_HOOK
from deepmotif.cli import main
from tests.test_cli_reliability import _files

SRC = Path(__file__).resolve().parents[1] / "src"


def _cli(argv, kill_at=None):
    env = {**os.environ, "PYTHONPATH": str(SRC), "OMP_NUM_THREADS": "1"}
    env.pop(KILL_HOOK, None)
    if kill_at:
        env[KILL_HOOK] = kill_at
    return subprocess.run(
        [sys.executable, "-m", "deepmotif.cli", *map(str, argv)],
        env=env,
        capture_output=True,
        text=True,
    )


def _litter(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob(".*"))


def _main(argv) -> int:
    return main([str(a) for a in argv])


@pytest.mark.slow
def test_killed_evaluate_keeps_the_old_result(tiny_run, tmp_path, capsys):
    out = tmp_path / "ev"
    argv = ["evaluate", tiny_run["run"], tiny_run["fasta"], "--out", out]
    assert _main(argv) == 0
    old = _files(out)
    assert set(old) == {"metrics.json", "predictions.tsv", "roc.png", "pr.png"}
    # killed between setting the old result aside and renaming the new one into place
    killed = _cli([*argv, "--force"], kill_at="atomic_dir:swap")
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert not out.exists() and _litter(tmp_path)  # nothing in place; the pieces hidden beside
    capsys.readouterr()
    assert _main(argv) == 1  # the next command puts the old result back, then refuses
    assert "--force" in capsys.readouterr().err
    assert _files(out) == old and _litter(tmp_path) == []


@pytest.mark.slow
def test_killed_motifs_force_keeps_the_old_motifs(tiny_run, tmp_path):
    from deepmotif import jaspar
    from deepmotif.motifs.meme import write_meme

    db = tmp_path / "db.meme"
    write_meme(db, {name: jaspar.get_motif(name).pwm for name in ("CTCF", "REST", "SP1")})
    out = tmp_path / "m"
    argv = ["motifs", tiny_run["run"], "--out", out, "--db", db, "--source", "filters", "--quiet"]
    assert _main(argv) == 0
    old = _files(out)
    assert rundir.MOTIFS_JSON in old
    # killed with the new result complete but not yet in place
    killed = _cli([*argv, "--force"], kill_at="atomic_dir:commit")
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert _files(out) == old  # never the new matches.tsv beside the old motifs.json
    assert _main([*argv, "--force"]) == 0
    assert rundir.MOTIFS_JSON in _files(out) and _litter(tmp_path) == []


@pytest.mark.slow
def test_killed_explain_leaves_no_npz_and_no_litter_after_a_rerun(tiny_run, tmp_path):
    out, figs = tmp_path / "x.npz", tmp_path / "figs"
    argv = ["explain", tiny_run["run"], "--method", "saliency", "--select", "0:2", "--out", out]
    argv += ["--figures", figs, "--quiet"]
    killed = _cli(argv, kill_at="npz:append")
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert not out.exists() and not figs.exists()
    assert [n for n in _litter(tmp_path) if n.startswith(".x.npz.")]
    assert _main(argv) == 0
    assert out.is_file() and len(list(figs.iterdir())) == 8
    assert _litter(tmp_path) == []


@pytest.mark.slow
def test_killed_simulate_writes_neither_file(tmp_path):
    out = tmp_path / "sim.fa"
    argv = ["simulate", "--motifs", "CTCF", "--n", "20", "--length", "80", "--out", out]
    killed = _cli(argv, kill_at="atomic_files:written")
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith(".")] == []
    assert _main(argv) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sim.fa", "sim.sites.tsv"]


@pytest.mark.slow
def test_a_motifs_folder_without_its_marker_is_no_result(tiny_run_copy, tmp_path, capsys):
    from deepmotif import jaspar
    from deepmotif.dashboard.data import RunStore
    from deepmotif.errors import DeepMotifError
    from deepmotif.motifs.meme import write_meme

    folder = rundir.motifs_dir(tiny_run_copy)
    folder.mkdir()
    (folder / rundir.MOTIFS_MATCHES).write_text(
        "query\ttarget_id\ttarget_name\tp_value\nm\tMA1\tX\t0.1\n"
    )  # what an interrupted older version left
    assert not rundir.motifs_finished(folder)
    with pytest.raises(DeepMotifError, match="no extracted motifs"):
        from deepmotif.dependencies.run import _top_motifs

        _top_motifs(tiny_run_copy)
    # a rerun needs no --force and leaves the finished result
    db = tmp_path / "db.meme"
    write_meme(db, {name: jaspar.get_motif(name).pwm for name in ("CTCF", "REST")})
    # a 1-epoch model on 12 test sequences cannot beat chance: look anyway
    argv = ["motifs", tiny_run_copy, "--out", folder, "--db", db, "--source", "filters", "--quiet",
            "--no-signal-check"]  # fmt: skip
    assert main([str(a) for a in argv]) == 0, capsys.readouterr().err
    assert rundir.motifs_finished(folder)
    store = RunStore(tiny_run_copy)
    assert len(store.motif_matches(store.runs[0].key)) > 0
    assert [p.name for p in tiny_run_copy.rglob(".*")] == []


@pytest.mark.slow
def test_killed_train_force_keeps_the_old_run(tiny_run, tmp_path, capsys):
    """``train --force`` over a finished run: killed before the new run is in place, the old
    run is still there, whole; the next command cleans up and retrains."""
    import shutil

    run = tmp_path / "run"
    shutil.copytree(tiny_run["run"], run)
    old = _files(run)
    argv = ["train", tiny_run["fasta"], "--arch", "cnn", "--config", tiny_run["config"]]
    argv += ["--out", run, "--force", "--quiet"]
    for step in ("atomic_dir:commit", "atomic_dir:swap"):
        killed = _cli(argv, kill_at=step)
        assert killed.returncode == -signal.SIGKILL, killed.stderr
        capsys.readouterr()
        # the next command puts the old run back (if it was set aside), then refuses
        assert _main(argv[:-3] + [run]) == 1
        assert "--force" in capsys.readouterr().err
        assert _files(run) == old and _litter(tmp_path) == []
    assert _main(argv) == 0
    assert rundir.run_is_finished(run) and _litter(tmp_path) == []
