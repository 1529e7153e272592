"""Bootstrap intervals over test sequences and seeds, paired comparisons, the benchmark's tables."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from deepmotif import rundir as runs
from deepmotif.benchmark import collect_results, run_dir, write_tables
from deepmotif.benchmark_stats import summarize_benchmark
from deepmotif.evaluation import intervals as iv


def _toy(n=200, k=3, signal=1.0, seed=0):
    rng = np.random.default_rng(seed)
    y = np.repeat([0, 1], n // 2)
    scores = rng.normal(size=(k, n)) + signal * y
    return y, scores


def test_row_metrics_equal_sklearn_with_ties():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, size=(30, 120))
    s = np.round(rng.normal(size=(30, 120)) + y, 1)  # many ties
    auroc, auprc = iv.auroc_rows(y, s), iv.auprc_rows(y, s)
    for i in range(30):
        assert auroc[i] == pytest.approx(roc_auc_score(y[i], s[i]), abs=1e-12)
        assert auprc[i] == pytest.approx(average_precision_score(y[i], s[i]), abs=1e-12)
    assert np.isnan(iv.auroc_rows(np.ones((1, 5)), np.arange(5.0)[None]))[0]


def test_interval_equals_the_naive_loop():
    """The vectorised bootstrap is the naive loop: resample sequences, then seeds, mean of sklearn."""
    y, scores = _toy(n=80, k=3, signal=0.8)
    b = 120
    summary, reps = iv.summarize(
        "auroc", y, scores, iv.resample_indices(80, b, np.random.default_rng(5)),
        np.random.default_rng(6),
    )  # fmt: skip
    rng_idx, rng_seed = np.random.default_rng(5), np.random.default_rng(6)
    idx = rng_idx.integers(0, 80, size=(b, 80))
    draw = rng_seed.integers(0, 3, size=(b, 3))
    naive = np.array(
        [np.mean([roc_auc_score(y[idx[r]], scores[j][idx[r]]) for j in draw[r]]) for r in range(b)]
    )
    np.testing.assert_allclose(reps, naive, atol=1e-12)
    lo, hi = np.percentile(naive, [2.5, 97.5])
    assert (summary.low, summary.high) == pytest.approx((lo, hi), abs=1e-12)
    observed = [roc_auc_score(y, s) for s in scores]
    assert summary.mean == pytest.approx(np.mean(observed))
    assert summary.sd == pytest.approx(np.std(observed, ddof=1))
    assert summary.n_seeds == 3


@pytest.mark.slow  # ~2 s alone, ~10 s on a loaded machine
def test_one_seed_interval_agrees_with_scipy_bootstrap():
    from scipy.stats import bootstrap

    y, scores = _toy(n=200, k=1, signal=1.0, seed=2)
    summary, _ = iv.summarize(
        "auroc", y, scores, iv.resample_indices(200, 1000, np.random.default_rng(0)),
        np.random.default_rng(1),
    )  # fmt: skip
    ref = bootstrap(
        (y, scores[0]), lambda a, b: roc_auc_score(a, b), paired=True, vectorized=False,
        n_resamples=1000, method="percentile", random_state=np.random.default_rng(3),
    ).confidence_interval  # fmt: skip
    # two independent Monte Carlo draws of the same interval (about 0.1 wide)
    assert summary.low == pytest.approx(ref.low, abs=0.015)
    assert summary.high == pytest.approx(ref.high, abs=0.015)


def test_hand_computable_intervals():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 50)
    idx = iv.resample_indices(100, 500, rng)
    perfect, _ = iv.summarize("auroc", y, (y + 0.1 * np.arange(100) / 100)[None], idx, rng)
    assert (perfect.mean, perfect.low, perfect.high) == (1.0, 1.0, 1.0)
    constant, _ = iv.summarize("auroc", y, np.zeros((2, 100)), idx, rng)
    assert (constant.mean, constant.low, constant.high) == (0.5, 0.5, 0.5)
    # AUPRC of a constant predictor is the fraction of positives on every resample
    ap, reps = iv.summarize("auprc", y, np.zeros((1, 100)), idx, rng)
    np.testing.assert_allclose(reps, y[idx].mean(axis=1))


def _fake_run(path, ids, labels, scores, seed):
    """A finished run directory as the benchmark reads it (config, weights, metrics, test.tsv);
    ``scores`` on any scale are written as probabilities (a monotone map: same AUROC/AUPRC)."""
    scores = 1.0 / (1.0 + np.exp(-np.asarray(scores, dtype=float)))
    path.mkdir(parents=True)
    runs.write_json(path / runs.CONFIG, {"arch": "cnn", "model": {}, "seed": seed})
    (path / runs.WEIGHTS).write_bytes(b"")
    metrics = {"auroc": roc_auc_score(labels, scores), "auprc": 0.0, "accuracy": 0.0}
    runs.write_json(path / runs.METRICS, {"test": {**metrics, "n": len(ids)}, "epochs_run": 1})
    pd.DataFrame({"id": ids, "sequence": "ACGT", "label": labels, "score": scores}).to_csv(
        path / runs.TEST_TABLE, sep="\t", index=False
    )


@pytest.fixture
def fake_benchmark(tmp_path):
    """One dataset, 3 seeds of: a strong model, a weak one and an exact copy of the weak one."""
    rng = np.random.default_rng(0)
    n = 400
    y = np.repeat([0, 1], n // 2)
    ids = [f"s{i}" for i in range(n)]
    weak = {s: rng.normal(size=n) + 0.3 * y for s in range(3)}
    models = {
        "strong": {s: rng.normal(size=n) + 2.5 * y for s in range(3)},
        "weak": weak,
        "copy": weak,
    }
    for arch, per_seed in models.items():
        for s, sc in per_seed.items():
            order = rng.permutation(n)  # rows in any order: matched by id
            _fake_run(
                run_dir(tmp_path, "TF", arch, s), np.array(ids)[order], y[order], sc[order], s
            )
    ref = pd.DataFrame({"deepbind_star": [0.75], "deepbind": [0.7]}, index=["TF"])
    return tmp_path, collect_results(tmp_path, ["TF"], list(models), ref, seeds=[0, 1, 2])


def test_clear_pair_is_a_win_and_identical_predictors_are_not(fake_benchmark):
    out, table = fake_benchmark
    summary, comp = summarize_benchmark(table, out, ["strong", "weak", "copy"], n_bootstrap=500)
    assert summary["n_seeds"].tolist() == [3, 3, 3]
    verdicts = {(r.a, r.b): r.verdict for r in comp.itertuples()}
    assert verdicts["strong", "weak"] == "strong > weak"
    assert verdicts["weak", "copy"] == "no clear difference"
    same = comp[(comp["a"] == "weak") & (comp["b"] == "copy")].iloc[0]
    # seeds are drawn independently per model, so even a copy's difference has some spread
    assert same["auroc_diff"] == 0 and same["paired"]
    assert same["auroc_diff_ci_low"] < 0 < same["auroc_diff_ci_high"]
    # DeepBind* (0.75): the strong model (~0.96) is above, the weak one (~0.58) below
    assert verdicts["strong", "DeepBind*"] == "strong > DeepBind*"
    assert verdicts["weak", "DeepBind*"] == "DeepBind* > weak"
    by = summary.set_index("arch")
    assert by.loc["strong", "vs_deepbind_star"] == "above"
    assert by.loc["weak", "vs_deepbind_star"] == "below"
    for arch in ("strong", "weak"):
        lo, mean, hi = by.loc[arch, ["auroc_ci_low", "auroc_mean", "auroc_ci_high"]]
        assert lo < mean < hi
        per_seed = table[table["arch"] == arch]["auroc"]
        assert mean == pytest.approx(per_seed.mean(), abs=1e-6)
        assert by.loc[arch, "auroc_sd"] == pytest.approx(per_seed.std(ddof=1), abs=1e-6)


def test_a_value_inside_the_interval_is_level(fake_benchmark):
    out, table = fake_benchmark
    summary, _ = summarize_benchmark(table, out, ["weak"], n_bootstrap=300)
    table = table.assign(deepbind_star=float(summary["auroc_mean"][0]))
    summary, comp = summarize_benchmark(table, out, ["weak"], n_bootstrap=300)
    assert summary["vs_deepbind_star"].tolist() == ["level"]
    assert comp["verdict"].tolist() == ["no clear difference"]


def test_tables_are_seeded_and_complete(fake_benchmark):
    out, table = fake_benchmark
    archs = ["strong", "weak", "copy"]
    write_tables(table, out, archs, n_bootstrap=300)
    first = (out / "benchmark_summary.csv").read_text()
    write_tables(table, out, archs, n_bootstrap=300)
    assert (out / "benchmark_summary.csv").read_text() == first  # a fixed generator
    summary = pd.read_csv(out / "benchmark_summary.csv")
    for col in ("auroc_mean", "auroc_sd", "auroc_ci_low", "auroc_ci_high", "auprc_mean",
                "auprc_ci_low", "auprc_ci_high", "n_seeds"):  # fmt: skip
        assert col in summary.columns
    assert len(pd.read_csv(out / "benchmark.csv")) == 9
    md = (out / "benchmark.md").read_text()
    assert "## AUROC" in md and "## AUPRC" in md and "## AUROC differences" in md
    assert "strong > weak" in md and "copy > weak" not in md
    assert json.loads((run_dir(out, "TF", "copy", 2) / runs.CONFIG).read_text())["seed"] == 2
    assert (out / "benchmark.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_benchmark_figure_draws_each_interval(fake_benchmark):
    """The figure's error bars span each architecture's 95 % interval around its mean bar."""
    from deepmotif.plots.report import auroc_figure

    out, table = fake_benchmark
    archs = ["strong", "weak", "copy"]
    summary, _ = summarize_benchmark(table, out, archs, n_bootstrap=300)
    per = summary[summary["dataset"] != "mean"]
    fig = auroc_figure(per.rename(columns={"auroc_mean": "auroc"}).assign(status="finished"))
    bars = [c for c in fig.axes[0].containers if hasattr(c, "errorbar")]
    assert len(bars) == 3
    for container, (_, row) in zip(bars, per.iterrows()):
        assert container.patches[0].get_height() == pytest.approx(row["auroc_mean"])
        (segment,) = container.errorbar.lines[2][0].get_segments()
        assert sorted(segment[:, 1]) == pytest.approx([row["auroc_ci_low"], row["auroc_ci_high"]])


def test_mean_row_over_datasets(tmp_path):
    rng = np.random.default_rng(4)
    n = 100
    y = np.repeat([0, 1], n // 2)
    ids = [f"s{i}" for i in range(n)]
    for d, sig in (("A", 1.0), ("B", 2.0)):
        for arch in ("x", "y"):
            _fake_run(run_dir(tmp_path, d, arch, 0), ids, y, rng.normal(size=n) + sig * y, 0)
    table = collect_results(tmp_path, ["A", "B"], ["x", "y"], None)
    summary, comp = summarize_benchmark(table, tmp_path, ["x", "y"], n_bootstrap=200)
    mean = summary[summary["dataset"] == "mean"].set_index("arch")
    per = summary[summary["dataset"] != "mean"]
    for arch in ("x", "y"):
        expect = per[per["arch"] == arch]["auroc_mean"].mean()
        assert mean.loc[arch, "auroc_mean"] == pytest.approx(expect)
        assert mean.loc[arch, "auroc_ci_low"] < expect < mean.loc[arch, "auroc_ci_high"]
    assert len(comp[comp["dataset"] == "mean"]) == 1


def test_runs_table_records_how_each_run_ended(tmp_path):
    """The per-run rows: best epoch, drops and the last epoch's rate over the config's base rate
    (0.004 / 0.01); a run without a recorded rate shows none rather than a guess."""
    y = np.repeat([0, 1], 20)
    ids = [f"s{i}" for i in range(40)]
    with_rate, without = run_dir(tmp_path, "TF", "rnn", 0), run_dir(tmp_path, "TF", "cnn", 0)
    _fake_run(with_rate, ids, y, y + 0.1, 0)
    _fake_run(without, ids, y, -y, 0)
    runs.write_json(
        with_rate / runs.CONFIG, {"arch": "rnn", "model": {}, "training": {"lr": 0.01, "epochs": 5}}
    )
    metrics = json.loads((with_rate / runs.METRICS).read_text())
    runs.write_json(
        with_rate / runs.METRICS, {**metrics, "epochs_run": 3, "best_epoch": 2, "lr_drops": 1}
    )
    pd.DataFrame(
        {"epoch": [1, 2, 3], "train_loss": 0.5, "valid_auroc": 0.7, "lr": [0.01, 0.008, 0.004]}
    ).to_csv(with_rate / runs.HISTORY, index=False)
    table = collect_results(tmp_path, ["TF"], ["cnn", "rnn"], None)
    row = table.set_index("arch").loc["rnn"]
    assert (row["epochs_run"], row["epoch_limit"], row["best_epoch"], row["lr_drops"]) == (
        3,
        5,
        2,
        1,
    )
    assert row["end_lr"] == pytest.approx(0.4)
    assert np.isnan(table.set_index("arch").loc["cnn", "end_lr"])
    write_tables(table, tmp_path, ["cnn", "rnn"], n_bootstrap=100)
    md = (tmp_path / "benchmark.md").read_text()
    assert "| TF | rnn | 0 | 1.0000 | 3 | 5 | 2 | 0.400 | 1 |  |" in md
    assert "| TF | cnn | 0 | 0.0000 | 1 |  |  |  | 0 |  |" in md
    assert "(0 of 2 runs;" in md


def test_runs_table_names_a_run_cut_short_by_its_epoch_limit(tmp_path):
    """A run that used all its epochs while its validation AUROC still rose is marked "still
    learning", judged from its history and config (so runs written before metrics.json recorded
    it are judged too); the same curve ended by early stopping is not."""
    y = np.repeat([0, 1], 20)
    ids = [f"s{i}" for i in range(40)]
    rising = [0.60, 0.62, 0.64, 0.66, 0.68, 0.70, 0.72, 0.74]
    for seed, limit in ((0, 8), (1, 12)):
        run = run_dir(tmp_path, "TF", "cnn-rnn", seed)
        _fake_run(run, ids, y, y + 0.1, 0)
        training = {"lr": 0.01, "epochs": limit, "patience": 3}
        runs.write_json(run / runs.CONFIG, {"arch": "cnn-rnn", "model": {}, "training": training})
        history = {"epoch": range(1, 9), "train_loss": 0.5, "valid_auroc": rising, "lr": 0.01}
        pd.DataFrame(history).to_csv(run / runs.HISTORY, index=False)
    table = collect_results(tmp_path, ["TF"], ["cnn-rnn"], None, seeds=(0, 1))
    assert table.set_index("seed")["still_learning"].to_dict() == {0: True, 1: False}
    write_tables(table, tmp_path, ["cnn-rnn"], n_bootstrap=100)
    md = (tmp_path / "benchmark.md").read_text()
    assert "| TF | cnn-rnn | 0 | 1.0000 | 1 | 8 |  | 1.000 | 0 | yes |" in md
    assert "| TF | cnn-rnn | 1 | 1.0000 | 1 | 12 |  | 1.000 | 0 |  |" in md
    assert "(1 of 2 runs;" in md
