"""The Ray engine of ``deepmotif benchmark``: the same files as the local engine, worker deaths
retried, bad input refused before anything is written.

Every Ray instance here is private (loopback, 2 CPUs at most) and shut down by the test that
started it; the tests run when Ray is installed (``make test`` installs it) and say why they
skip otherwise.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from deepmotif import rundir
from deepmotif.benchmark import run_benchmark
from deepmotif.cli import main
from deepmotif.engines import make_engine
from tests.cli_helpers import one_line_error

#: Files of a run that must be byte-identical between engines (config.json differs only in its
#: creation time, history.csv in its per-epoch seconds).
SAME_FILES = (rundir.METRICS, rundir.WEIGHTS, rundir.TEST_TABLE, "roc.csv", "pr.csv")
TABLES = ("benchmark.csv", "benchmark.md")
CONFIG = {"epochs": 2, "batch_size": 64}


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """Two small simulated datasets (CTCF, REST planted), FASTA files only."""
    from deepmotif.data.simulate import simulate, write_simulation

    root = tmp_path_factory.mktemp("engine-data")
    for i, tf in enumerate(["CTCF", "REST"]):
        _, sites = write_simulation(simulate([tf], n=240, length=60, seed=i), root / f"{tf}.fa")
        sites.unlink()  # the ground truth would be read as a third dataset
    return root


@pytest.fixture(scope="module")
def local_bench(data_dir, tmp_path_factory):
    """The reference: the local engine, in this process, one thread."""
    import torch

    out = tmp_path_factory.mktemp("local") / "bench"
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        run_benchmark(data_dir, out, archs=["cnn"], config=CONFIG, verbose=False)
    finally:
        torch.set_num_threads(before)
    return out


@pytest.fixture(scope="module")
def ray_engine():
    """One private Ray instance (2 CPUs, one thread per task) for the module, always stopped."""
    if importlib.util.find_spec("ray") is None:
        pytest.skip("Ray is not installed (pip install 'deepmotif[ray]')")
    engine = make_engine("ray", jobs=2, cpus_per_run=1)
    engine.start()
    import ray

    try:
        # a private instance: loopback only, CPUs bounded by jobs x cpus_per_run
        assert [n["NodeManagerAddress"] for n in ray.nodes()] == ["127.0.0.1"]
        assert ray.cluster_resources()["CPU"] <= 2
        yield engine
    finally:
        engine.stop()
        assert not ray.is_initialized()
        # the switch that kept it on the loopback interface is put back for later ray.init calls
        assert "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER" not in os.environ
        assert ray._private.ray_constants.ENABLE_RAY_CLUSTER


def _file_names(cfg):
    """``cfg`` with every ``...path`` value cut to its file name."""
    if isinstance(cfg, dict):
        return {
            k: Path(v).name if k.endswith("path") and isinstance(v, str) else _file_names(v)
            for k, v in cfg.items()
        }
    return cfg


def assert_same_benchmark(a: Path, b: Path, tables=TABLES, *, shipped: bool = False) -> None:
    for name in tables:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    runs_a = sorted(p.parent.relative_to(a) for p in a.rglob(rundir.METRICS))
    runs_b = sorted(p.parent.relative_to(b) for p in b.rglob(rundir.METRICS))
    assert runs_a == runs_b and len(runs_a) == 2
    for run in runs_a:
        for name in SAME_FILES:
            assert (a / run / name).read_bytes() == (b / run / name).read_bytes(), (run, name)
        ca, cb = (json.loads((x / run / rundir.CONFIG).read_text()) for x in (a, b))
        ca.pop("created"), cb.pop("created")
        if shipped:  # the data were read from a node-local copy: same file name and content
            ca, cb = _file_names(ca), _file_names(cb)
        assert ca == cb
        ha, hb = (pd.read_csv(x / run / rundir.HISTORY) for x in (a, b))
        timed = [c for c in ha.columns if "second" in c or "time" in c]
        pd.testing.assert_frame_equal(ha.drop(columns=timed), hb.drop(columns=timed))


@pytest.mark.slow
def test_ray_engine_writes_the_same_runs_and_tables(local_bench, data_dir, ray_engine, tmp_path):
    out = tmp_path / "bench"
    table = run_benchmark(
        data_dir, out, archs=["cnn"], config=CONFIG, engine=ray_engine, verbose=False
    )
    assert len(table) == 2 and table["auroc"].notna().all()
    assert_same_benchmark(local_bench, out)
    # a rerun trains nothing: finished runs are skipped
    mtime = (out / "CTCF/cnn/seed0" / rundir.WEIGHTS).stat().st_mtime_ns
    run_benchmark(data_dir, out, archs=["cnn"], config=CONFIG, engine=ray_engine, verbose=False)
    assert (out / "CTCF/cnn/seed0" / rundir.WEIGHTS).stat().st_mtime_ns == mtime


@pytest.mark.slow
def test_ship_data_writes_the_same_runs(local_bench, data_dir, ray_engine, tmp_path):
    """--ship-data: inputs and run folders through the object store, the same files back."""
    out = tmp_path / "bench"
    ray_engine.ship_data = True
    try:
        run_benchmark(data_dir, out, archs=["cnn"], config=CONFIG, engine=ray_engine, verbose=False)
    finally:
        ray_engine.ship_data = False
    assert_same_benchmark(local_bench, out, shipped=True)
    assert not list(out.rglob(".*"))  # no temporary files left behind


def _die_once_mid_run(job: dict) -> dict:
    """Train; on CTCF's first attempt kill this worker process once the run has begun."""
    from deepmotif.benchmark import _train_one

    marker = Path(job["out"]).parent / f".killed-{Path(job['out']).name}"
    if job["dataset"] == "CTCF" and not marker.exists():
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()
        config = Path(job["out"]) / rundir.CONFIG

        def killer():
            while not config.exists():
                time.sleep(0.005)
            os.kill(os.getpid(), signal.SIGKILL)

        threading.Thread(target=killer, daemon=True).start()
    return _train_one(job)


@pytest.mark.slow
def test_a_killed_ray_worker_is_retried(local_bench, data_dir, ray_engine, tmp_path, monkeypatch):
    import ray.cloudpickle

    import deepmotif.benchmark as bench

    # the worker needs this module's function: send it by value, as a user's script would be
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    monkeypatch.setattr(bench, "_train_one", _die_once_mid_run)
    out = tmp_path / "bench"
    try:
        run_benchmark(data_dir, out, archs=["cnn"], config=CONFIG, engine=ray_engine, verbose=False)
    finally:
        ray.cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
    assert [p.relative_to(out).as_posix() for p in out.glob("*/*/.killed-*")] == [
        "CTCF/cnn/.killed-seed0"
    ]
    assert_same_benchmark(local_bench, out)


@pytest.mark.slow
def test_a_killed_pool_worker_is_retried(local_bench, data_dir, tmp_path, monkeypatch):
    import deepmotif.benchmark as bench

    monkeypatch.setattr(bench, "_train_one", _die_once_mid_run)
    out = tmp_path / "bench"
    engine = make_engine("local", jobs=2)
    run_benchmark(data_dir, out, archs=["cnn"], config=CONFIG, jobs=2, engine=engine, verbose=False)
    assert [p.relative_to(out).as_posix() for p in out.glob("*/*/.killed-*")] == [
        "CTCF/cnn/.killed-seed0"
    ]
    # jobs=2 gives each run cpu_count // 2 threads: compare the tables' content, not the bytes
    a, b = (pd.read_csv(x / "benchmark.csv") for x in (local_bench, out))
    assert a[["dataset", "arch", "n_test"]].equals(b[["dataset", "arch", "n_test"]])
    assert b["auroc"].notna().all()


def test_bad_engine_input_is_one_line_and_writes_nothing(data_dir, tmp_path, capsys, monkeypatch):
    out = tmp_path / "bench"
    argv = ["benchmark", str(data_dir), "--out", str(out), "--archs", "cnn", "--quiet"]
    one_line_error(
        capsys, [*argv, "--address", "127.0.0.1:6379"], "--address: only with --engine ray"
    )
    one_line_error(capsys, [*argv, "--engine", "spark"], "invalid choice: 'spark'")
    if importlib.util.find_spec("ray") is not None:  # nothing listens on port 1 of loopback
        one_line_error(
            capsys,
            [*argv, "--engine", "ray", "--address", "127.0.0.1:1"],
            "--address 127.0.0.1:1: no Ray cluster reachable there",
        )
        one_line_error(
            capsys, [*argv, "--engine", "ray", "--address", "nowhere"], "expected HOST:PORT"
        )
    monkeypatch.setitem(sys.modules, "ray", None)  # as if the extra were not installed
    one_line_error(
        capsys, [*argv, "--engine", "ray"], "Ray is not installed; pip install 'deepmotif[ray]'"
    )
    assert not out.exists()


@pytest.mark.slow
def test_resources_no_node_has(data_dir, tmp_path, capsys):
    ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'deepmotif[ray]')")
    out = tmp_path / "bench"
    argv = ["benchmark", str(data_dir), "--out", str(out), "--archs", "cnn", "--engine", "ray"]
    before = ray.is_initialized()  # the module's instance may be running: then it is used
    one_line_error(
        capsys,
        [*argv, "--gpus-per-run", "64", "--quiet"],
        "--gpus-per-run 64: no node of the Ray cluster on this machine has 1 CPU(s) and 64 GPU(s)",
    )
    assert not out.exists()
    assert ray.is_initialized() == before  # a private instance was stopped, another one kept


def test_a_failing_dataset_does_not_sink_the_others(data_dir, tmp_path, capsys):
    """Local engine: a dataset with positives only fails, is reported once, the other trains."""
    import shutil

    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(data_dir / "CTCF.fa", data)
    lines = (data_dir / "REST.fa").read_text().splitlines()
    pos = [f"{h}\n{s}" for h, s in zip(lines[::2], lines[1::2]) if h.endswith(" 1")]
    (data / "BAD.fa").write_text("\n".join(pos) + "\n")
    out = tmp_path / "bench"
    argv = ["benchmark", str(data), "--out", str(out), "--archs", "cnn", "--epochs", "1"]
    code = main([*argv, "--quiet", "--batch-size", "64"])
    captured = capsys.readouterr()
    assert code == 1
    warned = [line for line in captured.err.splitlines() if "BAD cnn" in line]
    assert len(warned) == 1 and "failed" in warned[0] and "Traceback" not in captured.err
    table = pd.read_csv(out / "benchmark.csv")
    assert table["dataset"].tolist() == ["CTCF", "BAD"]
    assert pd.notna(table["auroc"][0]) and pd.isna(table["auroc"][1])
    assert pd.isna(table["error"][0]) and "every sequence is labelled 1" in table["error"][1]
    assert rundir.run_is_finished(out / "CTCF" / "cnn" / "seed0")
    assert not rundir.run_is_finished(out / "BAD" / "cnn" / "seed0")
