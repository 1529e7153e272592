"""The benchmark's statistics: per dataset x architecture the mean, sd and 95 % interval of test
AUROC and AUPRC over seeds, and paired comparisons between architectures and against DeepBind*.

The intervals are percentile bootstraps over test sequences and seeds
(:mod:`deepmotif.evaluation.intervals`): each run's test predictions are read from its
``test.tsv``; runs scored on the same test sequences (a DeepBind ``_B`` file, a Zeng
``test.data``) share every resample of them, so comparisons between architectures are paired.
A comparison is a win only when the interval of the difference excludes zero; against
DeepBind*'s published AUROC (one number) only when our interval lies wholly above or below it.
The random generator is seeded, so the same runs give the same table. :func:`run_lines` is
the last table: how each run ended.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from deepmotif import rundir as runs
from deepmotif.evaluation import intervals as iv

SUMMARY_COLUMNS = [
    "dataset",
    "arch",
    "n_seeds",
    "n_test",
    *(f"{m}_{s}" for m in iv.METRICS for s in ("mean", "sd", "ci_low", "ci_high")),
    "deepbind_star",
    "deepbind",
    "vs_deepbind_star",
]
COMPARISON_COLUMNS = [
    "dataset",
    "a",
    "b",
    "auroc_diff",
    "auroc_diff_ci_low",
    "auroc_diff_ci_high",
    "paired",
    "verdict",
]
#: The label of the published reference in comparisons.
DEEPBIND_STAR = "DeepBind*"


def _predictions(run) -> tuple[tuple, np.ndarray, np.ndarray]:
    """(ids, labels, scores) of one run's test set, ordered by id."""
    ds = runs.read_run_data(run)
    order = np.argsort(np.asarray(ds.ids, dtype=str), kind="stable")
    ids = tuple(np.asarray(ds.ids, dtype=str)[order])
    return ids, np.asarray(ds.labels)[order], np.asarray(ds.meta["scores"], dtype=float)[order]


def verdict(a: str, b: str, sign: int) -> str:
    """``"a > b"``, ``"b > a"`` or ``"no clear difference"`` from the side the interval is on."""
    if sign > 0:
        return f"{a} > {b}"
    if sign < 0:
        return f"{b} > {a}"
    return "no clear difference"


def summarize_benchmark(
    table: pd.DataFrame,
    out,
    archs,
    *,
    n_bootstrap: int = iv.N_BOOTSTRAP,
    random_state: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The per-model summary and the comparisons of a benchmark's finished runs.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per run (:func:`deepmotif.benchmark.collect_results`: ``dataset, arch, seed,
        deepbind_star, deepbind, run`` with ``run`` relative to ``out``).
    out : path
        The benchmark folder.
    archs : sequence of str
        Architectures in table order; comparisons are made between every pair, first named first.
    n_bootstrap : int
        Bootstrap replicates.
    random_state : int
        Seed of the generator drawing the resamples (one generator per dataset, in table order).

    Returns
    -------
    (summary, comparisons) : pandas.DataFrame
        ``summary`` has :data:`SUMMARY_COLUMNS` (one row per dataset x architecture),
        ``comparisons`` :data:`COMPARISON_COLUMNS` (architecture pairs, then each architecture
        against DeepBind*).
    """
    from pathlib import Path

    summary, comparisons, all_reps = [], [], []
    if table.empty:
        return pd.DataFrame(columns=SUMMARY_COLUMNS), pd.DataFrame(columns=COMPARISON_COLUMNS)
    if "error" in table.columns:  # failed runs have a row but no predictions
        table = table[table["error"].isna()]
    datasets = list(dict.fromkeys(table["dataset"]))
    for d_index, dataset in enumerate(datasets):
        rng = np.random.default_rng([random_state, d_index])
        rows = table[table["dataset"] == dataset]
        preds = {}  # arch -> list of (ids, labels, scores)
        for arch in archs:
            sub = rows[rows["arch"] == arch].sort_values("seed")
            if len(sub):
                preds[arch] = [_predictions(Path(out) / r) for r in sub["run"]]
        idx_of: dict[tuple, np.ndarray] = {}  # one resample per distinct test set
        reps, means = {}, {}
        for arch, plist in preds.items():
            ref_row = rows[rows["arch"] == arch].iloc[0]
            row = {"dataset": dataset, "arch": arch, "n_seeds": len(plist)}
            row["n_test"] = int(np.median([len(p[1]) for p in plist]))
            for metric in iv.METRICS:
                mat = []
                for ids, labels, scores in plist:
                    if ids not in idx_of:
                        idx_of[ids] = iv.resample_indices(len(ids), n_bootstrap, rng)
                    mat.append(iv.replicate_matrix(metric, labels, scores, idx_of[ids])[:, 0])
                observed = [iv.metric(metric, p[1], p[2]) for p in plist]
                r = iv.seed_means(np.stack(mat, axis=1), rng)
                ci = iv.percentile_interval(float(np.mean(observed)), r)
                reps[arch, metric], means[arch, metric] = r, ci.estimate
                sd = float(np.std(observed, ddof=1)) if len(observed) > 1 else float("nan")
                row.update(
                    {
                        f"{metric}_mean": ci.estimate,
                        f"{metric}_sd": sd,
                        f"{metric}_ci_low": ci.low,
                        f"{metric}_ci_high": ci.high,
                    }
                )
            row["deepbind_star"] = ref_row.get("deepbind_star", np.nan)
            row["deepbind"] = ref_row.get("deepbind", np.nan)
            star = row["deepbind_star"]
            row["vs_deepbind_star"] = ""
            if pd.notna(star):
                ours = iv.Interval(row["auroc_mean"], row["auroc_ci_low"], row["auroc_ci_high"])
                sign = ours.excludes(float(star))
                row["vs_deepbind_star"] = {1: "above", -1: "below", 0: "level"}[sign]
                comparisons.append(
                    _comparison(dataset, arch, DEEPBIND_STAR, ours, float(star), True)
                )
            summary.append(row)
        test_sets = {a: {p[0] for p in plist} for a, plist in preds.items()}
        present = list(preds)
        for i, a in enumerate(present):
            for b in present[i + 1 :]:
                diff = iv.paired_difference(
                    means[a, "auroc"], reps[a, "auroc"], means[b, "auroc"], reps[b, "auroc"]
                )
                paired = len(test_sets[a] | test_sets[b]) == 1
                comparisons.append(_comparison(dataset, a, b, diff, 0.0, paired, shift=False))
        all_reps.append((reps, means))
    _mean_rows(summary, comparisons, all_reps, archs)
    comp = pd.DataFrame(comparisons, columns=COMPARISON_COLUMNS)
    return pd.DataFrame(summary, columns=SUMMARY_COLUMNS), comp


def _mean_rows(summary: list, comparisons: list, all_reps: list, archs) -> None:
    """Rows ``dataset == "mean"``: the mean over datasets of every architecture that has them all.

    Datasets are resampled independently, so the mean of their replicates is a replicate of the
    mean; architectures share each dataset's resamples, so their differences stay paired.
    """
    if len(all_reps) < 2:
        return
    full = [a for a in archs if all((a, "auroc") in reps for reps, _ in all_reps)]
    stacked, mean_of = {}, {}
    for arch in full:
        row = {"dataset": "mean", "arch": arch, "n_seeds": np.nan, "n_test": np.nan}
        rows = [r for r in summary if r["arch"] == arch]
        row["n_seeds"] = min(r["n_seeds"] for r in rows)
        for metric in iv.METRICS:
            r = np.mean([reps[arch, metric] for reps, _ in all_reps], axis=0)
            est = float(np.mean([means[arch, metric] for _, means in all_reps]))
            ci = iv.percentile_interval(est, r)
            stacked[arch, metric], mean_of[arch, metric] = r, est
            sd = np.nan
            row.update(
                {
                    f"{metric}_mean": est,
                    f"{metric}_sd": sd,
                    f"{metric}_ci_low": ci.low,
                    f"{metric}_ci_high": ci.high,
                }
            )
        stars = [r["deepbind_star"] for r in rows]
        row["deepbind_star"] = float(np.mean(stars)) if all(pd.notna(stars)) else np.nan
        dbs = [r["deepbind"] for r in rows]
        row["deepbind"] = float(np.mean(dbs)) if all(pd.notna(dbs)) else np.nan
        row["vs_deepbind_star"] = ""
        if pd.notna(row["deepbind_star"]):
            ours = iv.Interval(row["auroc_mean"], row["auroc_ci_low"], row["auroc_ci_high"])
            sign = ours.excludes(row["deepbind_star"])
            row["vs_deepbind_star"] = {1: "above", -1: "below", 0: "level"}[sign]
            comparisons.append(
                _comparison("mean", arch, DEEPBIND_STAR, ours, row["deepbind_star"], True)
            )
        summary.append(row)
    for i, a in enumerate(full):
        for b in full[i + 1 :]:
            diff = iv.paired_difference(
                mean_of[a, "auroc"], stacked[a, "auroc"], mean_of[b, "auroc"], stacked[b, "auroc"]
            )
            paired = all(c["paired"] for c in comparisons if {c["a"], c["b"]} == {a, b})
            comparisons.append(_comparison("mean", a, b, diff, 0.0, paired, shift=False))


def _comparison(dataset, a, b, interval: iv.Interval, value: float, paired, *, shift=True):
    """One comparison row: ``interval`` of A (minus ``value`` when ``shift``) or of A - B."""
    off = value if shift else 0.0
    return {
        "dataset": dataset,
        "a": a,
        "b": b,
        "auroc_diff": interval.estimate - off,
        "auroc_diff_ci_low": interval.low - off,
        "auroc_diff_ci_high": interval.high - off,
        "paired": bool(paired),
        "verdict": verdict(a, b, interval.excludes(value)),
    }


def markdown_table(header: list[str], rows: list[list[str]], *, numeric: bool = False) -> list[str]:
    """Lines of a Markdown table; with ``numeric`` every column but the first is right-aligned."""
    align = ["---"] + ["---:" if numeric else "---"] * (len(header) - 1)
    return [
        "| " + " | ".join(map(str, header)) + " |",
        "|" + "|".join(align) + "|",
        *("| " + " | ".join(r) + " |" for r in rows),
    ]


def _cell(row, metric: str) -> str:
    mean = row[f"{metric}_mean"]
    if pd.isna(mean):
        return ""
    if pd.isna(row[f"{metric}_ci_low"]):
        return f"{mean:.4f}"
    return f"{mean:.4f} [{row[f'{metric}_ci_low']:.4f}, {row[f'{metric}_ci_high']:.4f}]"


def _num(v) -> str:
    return "" if pd.isna(v) else f"{v:.4f}"


def markdown_lines(
    summary: pd.DataFrame, comparisons: pd.DataFrame, archs, *, n_bootstrap: int
) -> list[str]:
    """``benchmark.md``'s tables: AUROC and AUPRC with intervals, wins, paired differences."""
    lines = ["# Test AUROC / AUPRC per dataset and architecture", ""]
    if summary.empty:
        return [*lines, "No finished runs."]
    archs = [a for a in archs if a in set(summary["arch"])]
    seeds = sorted(set(summary.loc[summary["dataset"] != "mean", "n_seeds"]))
    lines += [
        f"Seeds per dataset x architecture: {', '.join(str(int(s)) for s in seeds)}. Each cell: "
        "the mean over seeds and its 95 % interval (percentile bootstrap over test sequences and "
        f"seeds, {n_bootstrap} replicates, seeded). A comparison is a win only when its interval "
        "excludes the other side; the `wins` column lists those.",
        "",
    ]
    datasets = list(dict.fromkeys(summary["dataset"]))
    by = {(r["dataset"], r["arch"]): r for _, r in summary.iterrows()}
    for metric, label in (("auroc", "AUROC"), ("auprc", "AUPRC")):
        header = ["dataset", *(f"{a} {label}" for a in archs)]
        if metric == "auroc":
            header += ["DeepBind* AUROC", "DeepBind AUROC", "wins"]
        rows = []
        for d in datasets:
            first = next(by[d, a] for a in archs if (d, a) in by)
            cells = [_cell(by[d, a], metric) if (d, a) in by else "" for a in archs]
            if metric == "auroc":
                wins = comparisons[(comparisons["dataset"] == d)]["verdict"]
                wins = [w for w in wins if w != "no clear difference"]
                cells += [_num(first["deepbind_star"]), _num(first["deepbind"]), "; ".join(wins)]
            rows.append([f"**{d}**" if d == "mean" else d, *cells])
        lines += [f"## {label}", "", *markdown_table(header, rows, numeric=True), ""]
    if not comparisons.empty:
        rows = [
            [
                r["dataset"],
                f"{r['a']} - {r['b']}",
                f"{r['auroc_diff']:+.4f} [{r['auroc_diff_ci_low']:+.4f}, "
                f"{r['auroc_diff_ci_high']:+.4f}]",
                "yes" if r["paired"] else "no",
                r["verdict"],
            ]
            for _, r in comparisons.iterrows()
        ]
        header = ["dataset", "AUROC difference", "mean [95 % interval]", "paired", "verdict"]
        lines += ["## AUROC differences", "", *markdown_table(header, rows), ""]
    lines += [
        "DeepBind* and DeepBind: published test AUROC (Alipanahi et al. 2015, supplementary "
        "table), matched by experiment name; being one number each, the comparison with "
        "DeepBind* asks whether our whole interval lies above or below it. The mean row averages "
        "over the datasets every architecture has; its interval averages their replicates. "
        "Chance level: AUROC 0.5; AUPRC the fraction of positives in the test set.",
    ]
    return lines


def run_lines(table: pd.DataFrame) -> list[str]:
    """``benchmark.md``'s last table: how each run ended (epochs, best epoch, rate)."""
    if table.empty:
        return []
    rows = [
        [
            r["dataset"],
            r["arch"],
            _whole(r["seed"]),
            f"{r['auroc']:.4f}",
            _whole(r["epochs_run"]),
            _whole(r["epoch_limit"]),
            _whole(r["best_epoch"]),
            "" if pd.isna(r["end_lr"]) else f"{r['end_lr']:.3f}",
            _whole(r["lr_drops"]),
            "yes" if r.get("still_learning") is True else "",
        ]
        for _, r in table.iterrows()
        if not pd.isna(r["auroc"])
    ]
    header = ["dataset", "arch", "seed", "test AUROC", "epochs run", "epoch limit", "best epoch",
              "last rate / base", "rate drops", "still learning"]  # fmt: skip
    cut = sum(r[-1] == "yes" for r in rows)
    return [
        "",
        "## Runs",
        "",
        "How each run ended. A run that stopped before its epoch limit with its last rate above "
        "half its base rate would train on under `lr_drops`; the others cannot change with it. "
        '"Still learning": the epoch limit ended the run while its validation AUROC was still '
        f"rising, so its AUROC measures the limit as much as the model ({cut} of {len(rows)} "
        "runs; compare architectures at a limit none of them reaches, `--epochs`).",
        "",
        *markdown_table(header, rows),
    ]


def _whole(value) -> str:
    return "" if value is None or pd.isna(value) else str(int(value))
