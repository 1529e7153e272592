"""Training: determinism under a seed, resume after SIGKILL equals an uninterrupted run,
run-directory safety, and load_run's refusals."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

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


def test_resume_refuses_a_change_of_precision(tmp_path, planted):
    """A run resumed under another autocast precision (say, a default that changed since it
    started) is refused instead of switching precision mid-run."""
    from deepmotif.errors import DeepMotifError

    out = tmp_path / "run"
    train(planted(200), arch="cnn", out=out, config=FAST, verbose=False)
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["autocast"] == "fp32"
    cfg["autocast"] = "bfloat16"
    (out / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(DeepMotifError, match="trained under bfloat16 autocast .* under fp32"):
        train(planted(200), arch="cnn", out=out, config=FAST, verbose=False, resume=True)


@pytest.mark.parametrize(
    "arch, lr, clip", [("cnn", 1e-3, 5.0), ("rnn", 1e-2, 1.0), ("cnn-rnn", 1e-2, 5.0)]
)
def test_auto_learning_rate_and_precision(tmp_path, arch, lr, clip, planted):
    from deepmotif._device import cpu_has_fast_bf16

    config = {"epochs": 1, "batch_size": 64}
    train(planted(200), arch=arch, out=tmp_path / "run", config=config, verbose=False)
    saved = json.loads((tmp_path / "run" / "config.json").read_text())
    assert saved["training"]["lr"] == lr
    assert saved["training"]["grad_clip"] == clip
    assert saved["training"]["lr_drops"] == (0 if arch == "cnn" else 2)
    assert saved["training"]["drop_rewind"] is (arch == "rnn")
    # one precision rule for every architecture: bf16 where the CPU runs it natively
    assert saved["autocast"] == ("bfloat16" if cpu_has_fast_bf16() else "fp32")
    # the history records the rate after the epoch: one decay step for the CNN; the recurrent
    # models' cosine schedule ends a one-epoch run at 0
    import pandas as pd

    history = pd.read_csv(tmp_path / "run" / "history.csv")
    after = saved["training"]["lr_decay"] if arch == "cnn" else 0.0
    assert history["lr"].iloc[0] == pytest.approx(lr * after, abs=1e-12)
    # an explicit rate is kept as given
    train(
        planted(200),
        arch=arch,
        out=tmp_path / "b",
        config={**config, "lr": 0.004, "grad_clip": 2.0},
        verbose=False,
    )
    given = json.loads((tmp_path / "b" / "config.json").read_text())["training"]
    assert (given["lr"], given["grad_clip"]) == (0.004, 2.0)


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


def test_lr_factor_warmup_and_schedules():
    """Warm-up is linear to the base rate; then constant, per-epoch exponential or cosine."""
    from deepmotif.training.schedule import lr_factor

    kw = {"warmup_steps": 4, "total_steps": 24, "steps_per_epoch": 4, "decay": 0.5}
    for schedule in ("constant", "exponential", "cosine"):
        # steps 0-3 of the warm-up: 1/4, 2/4, 3/4, 4/4 of the base rate
        assert [lr_factor(s, schedule=schedule, **kw) for s in range(4)] == [0.25, 0.5, 0.75, 1]
    assert lr_factor(10, schedule="constant", **kw) == 1.0
    # exponential: the rate of epoch e (steps 4e..4e+3) is decay ** e once warm-up has ended
    assert lr_factor(4, schedule="exponential", **kw) == 0.5
    assert lr_factor(11, schedule="exponential", **kw) == 0.25
    # cosine over the 20 post-warm-up steps: 1 at their start, 1/2 halfway, 0 at the end
    assert lr_factor(4, schedule="cosine", **kw) == pytest.approx(1.0)
    assert lr_factor(14, schedule="cosine", **kw) == pytest.approx(0.5)
    assert lr_factor(9, schedule="cosine", **kw) == pytest.approx((1 + np.cos(np.pi / 4)) / 2)
    assert lr_factor(24, schedule="cosine", **kw) == pytest.approx(0.0)
    # no warm-up, exponential: the old per-epoch ExponentialLR
    assert lr_factor(0, schedule="exponential", **{**kw, "warmup_steps": 0}) == 1.0
    with pytest.raises(ValueError):
        lr_factor(0, schedule="linear", **kw)


def test_early_stopping_waits_on_the_plateau():
    """Patience is not counted while every AUROC is within the margin of 0.5 (0.05 unless
    given) before plateau_epochs."""
    from deepmotif.training.schedule import EarlyStopping

    def stop_epoch(history, **kw):
        es = EarlyStopping(2, **kw)
        for epoch, auroc in enumerate(history, 1):
            es.update(auroc)
            if es.stop:
                return epoch
        return None

    plateau_then_learns = [0.52, 0.50, 0.51, 0.49, 0.53, 0.50, 0.70, 0.80, 0.79, 0.78]
    # plain patience 2 stops at epoch 3, on the plateau (0.52 is never beaten in epochs 2-3)
    assert stop_epoch(plateau_then_learns) == 3
    # with the detector the run reaches epoch 7 and learns; it stops 2 bad epochs after its best
    assert stop_epoch(plateau_then_learns, plateau_epochs=8) == 10
    # a run that never leaves chance is stopped once plateau_epochs have passed
    assert stop_epoch([0.5, 0.51, 0.5, 0.52, 0.49, 0.5, 0.5, 0.5], plateau_epochs=4) == 6
    # once a run has left chance, patience counts even before plateau_epochs
    assert stop_epoch([0.5, 0.7, 0.6, 0.6, 0.6], plateau_epochs=10) == 4
    # min_epochs: never stop before it
    assert stop_epoch([0.9, 0.8, 0.8, 0.8, 0.8], min_epochs=4) == 4
    # a noisy first epoch at 0.56 (seen on 400 validation sequences, where noise reaches it at
    # p = 0.02) leaves chance at the fixed margin and stops the run on its plateau; at the
    # margin of that validation size it does not
    noisy = [0.56, 0.53, 0.54, 0.53, 0.52, 0.54, 0.55, 0.53]
    assert stop_epoch(noisy, plateau_epochs=15) == 3
    assert stop_epoch(noisy, plateau_epochs=15, margin=0.0893) is None

    # state round trip (resume)
    a = EarlyStopping(3, plateau_epochs=5)
    for v in (0.5, 0.6, 0.55):
        a.update(v)
    b = EarlyStopping(3, plateau_epochs=5)
    b.load_state_dict(a.state_dict())
    assert (
        b.state_dict()
        == a.state_dict()
        == {
            "best": 0.6,
            "bad": 1,
            "left_chance": True,
            "epochs": 3,
            "drops_used": 0,
        }
    )


def test_early_stopping_turns_stops_into_drops():
    """``drops``: each time patience runs out, use_drop restarts patience (the caller lowers the
    rate) until the drops are used up; then the run stops."""
    from deepmotif.training.schedule import EarlyStopping

    es = EarlyStopping(2, drops=2)
    events = []
    for epoch, auroc in enumerate([0.7, 0.6, 0.6, 0.6, 0.6, 0.8, 0.7, 0.7, 0.7, 0.7], 1):
        es.update(auroc)
        if es.stop:
            events.append((epoch, "drop" if es.use_drop() else "stop"))
            if events[-1][1] == "stop":
                break
    # 0.7 at epoch 1; bad at 2-3 -> drop; bad at 4-5 -> drop; 0.8 at 6; bad at 7-8 -> stop
    assert events == [(3, "drop"), (5, "drop"), (8, "stop")]
    assert es.drops_used == 2 and es.state_dict()["drops_used"] == 2
    # no drop before patience has run out, and none without drops
    fresh = EarlyStopping(2)
    fresh.update(0.7)
    assert not fresh.use_drop() and fresh.bad == 0
    fresh.update(0.6)
    fresh.update(0.6)
    assert fresh.stop and not fresh.use_drop()
    # an old checkpoint's state (before drops existed) loads with none used
    old = EarlyStopping(2, drops=1)
    old.load_state_dict({"best": 0.7, "bad": 1, "left_chance": True, "epochs": 4})
    assert old.drops_used == 0


def test_lr_drops_halve_the_rate_instead_of_stopping(tmp_path, planted, capsys):
    """A run that cannot improve (labels shuffled) with patience 1 on a constant schedule: with
    lr_drops 2 it goes on twice, each time at half the rate, says so on stderr as it happens,
    and metrics.json counts the drops; without, it stops where patience says."""
    import pandas as pd

    ds = planted(300)
    rng = np.random.default_rng(0)
    ds = type(ds)(ds.ids, ds.sequences, rng.permutation(ds.labels))
    cfg = {
        **FAST, "epochs": 12, "patience": 1, "lr_schedule": "constant", "warmup_epochs": 0,
        "lr": 1e-3, "min_epochs": 0,
    }  # fmt: skip
    plain = train(ds, arch="cnn", out=tmp_path / "plain", config=cfg, verbose=False)
    capsys.readouterr()
    drops = train(ds, arch="cnn", out=tmp_path / "drops", config={**cfg, "lr_drops": 2},
                  verbose=True)  # fmt: skip
    told = [ln for ln in capsys.readouterr().err.splitlines() if "halved" in ln]
    assert [ln.split("halved to ")[1].split(" ")[0] for ln in told] == ["0.0005", "0.00025"]
    assert "(lr_drops: 2 of 2 used)" in told[1]
    assert "lr_drops" not in plain.metrics
    assert drops.metrics["lr_drops"] == 2
    assert drops.metrics["epochs_run"] > plain.metrics["epochs_run"]
    lr = pd.read_csv(tmp_path / "drops" / "history.csv")["lr"].to_numpy()
    # the rates run 1e-3 ... then 5e-4 ... then 2.5e-4 (each drop takes effect the next epoch)
    assert sorted(set(np.round(lr / 1e-3, 6))) == [0.25, 0.5, 1.0]
    assert np.all(np.diff(lr) <= 0)
    # the epochs at the full rate are the plain run's epochs
    assert int((lr == 1e-3).sum()) == plain.metrics["epochs_run"]


def test_rewind_restores_the_best_weights_and_moments_and_keeps_the_rate():
    """drop_rewind's step: the model and Adam's moments go back to the snapshot, the current
    rate stays, and the snapshot is not changed by training after it (a second rewind lands on
    the same point)."""
    import copy

    import torch

    from deepmotif.training.train import _rewind

    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1)
    opt = torch.optim.Adam(model.parameters(), lr=0.1)
    x = torch.randn(8, 3)

    def steps(k):
        for _ in range(k):
            opt.zero_grad()
            (model(x) ** 2).sum().backward()
            opt.step()

    steps(2)
    best = {
        "state": {k: v.detach().clone() for k, v in model.state_dict().items()},
        "opt": copy.deepcopy(opt.state_dict()),
    }
    snapshot = copy.deepcopy(best)
    for _ in range(2):
        steps(3)
        opt.param_groups[0]["lr"] = 0.05
        assert not torch.equal(model.weight, snapshot["state"]["weight"])
        _rewind(model, opt, best)
        for k, v in snapshot["state"].items():
            assert torch.equal(model.state_dict()[k], v)
        now = opt.state_dict()["state"]
        for i, st in snapshot["opt"]["state"].items():
            for key in ("step", "exp_avg", "exp_avg_sq"):
                assert torch.equal(now[i][key], st[key])
                assert torch.equal(best["opt"]["state"][i][key], st[key])
        assert opt.param_groups[0]["lr"] == 0.05


def test_drop_rewind_goes_back_to_the_best_epoch(tmp_path, planted, capsys):
    """With drop_rewind the drop of a run that cannot improve says which epoch it went back to
    (the best so far), the rates are those of the same run without it, the epochs before the
    drop are identical, and the run goes on from other weights after it."""
    import pandas as pd

    ds = planted(300)
    rng = np.random.default_rng(0)
    ds = type(ds)(ds.ids, ds.sequences, rng.permutation(ds.labels))
    cfg = {
        **FAST, "epochs": 10, "patience": 1, "lr_schedule": "constant", "warmup_epochs": 0,
        "lr": 1e-3, "min_epochs": 0, "lr_drops": 1,
    }  # fmt: skip
    plain = train(ds, arch="cnn", out=tmp_path / "plain", config=cfg, verbose=False)
    capsys.readouterr()
    back = train(ds, arch="cnn", out=tmp_path / "back", config={**cfg, "drop_rewind": True},
                 verbose=True)  # fmt: skip
    (told,) = [ln for ln in capsys.readouterr().err.splitlines() if "halved" in ln]
    drop = int(told.split("epoch ")[1].split(":")[0])
    h0 = pd.read_csv(tmp_path / "plain" / "history.csv")
    h1 = pd.read_csv(tmp_path / "back" / "history.csv")
    best_before = int(h1["valid_auroc"][:drop].to_numpy().argmax()) + 1
    assert f"back to epoch {best_before}'s weights (drop_rewind)" in told
    assert best_before < drop
    pd.testing.assert_frame_equal(h0.iloc[:drop].drop(columns="seconds"),
                                  h1.iloc[:drop].drop(columns="seconds"))  # fmt: skip
    n = min(len(h0), len(h1))
    assert np.array_equal(h0["lr"][:n], h1["lr"][:n])
    assert len(h1) > drop and h1["train_loss"][drop] != h0["train_loss"][drop]
    assert back.metrics["lr_drops"] == plain.metrics["lr_drops"] == 1
    assert back.config["training"]["drop_rewind"] is True


def test_resume_between_the_best_epoch_and_a_rewind(tmp_path, planted, monkeypatch):
    """A drop_rewind run interrupted after its best epoch and before the drop that rewinds to it
    resumes from its checkpoint (which keeps the best epoch's optimiser state) and ends exactly
    as the uninterrupted run."""
    import importlib

    import pandas as pd

    training = importlib.import_module("deepmotif.training.train")  # the module, not train()
    ds = planted(300)
    rng = np.random.default_rng(0)
    ds = type(ds)(ds.ids, ds.sequences, rng.permutation(ds.labels))
    cfg = {
        **FAST, "epochs": 9, "patience": 2, "lr_schedule": "constant", "warmup_epochs": 0,
        "lr": 1e-3, "min_epochs": 0, "lr_drops": 1, "drop_rewind": True,
    }  # fmt: skip
    whole = train(ds, arch="cnn", out=tmp_path / "whole", config=cfg, verbose=False)
    lr = pd.read_csv(tmp_path / "whole" / "history.csv")["lr"].to_numpy()
    drop = int(np.argmax(lr < lr[0]))  # the drop's epoch (1-based): the next one runs lower
    assert drop > 2, "no drop to resume across"
    best = drop - 2  # patience 2: the drop comes two epochs after the best so far
    calls = {"n": 0}
    real_predict = training.predict

    def interrupting(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == best + 2:  # the validation of the epoch between the best and the drop
            raise KeyboardInterrupt
        return real_predict(*args, **kwargs)

    monkeypatch.setattr(training, "predict", interrupting)
    with pytest.raises(KeyboardInterrupt):
        train(ds, arch="cnn", out=tmp_path / "cut", config=cfg, verbose=False)
    monkeypatch.setattr(training, "predict", real_predict)
    resumed = train(ds, arch="cnn", out=tmp_path / "cut", config=cfg, verbose=False, resume=True)
    a, b = (pd.read_csv(tmp_path / r / "history.csv") for r in ("whole", "cut"))
    pd.testing.assert_frame_equal(a.drop(columns="seconds"), b.drop(columns="seconds"))
    assert resumed.metrics == whole.metrics
    assert (tmp_path / "whole/model.safetensors").read_bytes() == (
        tmp_path / "cut/model.safetensors"
    ).read_bytes()


def test_rate_still_high_follows_the_schedule():
    """A drop needs the last step's rate above half the schedule's base rate."""
    import torch

    from deepmotif.training.schedule import rate_still_high

    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    factors = [1.0, 0.8, 0.5, 0.2]
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: factors[min(step, 3)])
    seen = []
    for _ in range(4):
        seen.append(rate_still_high(opt, sched))
        opt.step()
        sched.step()
    assert seen == [True, True, False, False]
    sched.base_lrs = [b * 0.5 for b in sched.base_lrs]  # after a drop the base is the new one
    opt.param_groups[0]["lr"] = 0.3
    assert rate_still_high(opt, sched)


def test_resume_accepts_a_run_from_before_a_setting_was_added(tmp_path, planted):
    """A run whose config.json lacks a setting added since resumes when the value it had in
    effect then (lr_drops 0) is today's; one that differs in it is refused."""
    out = tmp_path / "run"
    train(planted(200), arch="cnn", out=out, config=FAST, verbose=False)
    cfg = json.loads((out / "config.json").read_text())
    del cfg["training"]["lr_drops"]
    (out / "config.json").write_text(json.dumps(cfg))
    (out / "metrics.json").unlink()  # unfinished, so --resume applies
    res = train(planted(200), arch="cnn", out=out, config=FAST, verbose=False, resume=True)
    assert res.metrics["epochs_run"] == FAST["epochs"]
    cfg = json.loads((out / "config.json").read_text())
    cfg["training"]["lr_drops"] = 1
    (out / "config.json").write_text(json.dumps(cfg))
    (out / "metrics.json").unlink()
    with pytest.raises(
        DeepMotifError, match=r"training settings differ .*\(lr_drops: 1 in the run, 0 now\)"
    ):
        train(planted(200), arch="cnn", out=out, config=FAST, verbose=False, resume=True)


def test_chance_margin_follows_the_validation_size():
    """The Mann-Whitney null by hand: sd = sqrt((n0 + n1 + 1) / (12 n0 n1)), times z(0.999)."""
    from deepmotif.training.health import PLATEAU_MARGIN, chance_margin

    # 200 + 200: sd = sqrt(401 / 480000) = 0.028904, z = 3.090232 -> 0.08932
    assert chance_margin(200, 200) == pytest.approx(3.090232 * (401 / 480000) ** 0.5, rel=1e-5)
    assert chance_margin(200, 200) == pytest.approx(0.08932, abs=1e-5)
    # 1000 + 1000: 0.0399 by the formula, so the fixed floor of 0.05
    assert chance_margin(1000, 1000) == PLATEAU_MARGIN
    assert chance_margin(0, 10) == PLATEAU_MARGIN  # one class: nothing to judge


def test_auto_training_settings_and_validation():
    from deepmotif.training.config import resolve_auto, resolve_train_config

    rnn = resolve_auto(resolve_train_config({}), "rnn")
    cnn = resolve_auto(resolve_train_config({}), "cnn")
    assert (rnn["lr_schedule"], rnn["warmup_epochs"], rnn["min_epochs"]) == ("cosine", 1.0, 10)
    assert (cnn["lr_schedule"], cnn["warmup_epochs"], cnn["plateau_epochs"]) == (
        "exponential",
        0.0,
        0,
    )
    # the epoch budget: 60 for the recurrent models, 30 for the CNN; a given value is kept
    crnn = resolve_auto(resolve_train_config({}), "cnn-rnn")
    assert (cnn["epochs"], rnn["epochs"], crnn["epochs"]) == (30, 60, 60)
    assert resolve_auto(resolve_train_config({"epochs": 7}), "rnn")["epochs"] == 7
    # a short RNN run warms up over a quarter of its epochs, the auto budget's too
    assert resolve_auto(resolve_train_config({"epochs": 2}), "rnn")["warmup_epochs"] == 0.5
    assert resolve_auto(resolve_train_config({"lr_schedule": "constant"}), "rnn")[
        "lr_schedule"
    ] == ("constant")
    for bad in (
        {"lr_schedule": "linear"},
        {"warmup_epochs": -1},
        {"min_epochs": 1.5},
        {"epochs": 0},
        {"epochs": "many"},
    ):
        with pytest.raises(DeepMotifError):
            resolve_train_config(bad)
    with pytest.raises(DeepMotifError, match="warmup_epochs"):
        resolve_auto(resolve_train_config({"epochs": 2, "warmup_epochs": 2}), "rnn")


def test_history_learning_rate_follows_the_schedule(tmp_path, planted):
    """The rate recorded after epoch e is the base rate times lr_factor after e epochs' steps."""
    from deepmotif.training.schedule import lr_factor

    cfg = {**FAST, "epochs": 3, "lr": 0.01, "warmup_epochs": 1, "lr_schedule": "cosine"}
    res = train(planted(200), arch="cnn", out=tmp_path / "r", config=cfg, verbose=False)
    n_train = res.config["data"]["splits"]["n_train"]
    steps = -(-n_train // 64)
    for h in res.history:
        f = lr_factor(
            h["epoch"] * steps,
            schedule="cosine",
            warmup_steps=steps,
            total_steps=3 * steps,
            steps_per_epoch=steps,
        )
        assert h["lr"] == pytest.approx(0.01 * f)


def test_plateau_advice_fits_the_run():
    from deepmotif.training.health import plateau_advice

    flat = [{"epoch": e, "train_loss": 0.693} for e in range(1, 7)]
    short = plateau_advice("rnn", flat)
    assert "train longer" in short and "--lr" in short and "pool" in short
    long_cnn = plateau_advice("cnn", [{"epoch": e, "train_loss": 0.5} for e in range(1, 31)])
    assert "train longer" not in long_cnn and "labels" in long_cnn and "--lr" not in long_cnn


def test_still_learning_on_hand_made_histories():
    """A run is cut short when it used all its epochs, its best epoch is among the last
    ``patience`` and beats every epoch before its last quarter by at least 0.01."""
    from deepmotif.training.health import still_learning, still_learning_note

    rising = [0.60 + 0.01 * e for e in range(20)]  # 0.60 .. 0.79, best at epoch 20
    info = still_learning(rising, 20, 5)
    # window: the last max(5, 20 / 4) = 5 epochs; before it the best is epoch 15 (0.74)
    assert info == {"best_epoch": 20, "epochs": 20, "window": 5, "rise": pytest.approx(0.05)}
    note = still_learning_note(info)
    assert "epoch 20 of 20" in note and "up 0.050 over the last 5 epochs" in note
    # a 40-epoch run's window is its last quarter (10 epochs), not its patience
    assert still_learning([0.5 + 0.005 * e for e in range(40)], 40, 5)["window"] == 10
    # ended by early stopping (fewer epochs than the limit): not cut short
    assert still_learning(rising[:15], 20, 5) is None
    # best at epoch 14 of 20: patience would have run out, the limit did not end it
    assert still_learning(rising[:14] + [0.7] * 6, 20, 5) is None
    # best in the last epochs but not above what the run had before: noise, not learning
    noisy = [0.80, 0.70, 0.71, 0.72, 0.73, 0.74, 0.75, 0.79, 0.80, 0.805]
    assert still_learning(noisy, 10, 3) is None
    # a rise below 0.01 over the window is not enough; exactly enough is
    assert still_learning([0.9] * 16 + [0.901, 0.902, 0.903, 0.905], 20, 5) is None
    assert still_learning([0.9] * 16 + [0.901, 0.902, 0.903, 0.9125], 20, 5) is not None
    # NaN epochs (a one-class validation split) are skipped, not taken as the best
    assert still_learning([np.nan] * 3 + rising[3:], 20, 5)["best_epoch"] == 20
    assert still_learning([np.nan] * 18 + [0.6, 0.7], 20, 5) is None


def test_a_run_cut_short_says_so(tmp_path, planted):
    """A CNN given four epochs at a low rate is still learning at its last: metrics.json records
    it (as health.still_learning computes it from the history) and training warns."""
    from deepmotif.errors import DeepMotifWarning
    from deepmotif.training.health import still_learning, still_learning_note

    with pytest.warns(DeepMotifWarning, match="still learning when its epoch budget ended") as w:
        res = train(
            planted(400, seed=2),
            arch="cnn",
            out=tmp_path / "r",
            config={**FAST, "epochs": 4, "lr": 1e-4, "patience": 5},
            verbose=False,
        )
    # the warning names the run folder (not the last split evaluated) and the architecture
    (told,) = [str(x.message) for x in w if "still learning" in str(x.message)]
    assert told.startswith(f"{tmp_path / 'r'}: cnn: still learning")
    aurocs = [h["valid_auroc"] for h in res.history]
    assert aurocs[3] > aurocs[0] + 0.01 and res.metrics["best_epoch"] == 4
    expected = still_learning(aurocs, 4, 5)
    assert res.metrics["still_learning"] == {**expected, "note": still_learning_note(expected)}
    assert res.metrics["still_learning"]["best_epoch"] == 4
    saved = json.loads((tmp_path / "r" / "metrics.json").read_text())
    assert saved["still_learning"]["window"] == 3  # all but the first epoch


def test_dashboard_overview_warns_about_a_plateau_run(tmp_path, planted):
    """A finished run whose metrics.json says plateau is listed with its advice."""
    from deepmotif.dashboard.data import RunStore
    from deepmotif.dashboard.overview import dataset_figures

    run = tmp_path / "sim" / "rnn"
    train(planted(200), arch="rnn", out=run, config={**FAST, "epochs": 1}, verbose=False)
    metrics = json.loads((run / "metrics.json").read_text())
    metrics.update(plateau=True, plateau_advice="try hidden 64")
    (run / "metrics.json").write_text(json.dumps(metrics))
    store = RunStore([tmp_path])
    (dataset,) = {r.dataset for r in store.runs}
    problems = dataset_figures(store, dataset)[3]
    assert any(
        "rnn: never left its start-up plateau" in p and "try hidden 64" in p for p in problems
    )
    assert not any("still learning" in p for p in problems)
    from deepmotif.training.health import still_learning_note

    cut = {"best_epoch": 30, "epochs": 30, "window": 8, "rise": 0.021}
    cut["note"] = still_learning_note(cut)  # as training writes it
    (run / "metrics.json").write_text(json.dumps({**metrics, "still_learning": cut}))
    problems = dataset_figures(RunStore([tmp_path]), dataset)[3]
    assert any(
        p.startswith("rnn: still learning when its epoch budget ended")
        and "epoch 30 of 30, up 0.021 over the last 8 epochs" in p
        for p in problems
    )


def test_recurrent_run_leaves_chance_within_a_few_epochs(tmp_path, planted):
    """A seeded tiny RNN with the default recurrent settings (input weights N(0, 1), warm-up,
    cosine) leaves chance on planted data within 6 epochs; with the reference's small input
    weights the same run stayed near 0.65 (docs/training.md)."""
    res = train(
        planted(400, length=40, seed=3),
        arch="rnn",
        out=tmp_path / "r",
        config={"epochs": 6, "batch_size": 32, "seed": 1},
        verbose=False,
    )
    assert res.config["training"]["lr_schedule"] == "cosine"
    assert res.config["model"]["input_std"] == 1.0
    assert max(h["valid_auroc"] for h in res.history) > 0.72
    assert not res.metrics["plateau"]


def test_quickstart_trains_in_a_pool_as_it_would_here(tmp_path, planted):
    """The quickstart's pool (two processes, one thread each) gives the weights training in
    this process gives; a job that fails is reported and the others are trained."""
    import torch
    from safetensors.torch import load_file

    from deepmotif.quickstart import _job, train_jobs, train_one

    path = write_fasta(tmp_path / "d.fa", planted(200, 30))
    config = {"epochs": 2, "seed": 3}
    jobs = [
        _job(path, {}, arch, tmp_path / "pool" / arch, config, "cpu") for arch in ("cnn", "rnn")
    ]
    bad = _job(path, {}, "cnn-rnn", tmp_path / "pool" / "bad", {**config, "lr": -1.0}, "cpu")
    from deepmotif.errors import DeepMotifWarning

    with pytest.warns(DeepMotifWarning, match="cnn-rnn: failed"):
        trained, failed = train_jobs([*jobs, bad], "cpu", verbose=False)
    assert sorted(trained) == ["cnn", "rnn"] and list(failed) == ["cnn-rnn"]
    assert "lr" in failed["cnn-rnn"] and not (tmp_path / "pool" / "bad" / "metrics.json").exists()
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for job in jobs:
            here = {**job, "out": str(tmp_path / "here" / job["arch"])}
            assert train_one(here) == job["arch"]
            a = load_file(Path(job["out"]) / "model.safetensors")
            b = load_file(Path(here["out"]) / "model.safetensors")
            assert a.keys() == b.keys()
            for k in a:
                torch.testing.assert_close(a[k], b[k], rtol=1e-5, atol=1e-6)
    finally:
        torch.set_num_threads(before)


def test_replay_stopping_reads_recorded_runs(tmp_path, planted, capsys):
    """benchmarks/replay_stopping.py replays a recurrent run's recorded curve; a CNN is skipped."""
    import importlib.util

    from deepmotif.training.health import PLATEAU_MARGIN, chance_margin

    spec = importlib.util.spec_from_file_location(
        "replay_stopping", Path(__file__).resolve().parents[1] / "benchmarks" / "replay_stopping.py"
    )
    replay = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(replay)
    train(planted(200), arch="rnn", out=tmp_path / "runs" / "r", config=FAST, verbose=False)
    train(planted(200), arch="cnn", out=tmp_path / "runs" / "c", config=FAST, verbose=False)
    assert replay.main([str(tmp_path / "runs")]) == 0
    assert "1 recurrent runs read" in capsys.readouterr().out
    # the replay itself: a noisy 0.56 first epoch on a small split
    cfg = {"patience": 2, "min_epochs": 0, "plateau_epochs": 15}
    noisy = [0.56, 0.53, 0.54, 0.53]
    assert replay.stop_epoch(noisy, cfg, PLATEAU_MARGIN) == 3
    assert replay.stop_epoch(noisy, cfg, chance_margin(200, 200)) is None
    # lr_drops: only a run trained without it that stopped early at a rate above half its base
    base = {"epochs": 40, "lr": 0.01}
    assert replay.would_drop([0.01, 0.0093], base)
    assert not replay.would_drop([0.01, 0.004], base)  # the schedule was past half
    assert not replay.would_drop([0.01] * 40, base)  # ran every epoch
    assert not replay.would_drop([0.01, 0.0093], {**base, "lr_drops": 2})  # had the setting
