"""Training: determinism under a seed, resume after SIGKILL equals an uninterrupted run,
run-directory safety, and load_run's refusals."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from deepmotif.errors import DeepMotifError
from deepmotif.rundir import run_is_finished
from deepmotif.training import load_run, train


def write_fasta(path, ds):
    with open(path, "w") as fh:
        for i, s, y in zip(ds.ids, ds.sequences, ds.labels):
            fh.write(f">{i} {y}\n{s}\n")
    return str(path)


FAST = {"epochs": 3, "batch_size": 64, "dtype": "fp32"}


@pytest.mark.parametrize("arch", ["cnn", "cnn-rnn"])
def test_learns_planted_motif_and_writes_run(tmp_path, arch, planted):
    res = train(
        planted(600), arch=arch, out=tmp_path / "run", config={**FAST, "epochs": 8}, verbose=False
    )
    assert res.metrics["test"]["auroc"] > 0.85
    run = tmp_path / "run"
    for f in (
        "config.json",
        "model.safetensors",
        "metrics.json",
        "history.csv",
        "test.tsv",
        "roc.csv",
        "pr.csv",
        "roc.png",
        "pr.png",
    ):
        assert (run / f).is_file(), f
    assert not (run / "checkpoint.pt").exists()
    model, config = load_run(run)
    assert not model.training and config["arch"] == arch
    metrics = json.loads((run / "metrics.json").read_text())
    assert set(metrics["test"]) >= {"auroc", "auprc", "accuracy", "n"}
    # the stored test predictions are the loaded model's
    from deepmotif.evaluation import predict
    from deepmotif.rundir import read_run_data

    test = read_run_data(run)
    np.testing.assert_allclose(predict(model, test.one_hot()), test.meta["scores"], atol=1e-5)


def test_same_seed_same_metrics(tmp_path, planted):
    ds = planted()
    a = train(ds, arch="rnn", out=tmp_path / "a", config=FAST, verbose=False)
    b = train(ds, arch="rnn", out=tmp_path / "b", config=FAST, verbose=False)
    c = train(ds, arch="rnn", out=tmp_path / "c", config={**FAST, "seed": 1}, verbose=False)
    assert a.metrics == b.metrics
    assert a.metrics != c.metrics
    assert (tmp_path / "a/model.safetensors").read_bytes() == (
        tmp_path / "b/model.safetensors"
    ).read_bytes()


def test_bf16_training_is_deterministic_too(tmp_path, planted):
    ds = planted(200)
    a = train(ds, arch="cnn", out=tmp_path / "a", config={**FAST, "dtype": "bf16"}, verbose=False)
    b = train(ds, arch="cnn", out=tmp_path / "b", config={**FAST, "dtype": "bf16"}, verbose=False)
    assert a.metrics == b.metrics


def test_refuses_to_overwrite_and_force(tmp_path, planted):
    ds = planted(200)
    out = tmp_path / "run"
    train(ds, arch="cnn", out=out, config={**FAST, "epochs": 1}, verbose=False)
    before = (out / "model.safetensors").read_bytes()
    with pytest.raises(DeepMotifError, match="finished run; pass --force"):
        train(ds, arch="cnn", out=out, config={**FAST, "epochs": 1}, verbose=False)
    assert (out / "model.safetensors").read_bytes() == before
    train(
        ds, arch="cnn", out=out, config={**FAST, "epochs": 1, "seed": 3}, force=True, verbose=False
    )
    assert (out / "model.safetensors").read_bytes() != before
    other = tmp_path / "notarun"
    other.mkdir()
    (other / "precious.txt").write_text("keep me")
    with pytest.raises(DeepMotifError, match="not a run directory"):
        train(ds, arch="cnn", out=other, force=True, verbose=False)
    assert (other / "precious.txt").read_text() == "keep me"


def test_load_run_refusals(tmp_path, planted):
    ds = planted(200)
    out = tmp_path / "run"
    train(ds, arch="cnn", out=out, config={**FAST, "epochs": 1}, verbose=False)
    cfg = json.loads((out / "config.json").read_text())
    cfg["model"]["filters"] = 64
    (out / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(DeepMotifError, match="do not fit the run's config"):
        load_run(out)
    (out / "metrics.json").unlink()
    with pytest.raises(DeepMotifError, match="unfinished"):
        load_run(out)
    with pytest.raises(DeepMotifError, match="no such run directory"):
        load_run(tmp_path / "missing")


@pytest.mark.slow
def test_resume_after_sigkill_equals_uninterrupted(tmp_path, planted):
    data = write_fasta(tmp_path / "train.fa", planted(1200, 60))
    cmd = [
        sys.executable,
        "-m",
        "deepmotif.cli",
        "train",
        data,
        "--arch",
        "cnn-rnn",
        "--epochs",
        "5",
        "--batch-size",
        "32",
        "--patience",
        "10",
        "--dtype",
        "fp32",
        "--quiet",
    ]
    whole = subprocess.run(cmd + ["--out", str(tmp_path / "whole")], capture_output=True, text=True)
    assert whole.returncode == 0, whole.stderr
    killed = tmp_path / "killed"
    proc = subprocess.Popen(
        cmd + ["--out", str(killed)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.time() + 300
    while not (killed / "checkpoint.pt").exists() and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not run_is_finished(killed), "the kill came too late to test resuming"
    with pytest.raises(DeepMotifError, match="unfinished"):
        load_run(killed)
    resumed = subprocess.run(
        cmd + ["--out", str(killed), "--resume"], capture_output=True, text=True
    )
    assert resumed.returncode == 0, resumed.stderr
    a = json.loads((tmp_path / "whole/metrics.json").read_text())
    b = json.loads((killed / "metrics.json").read_text())
    assert a == b
    assert (tmp_path / "whole/model.safetensors").read_bytes() == (
        killed / "model.safetensors"
    ).read_bytes()


@pytest.mark.parametrize(
    "arch, lr, autocast", [("cnn", 1e-3, None), ("rnn", 1e-2, "fp32"), ("cnn-rnn", 1e-2, None)]
)
def test_auto_learning_rate_and_precision(tmp_path, arch, lr, autocast, planted):
    from deepmotif._device import cpu_has_fast_bf16

    config = {"epochs": 1, "batch_size": 64}
    train(planted(200), arch=arch, out=tmp_path / "run", config=config, verbose=False)
    saved = json.loads((tmp_path / "run" / "config.json").read_text())
    assert saved["training"]["lr"] == lr
    expected = autocast or ("bfloat16" if cpu_has_fast_bf16() else "fp32")
    assert saved["autocast"] == expected
    # the first epoch ran at that rate (the history records it after one decay step)
    import pandas as pd

    history = pd.read_csv(tmp_path / "run" / "history.csv")
    assert history["lr"].iloc[0] == pytest.approx(lr * saved["training"]["lr_decay"])
    # an explicit rate is kept as given
    train(
        planted(200), arch=arch, out=tmp_path / "b", config={**config, "lr": 0.004}, verbose=False
    )
    assert json.loads((tmp_path / "b" / "config.json").read_text())["training"]["lr"] == 0.004


def test_quickstart_panels_show_the_most_confident_positives(tmp_path, planted):
    from deepmotif.quickstart import _panel
    from deepmotif.rundir import read_run_data

    runs = {}
    for arch in ("cnn", "rnn"):
        runs[arch] = tmp_path / arch
        train(planted(200), arch=arch, out=runs[arch], config={"epochs": 1}, verbose=False)
    _panel(runs, tmp_path / "figures", n=2)
    test = read_run_data(runs["cnn"])
    pos = np.nonzero(test.labels == 1)[0]
    top = pos[np.argsort(-test.meta["scores"][pos], kind="stable")[:2]]
    expected = {f"panel_{test.ids[i]}.png" for i in top}
    assert {p.name for p in (tmp_path / "figures").glob("*.png")} == expected
