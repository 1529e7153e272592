"""Every command with bad input, as a careless user gives it: one line, non-zero exit, no traceback,
nothing half-written, nothing overwritten without --force (the way test_cli_train tries train)."""

from __future__ import annotations

import errno
import json
import os
import subprocess
from pathlib import Path

import pytest

from deepmotif import rundir
from deepmotif.cli import main
from tests.cli_helpers import one_line_error

SRC = Path(__file__).resolve().parents[1] / "src"


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


# ------------------------------------------------------------------------------------------
# corrupt or hand-edited run files: one line naming the file and the field


def _edit_json(name, change):
    def apply(run: Path):
        data = json.loads((run / name).read_text())
        change(data)
        (run / name).write_text(json.dumps(data))

    return apply


def _edit_table(change):
    def apply(run: Path):
        lines = (run / rundir.TEST_TABLE).read_text().splitlines()
        (run / rundir.TEST_TABLE).write_text("\n".join(change(lines)) + "\n")

    return apply


CORRUPTIONS = {
    "metrics not JSON": (
        lambda run: (run / rundir.METRICS).write_text("{oops"),
        "line 1 of {run}/metrics.json: not valid JSON",
    ),
    "metrics wrong type": (
        _edit_json(rundir.METRICS, lambda m: m["test"].update(auroc="high")),
        "{run}/metrics.json: 'test.auroc' must be a number in [0, 1] or null, got 'high'",
    ),
    "config without data": (
        _edit_json(rundir.CONFIG, lambda c: c.pop("data")),
        "{run}/config.json: no 'data'",
    ),
    "model a list": (
        _edit_json(rundir.CONFIG, lambda c: c.update(model=[1, 2])),
        "{run}/config.json: 'model' must be an object of model settings, got [1, 2]",
    ),
    "filters -1": (
        _edit_json(rundir.CONFIG, lambda c: c["model"].update(filters=-1)),
        "{run}/config.json: model setting 'filters' of cnn must be a whole number of at least 1",
    ),
    "data a string": (
        _edit_json(rundir.CONFIG, lambda c: c.update(data="x")),
        "{run}/config.json: 'data' must be an object describing the data, got 'x'",
    ),
    "arch unknown": (
        _edit_json(rundir.CONFIG, lambda c: c.update(arch=5)),
        "{run}/config.json: 'arch' must be one of cnn, rnn, cnn-rnn, got 5",
    ),
    "length negative": (
        _edit_json(rundir.CONFIG, lambda c: c["data"].update(length=-3)),
        "{run}/config.json: 'data.length' must be a whole number of at least 1, got -3",
    ),
    "filters 10**9": (
        _edit_json(rundir.CONFIG, lambda c: c["model"].update(filters=10**9)),
        "{run}/config.json: a cnn model of 8,000,000,040,000,000,001 parameters needs about",
    ),
    "test.tsv without score": (
        _edit_table(lambda lines: ["\t".join(li.split("\t")[:3]) for li in lines]),
        "{run}/test.tsv: no column 'score'",
    ),
    "test.tsv short row": (
        _edit_table(lambda lines: [*lines[:3], lines[3].rsplit("\t", 2)[0], *lines[4:]]),
        "line 4 of {run}/test.tsv: no value in column 'label'",
    ),
    "test.tsv bad label": (
        _edit_table(lambda lines: [lines[0], lines[1].rsplit("\t", 2)[0] + "\t7\t0.5"]),
        "line 2 of {run}/test.tsv: column 'label' must be 0 or 1, got 7",
    ),
}


@pytest.mark.parametrize("case", list(CORRUPTIONS))
def test_corrupt_run_files_are_one_line(tiny_run_copy, tmp_path, capsys, case):
    corrupt, message = CORRUPTIONS[case]
    corrupt(tiny_run_copy)
    argv = ["explain", tiny_run_copy, "--method", "saliency", "--out", tmp_path / "x.npz"]
    one_line_error(capsys, argv, message.format(run=tiny_run_copy))
    assert not (tmp_path / "x.npz").exists()


def test_history_is_checked(tiny_run_copy):
    from deepmotif.errors import DeepMotifError

    assert list(rundir.read_history(tiny_run_copy)["epoch"]) == [1]
    (tiny_run_copy / rundir.HISTORY).write_text("epoch,train_loss\n1,0.5\n")
    with pytest.raises(DeepMotifError, match="history.csv: no column 'valid_auroc'"):
        rundir.read_history(tiny_run_copy)


def test_evaluate_reads_the_config_through_its_schema(tiny_run_copy, tiny_run, capsys):
    _edit_json(rundir.CONFIG, lambda c: c.update(data="x"))(tiny_run_copy)
    one_line_error(
        capsys, ["evaluate", tiny_run_copy, tiny_run["fasta"]], "'data' must be an object"
    )


# ------------------------------------------------------------------------------------------
# nothing overwritten without --force, on every command that writes


def _existing(tmp_path, tiny_run):
    """(argv without --force, the path that must stay untouched) per command."""
    run, fasta = tiny_run["run"], tiny_run["fasta"]
    made = tmp_path / "made"
    made.mkdir()
    (made / "sim.fa").write_text(">a 1\nACGT\n")
    (made / "ev").mkdir()
    (made / "ev" / "metrics.json").write_text("{}")
    (made / "x.npz").write_bytes(b"old")
    (made / "m").mkdir()
    (made / "m" / rundir.MOTIFS_JSON).write_text("{}")
    (made / "d").mkdir()
    (made / "d" / "dependencies.json").write_text("{}")
    (made / "r.html").write_text("<p>old</p>")
    (made / "q").mkdir()
    (made / "q" / "comparison.csv").write_text("old")
    (made / "t").mkdir()
    (made / "t" / "config.json").write_text("{}")
    return {
        "simulate": (["simulate", "--motifs", "CTCF", "--out", made / "sim.fa"], made / "sim.fa"),
        "train": (["train", fasta, "--out", made / "t", "--epochs", "1"], made / "t"),
        "evaluate": (["evaluate", run, fasta, "--out", made / "ev"], made / "ev"),
        "explain": (
            ["explain", run, "--method", "saliency", "--out", made / "x.npz"],
            made / "x.npz",
        ),
        "motifs": (["motifs", run, "--out", made / "m"], made / "m"),
        "dependencies": (
            ["dependencies", run, "--motifs", "CTCF,REST", "--out", made / "d"],
            made / "d",
        ),
        "report": (["report", run, "--out", made / "r.html", "--no-compute"], made / "r.html"),
        "quickstart": (["quickstart", "--out", made / "q", "--no-serve"], made / "q"),
    }


@pytest.mark.parametrize(
    "command",
    ["simulate", "train", "evaluate", "explain", "motifs", "dependencies", "report", "quickstart"],
)
def test_nothing_is_overwritten_without_force(tiny_run, tmp_path, capsys, command):
    argv, target = _existing(tmp_path, tiny_run)[command]
    before = _files(tmp_path / "made")
    err = one_line_error(capsys, argv, "--force")
    assert str(target) in err
    assert _files(tmp_path / "made") == before


@pytest.mark.parametrize("command", ["evaluate", "motifs", "dependencies"])
def test_a_folder_of_other_files_is_never_replaced(tiny_run, tmp_path, capsys, command):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("precious")
    run, fasta = tiny_run["run"], tiny_run["fasta"]
    argv = {
        "evaluate": ["evaluate", run, fasta, "--out", folder, "--force"],
        "motifs": ["motifs", run, "--out", folder, "--force"],
        "dependencies": ["dependencies", run, "--motifs", "CTCF,REST", "--out", folder, "--force"],
    }[command]
    one_line_error(capsys, argv, "holds files that are not")
    assert _files(folder) == {"notes.txt": b"precious"}


def test_evaluate_out_the_run_itself_is_refused(tiny_run_copy, tiny_run, capsys):
    before = _files(tiny_run_copy)
    one_line_error(
        capsys,
        ["evaluate", tiny_run_copy, tiny_run["fasta"], "--out", tiny_run_copy, "--force"],
        "config.json",
    )
    assert _files(tiny_run_copy) == before


# ------------------------------------------------------------------------------------------
# read-only folders, a full disk, no memory: one line naming the file


@pytest.fixture
def readonly_dir(tmp_path):
    """A folder nothing can be written into: chmod 0o555, or (as root, where chmod does not
    block) a read-only bind mount; skipped when neither is possible here."""
    src = tmp_path / "ro-src"
    src.mkdir()
    if os.geteuid() != 0:
        src.chmod(0o555)
        yield src
        src.chmod(0o755)
        return
    mnt = tmp_path / "ro"
    mnt.mkdir()
    ok = (
        subprocess.run(["mount", "--bind", str(src), str(mnt)], capture_output=True).returncode == 0
    )
    if ok:
        ok = (
            subprocess.run(
                ["mount", "-o", "remount,bind,ro", str(mnt)], capture_output=True
            ).returncode
            == 0
        )
        if not ok:
            subprocess.run(["umount", str(mnt)], capture_output=True)
    if not ok:
        pytest.skip("running as root without permission to mount a read-only folder")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", str(mnt)], capture_output=True)


def test_read_only_folder(readonly_dir, tiny_run, capsys):
    reason = "Permission denied" if os.geteuid() != 0 else "Read-only file system"
    for argv in (
        ["simulate", "--motifs", "CTCF", "--n", "20", "--out", readonly_dir / "sim.fa"],
        ["evaluate", tiny_run["run"], tiny_run["fasta"], "--out", readonly_dir / "ev"],
        ["report", tiny_run["run"], "--out", readonly_dir / "r.html", "--no-compute"],
    ):
        one_line_error(capsys, argv, reason)
    assert list(readonly_dir.iterdir()) == []


@pytest.fixture
def full_disk(tmp_path):
    """A 64 KB tmpfs: a real full disk (needs root and mount); skipped where not allowed."""
    mnt = tmp_path / "small"
    mnt.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", str(mnt)], capture_output=True)


def test_full_disk(full_disk, tiny_run, capsys):
    # 2000 sequences of 200 bp: a FASTA of about 450 KB into 64 KB
    argv = ["simulate", "--motifs", "CTCF", "--n", "2000", "--length", "200"]
    one_line_error(capsys, [*argv, "--out", full_disk / "sim.fa"], "No space left on device")
    assert list(full_disk.iterdir()) == []  # nothing half-written, no temporary file
    big = full_disk / "big"
    big.write_bytes(b"x" * 40_000)  # leave too little room for the figures
    one_line_error(
        capsys,
        ["evaluate", tiny_run["run"], tiny_run["fasta"], "--out", full_disk / "ev"],
        "No space left on device",
    )
    assert [p.name for p in full_disk.iterdir()] == ["big"]


@pytest.mark.parametrize(
    "code, message",
    [
        (errno.EROFS, "Read-only file system (write the output somewhere writable)"),
        (errno.ENOSPC, "No space left on device (free some space and run the command again)"),
        (errno.EACCES, "Permission denied"),
        (errno.ENAMETOOLONG, "File name too long (choose a shorter name)"),
    ],
)
def test_os_errors_at_the_rename_are_one_line(
    tiny_run, tmp_path, capsys, monkeypatch, code, message
):
    """A full disk or a read-only remount surfaces at the final rename: simulated here."""

    def fail(src, dst, *a, **k):
        raise OSError(code, os.strerror(code), str(src))

    monkeypatch.setattr(os, "replace", fail)
    monkeypatch.setattr(os, "rename", fail)
    out = tmp_path / "out"
    out.mkdir()
    cases = [
        (["simulate", "--motifs", "CTCF", "--n", "20", "--out", out / "sim.fa"], "sim.sites.tsv"),
        (["evaluate", tiny_run["run"], tiny_run["fasta"], "--out", out / "ev"], str(out / "ev")),
        (["report", tiny_run["run"], "--out", out / "r.html", "--no-compute"], "r.html:"),
    ]
    for argv, name in cases:
        err = one_line_error(capsys, argv, message)
        assert name in err and ".tmp" not in err and ".new" not in err
    monkeypatch.undo()
    assert list(out.iterdir()) == []  # no temporary litter


def test_memory_error_is_one_line(tmp_path, capsys, monkeypatch):
    import deepmotif.data.simulate as sim_module

    def boom(*a, **k):
        raise MemoryError

    monkeypatch.setattr(sim_module, "simulate", boom)
    one_line_error(
        capsys, ["simulate", "--motifs", "CTCF", "--out", tmp_path / "s.fa"], "out of memory"
    )
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------------------------------
# resource estimates before large allocations


def test_huge_requests_are_refused_before_allocating(tiny_run, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("DEEPMOTIF_MAX_MEMORY", "1G")
    one_line_error(
        capsys,
        ["inspect", tiny_run["fasta"], "--length", "100000000"],
        "120 sequences of 100,000,000 bp needs about 22.4 GB of memory, more than the limit of "
        "1.0 GB (DEEPMOTIF_MAX_MEMORY=1G)",
    )
    monkeypatch.delenv("DEEPMOTIF_MAX_MEMORY")
    one_line_error(
        capsys,
        ["simulate", "--motifs", "CTCF", "--length", "2000000000", "--out", tmp_path / "s.fa"],
        "raise the limit with DEEPMOTIF_MAX_MEMORY=SIZE",
    )
    cfg = tmp_path / "big.json"
    cfg.write_text(json.dumps({"epochs": 1, "model": {"filters": 10**9}}))
    one_line_error(
        capsys,
        ["train", tiny_run["fasta"], "--out", tmp_path / "r", "--config", cfg],
        "a cnn model of 8,000,000,040,000,000,001 parameters needs about",
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.json"]


def test_memory_limit_setting(monkeypatch):
    from deepmotif.errors import DeepMotifError
    from deepmotif.limits import check_memory, memory_limit

    monkeypatch.setenv("DEEPMOTIF_MAX_MEMORY", "512M")
    assert memory_limit()[0] == 512 * 2**20
    check_memory(512 * 2**20, "exactly the limit")
    with pytest.raises(DeepMotifError, match="needs about 1.0 GB of memory.*512.0 MB"):
        check_memory(2**30, "a request")
    monkeypatch.setenv("DEEPMOTIF_MAX_MEMORY", "0")
    check_memory(10**30, "anything, unchecked")
    monkeypatch.setenv("DEEPMOTIF_MAX_MEMORY", "lots")
    with pytest.raises(DeepMotifError, match="DEEPMOTIF_MAX_MEMORY='lots'"):
        check_memory(1, "a request")


def test_parameter_count_matches_torch():
    from deepmotif.models import build_model
    from deepmotif.models.build import parameter_count

    for arch, hp in (
        ("cnn", {"filters": 6, "widths": [5, 3]}),
        ("rnn", {"hidden": 5}),
        ("cnn-rnn", {"filters": 6, "hidden": 5}),
        ("rnn", {"hidden": 5, "layers": 3, "pool": "max"}),
        ("cnn-rnn", {"filters": 6, "hidden": 5, "layers": 2, "conv_norm": False}),
    ):
        model = build_model(arch, **hp)
        assert parameter_count(arch, hp) == sum(p.numel() for p in model.parameters()), arch


# ------------------------------------------------------------------------------------------
# a tampered checkpoint, absurd MEME files, selections that select nothing


def test_resume_refuses_a_tampered_checkpoint(tiny_run_copy, tiny_run, tmp_path, capsys):
    import torch

    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    (tiny_run_copy / rundir.METRICS).unlink()
    torch.save({"model": Payload(), "optimizer": {}, "epoch": 1}, tiny_run_copy / rundir.CHECKPOINT)
    argv = [
        "train",
        tiny_run["fasta"],
        "--out",
        tiny_run_copy,
        "--config",
        tiny_run["config"],
        "--resume",
    ]
    err = one_line_error(capsys, argv + ["--quiet"], "checkpoint.pt: not a deepmotif checkpoint")
    assert "weights_only" not in err and not marker.exists()
    (tiny_run_copy / rundir.CHECKPOINT).write_bytes(b"garbage")
    one_line_error(capsys, argv + ["--quiet"], "checkpoint.pt: not a deepmotif checkpoint")


def test_meme_file_with_absurd_values(tiny_run, tmp_path, capsys):
    db = tmp_path / "bad.meme"
    db.write_text(
        "MEME version 4\n\nALPHABET= ACGT\n\nstrands: + -\n\n"
        "Background letter frequencies\nA 0.25 C 0.25 G 0.25 T 0.25\n\n"
        "MOTIF M1 bad\nletter-probability matrix: alength= 4 w= 2 nsites= 20 E= 0\n"
        "1e308 1e308 0.0 0.0\n0.25 0.25 0.25 0.25\n"
    )
    one_line_error(
        capsys,
        ["motifs", tiny_run["run"], "--out", tmp_path / "m", "--db", db],
        f"{db}: motif 'M1 bad', position 1, letter A: 1e+308 is not a probability",
    )
    assert not (tmp_path / "m").exists()


def test_selections_that_select_nothing_or_do_not_apply(tiny_run, tmp_path, capsys):
    run, out = tiny_run["run"], tmp_path / "x.npz"
    one_line_error(
        capsys,
        ["explain", run, "--method", "saliency", "--ids", ",", "--out", out],
        "--ids: no sequence id given",
    )
    one_line_error(
        capsys,
        ["explain", run, "--method", "optimize", "--select", "0:3", "--out", out],
        "--method optimize explains no sequences; --select does not apply to it",
    )
    one_line_error(
        capsys,
        ["explain", run, tiny_run["fasta"], "--method", "optimize", "--out", out],
        "SEQS does not apply",
    )
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []
    argv = ["report", run, "--out", tmp_path / "r.html", "--sequence", "nope", "--no-compute"]
    assert main([str(a) for a in argv]) == 0
    err = capsys.readouterr().err.strip()
    assert err == (
        "deepmotif: warning: --sequence nope: not in the runs' test sets; left out "
        "(the report shows no sequence panels)"
    )


def test_inputs_checked_before_the_work(tiny_run, tmp_path, capsys):
    out = tmp_path / "dd"
    argv = [
        "dependencies",
        tiny_run["run"],
        "--motifs",
        "CTCF,REST",
        "--truth",
        tmp_path / "no.tsv",
    ]
    err = one_line_error(capsys, [*argv, "--out", out, "--n", "4", "--spacing", "0-1"], "no.tsv")
    assert "--truth" in err and "marginalise" not in err
    assert not out.exists()
