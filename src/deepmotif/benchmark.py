"""Many datasets x architectures x seeds: train each, then tables beside DeepBind's published AUROC.

``DATA_DIR`` is scanned for datasets:

* DeepBind pairs ``NAME_AC.seq[.gz]`` (training, positives only) + ``NAME_B.seq[.gz]`` (test);
* Zeng et al. folders holding ``train.data`` and ``test.data`` (the folder name is the dataset);
* any other single supported file (a seeded test split is carved from it); the planted-site
  tables ``*.sites.tsv`` that ``deepmotif simulate`` writes beside its FASTA are not datasets.

Each dataset x architecture x seed gets its own run directory ``OUT/<dataset>/<arch>/seed<S>``
(seeds ``seed .. seed + K - 1``). A finished run is skipped on rerun and an interrupted one
resumed, so a long benchmark can be stopped and continued. The tables are ``OUT/benchmark.csv``
(one row per run), ``OUT/benchmark_summary.csv`` (per dataset x architecture: mean, sd and 95 %
bootstrap interval of test AUROC and AUPRC over test sequences and seeds),
``OUT/benchmark_comparisons.csv`` (paired differences between architectures, and against
DeepBind*'s published AUROC, a win only when the interval excludes the other side) and
``OUT/benchmark.md`` (all of it, see :mod:`deepmotif.benchmark_stats`).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from deepmotif import rundir as runs
from deepmotif.archs import ARCHS
from deepmotif.benchmark_stats import (
    markdown_lines,
    markdown_table,
    run_lines,
    summarize_benchmark,
)
from deepmotif.errors import DeepMotifError

_SUPPORTED = re.compile(r"\.(fa|fasta|fna|seq|data|csv|tsv)(\.gz)?$", re.IGNORECASE)
_DEEPBIND_TRAIN = re.compile(r"^(?P<name>.+)_AC\.seq(\.gz)?$")
_DEEPBIND_TEST = re.compile(r"^(?P<name>.+)_B\.seq(\.gz)?$")


@dataclass(frozen=True)
class BenchmarkDataset:
    """One dataset of a benchmark folder: a name, a training file and an optional test file."""

    name: str
    train: Path
    test: Path | None


def discover_datasets(data_dir) -> list[BenchmarkDataset]:
    """Find the datasets in ``data_dir`` (see the module docstring), sorted by name."""
    root = Path(data_dir)
    if not root.is_dir():
        raise DeepMotifError(f"{root}: not a directory of datasets")
    found: dict[str, BenchmarkDataset] = {}
    used: set[Path] = set()
    for path in sorted(root.iterdir()):
        m = _DEEPBIND_TRAIN.match(path.name)
        if m and path.is_file():
            name = m.group("name")
            test = next(
                (p for p in (root / f"{name}_B.seq.gz", root / f"{name}_B.seq") if p.is_file()),
                None,
            )
            found[name] = BenchmarkDataset(name, path, test)
            used.update({path, test})
    for path in sorted(root.iterdir()):
        if path.is_dir() and (path / "train.data").is_file():
            test = path / "test.data"
            found[path.name] = BenchmarkDataset(
                path.name, path / "train.data", test if test.is_file() else None
            )
        elif (
            path.is_file()
            and path not in used
            and _SUPPORTED.search(path.name)
            and "_B.seq" not in path.name
            and not path.name.endswith(".sites.tsv")  # a simulation's planted sites
        ):
            name = _SUPPORTED.sub("", path.name)
            found.setdefault(name, BenchmarkDataset(name, path, None))
    for path in sorted(root.iterdir()):
        m = _DEEPBIND_TEST.match(path.name)
        if m and path.is_file() and path not in used:
            import warnings

            from deepmotif.errors import DeepMotifWarning

            warnings.warn(
                f"{path}: a DeepBind test file without its training file "
                f"{m.group('name')}_AC.seq[.gz]; skipped",
                DeepMotifWarning,
                stacklevel=2,
            )
    if not found:
        raise DeepMotifError(
            f"{root}: no datasets found (expected DeepBind _AC/_B pairs, Zeng folders or sequence files)"
        )
    return [found[k] for k in sorted(found)]


def default_reference(data_dir) -> Path | None:
    """DeepBind's published AUCs, looked for beside the data folder (``../reference``)."""
    for cand in (Path(data_dir) / "reference", Path(data_dir).parent / "reference"):
        p = cand / "deepbind_encode_aucs.csv"
        if p.is_file():
            return p
    return None


def seed_values(first: int, k: int) -> list[int]:
    """The ``k`` seeds ``first, first + 1, ..., first + k - 1`` of a benchmark."""
    return [int(first) + i for i in range(int(k))]


def run_dir(out, dataset: str, arch: str, seed: int) -> Path:
    """The run directory of one dataset x architecture x seed: ``OUT/<dataset>/<arch>/seed<S>``."""
    return Path(out) / dataset / arch / f"seed{seed}"


def read_reference(path) -> pd.DataFrame:
    """The published AUROC table, indexed by experiment name."""
    try:
        ref = pd.read_csv(path)
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DeepMotifError(f"{path}: not a readable CSV ({exc})") from exc
    missing = {"experiment", "deepbind_star", "deepbind"} - set(ref.columns)
    if missing:
        raise DeepMotifError(f"line 1 of {path}: missing column(s) {', '.join(sorted(missing))}")
    return ref.set_index("experiment")


def _train_one(job: dict) -> dict:
    """Train (or resume, or skip) one dataset x architecture; runs in a worker process."""
    import torch

    from deepmotif.data import read_dataset
    from deepmotif.training import train

    if job.get("threads"):
        torch.set_num_threads(job["threads"])
    out = Path(job["out"])
    if runs.run_is_finished(out):
        return {"dataset": job["dataset"], "arch": job["arch"], "status": "skipped"}
    resume = (out / runs.CHECKPOINT).is_file()
    if out.exists() and not resume and any(out.iterdir()):
        if not (out / runs.CONFIG).is_file():
            raise DeepMotifError(
                f"{out}: not empty and not a run directory; move it away to benchmark here"
            )
        import shutil

        shutil.rmtree(out)  # a run that died before its first checkpoint: start it again
    train_ds = read_dataset(job["train"], seed=job["seed"])
    test_ds = (
        read_dataset(job["test"], seed=job["seed"], length=train_ds.length) if job["test"] else None
    )
    res = train(
        train_ds,
        test_ds,
        arch=job["arch"],
        out=out,
        config=job["config"],
        device=job["device"],
        resume=resume,
        verbose=job["verbose"],
        extra_config={"benchmark_dataset": job["dataset"]},
    )
    return {
        "dataset": job["dataset"],
        "arch": job["arch"],
        "status": "resumed" if resume else "trained",
        "seconds": res.seconds,
    }


def run_benchmark(
    data_dir,
    out,
    *,
    archs=ARCHS,
    datasets: list[str] | None = None,
    config: dict | None = None,
    jobs: int = 1,
    engine="local",
    device=None,
    reference=None,
    motifs: bool = False,
    seeds: int = 1,
    verbose: bool = True,
) -> pd.DataFrame:
    """Train every dataset of ``data_dir`` under every architecture and write the table.

    Parameters
    ----------
    data_dir : path
        Folder of datasets (see :func:`discover_datasets`).
    out : path
        Output folder; ``OUT/<dataset>/<arch>/seed<S>`` per run, and the tables (module docstring).
    archs : sequence of str
    datasets : list of str, optional
        Keep only datasets whose name contains one of these strings.
    config : dict, optional
        Training overrides for every run (e.g. ``{"epochs": 10}``).
    jobs : int
        Runs trained at once (each with ``cpu_count // jobs`` threads).
    engine : {"local", "ray"} or deepmotif.engines.Engine
        Where the runs (and the motif extraction) happen: ``"local"`` (this machine, ``jobs`` at
        once) or an engine from :func:`deepmotif.engines.make_engine`, e.g. a Ray cluster. An
        engine made here is stopped at the end; one passed in is left to its owner. A run that
        fails is reported (a warning line and a row without metrics) and the others go on.
    reference : path, optional
        DeepBind's published AUCs (default: ``reference/deepbind_encode_aucs.csv`` beside ``data_dir``).
    motifs : bool
        Also extract every run's motifs (``RUN/motifs``, kept on rerun), match them to JASPAR and
        write the TF-recovery tables ``recovery.csv`` and ``recovery.md``.
    seeds : int
        Runs per dataset x architecture, with seeds ``config["seed"]`` (default 0) onwards.

    Returns
    -------
    pandas.DataFrame
        One row per dataset x architecture (the content of ``benchmark.csv``).
    """
    from deepmotif.engines import Engine, make_engine

    if isinstance(engine, Engine):
        return _benchmark(data_dir, out, archs, datasets, config, jobs, engine, device, reference, motifs, seeds, verbose)  # fmt: skip
    with make_engine(engine, jobs=jobs) as eng:
        return _benchmark(data_dir, out, archs, datasets, config, jobs, eng, device, reference, motifs, seeds, verbose)  # fmt: skip


def _benchmark(data_dir, out, archs, datasets, config, jobs, engine, device, reference, motifs, seeds, verbose):  # fmt: skip
    from deepmotif.training.config import resolve_train_config

    if not archs:
        raise DeepMotifError(
            f"--archs: no architecture given (expected some of {', '.join(ARCHS)})"
        )
    for a in archs:
        if a not in ARCHS:
            raise DeepMotifError(
                f"--archs: unknown architecture {a!r} (expected {', '.join(ARCHS)})"
            )
    cfg = resolve_train_config(config)
    found = discover_datasets(data_dir)
    if datasets:
        found = [d for d in found if any(s in d.name for s in datasets)]
        if not found:
            raise DeepMotifError(
                f"--datasets {','.join(datasets)}: matches no dataset in {data_dir}"
            )
    ref_path = reference or default_reference(data_dir)
    ref = read_reference(ref_path) if ref_path else None
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise DeepMotifError(f"--out {out}: exists and is a file")

    threads = max(1, (os.cpu_count() or 1) // max(1, jobs))
    seed_list = seed_values(cfg["seed"], seeds)
    job_list = [
        {
            "dataset": d.name,
            "arch": a,
            "train": str(d.train),
            "test": str(d.test) if d.test else None,
            "out": str(run_dir(out, d.name, a, s)),
            "config": {**cfg, "seed": s},
            "seed": s,
            "device": device,
            "verbose": verbose and jobs == 1,
            "threads": threads if jobs > 1 else None,
        }
        for d in found
        for a in archs
        for s in seed_list
    ]
    _check_data(job_list)  # corrupt data is refused before anything is written
    engine.start()  # Ray installed, cluster reachable, resources present: before writing
    out.mkdir(parents=True, exist_ok=True)
    failed = _run_jobs(job_list, engine, verbose)
    table = collect_results(out, [d.name for d in found], archs, ref, seed_list)
    table = _with_failures(table, failed)
    write_tables(table, out, archs)
    if motifs:
        run_dirs = [Path(j["out"]) for j in job_list if runs.run_is_finished(j["out"])]
        write_recovery(run_dirs, out, verbose=verbose, device=device, engine=engine)
    return table


def _check_data(job_list: list[dict]) -> None:
    """Read every data file an unfinished run needs, so bad data fails before ``--out`` exists;
    refuse a run left in the layout before seeds (``OUT/<dataset>/<arch>``)."""
    from deepmotif.data import read_dataset

    checked = set()
    for job in job_list:
        old = Path(job["out"]).parent
        if (old / runs.CONFIG).is_file():
            seed = runs.read_config(old).get("seed", 0)
            raise DeepMotifError(
                f"{old}: a run in the layout before --seeds; move it to {old}/seed{seed} "
                "(its seed) to keep it, or benchmark into another --out"
            )
        if runs.run_is_finished(job["out"]):
            continue
        for path in (job["train"], job["test"]):
            if path and path not in checked:
                read_dataset(path, negatives="none")
                checked.add(path)


def _motifs_one(job: dict) -> None:
    """Extract and match one run's motifs into ``RUN/motifs``; runs in a worker (or in place)."""
    from deepmotif.motifs.run import run_motifs

    run = job["out"]
    run_motifs(run, out=runs.motifs_dir(run), verbose=False, device=job["device"])


def write_recovery(
    run_dirs, out, *, verbose: bool = True, device=None, engine=None
) -> pd.DataFrame:
    """Extract and match every run's motifs (kept when present; the models run on ``device``),
    then the recovery tables. Each run is one job of ``engine`` (default: in this process); a
    run without motifs (e.g. no correctly classified positive) is reported and left out."""
    from deepmotif.engines.local import LocalEngine
    from deepmotif.motifs.recovery import recovery_table

    def has_motifs(run) -> bool:
        return runs.motif_file(run, runs.MOTIFS_JSON).is_file()

    todo = [{"out": str(run), "device": device} for run in run_dirs if not has_motifs(run)]
    if todo:
        (engine or LocalEngine()).run(
            _motifs_one, todo, desc="motifs", label=lambda j: f"{j['out']}: motifs", verbose=verbose
        )
    done = [run for run in run_dirs if has_motifs(run)]
    table = recovery_table(done)
    seed_of = {str(r): _seed_of(r) for r in done}
    table.insert(2, "seed", [seed_of.get(str(r), _seed_of(r)) for r in table["run"]])
    with runs.atomic_path(Path(out) / "recovery.csv") as tmp:
        table.to_csv(tmp, index=False)
    seeds = sorted({s for s in table["seed"] if s is not None})
    lines = ["# TFs recovered (known TF among the top-5 Tomtom matches, q < 0.05)", ""]
    if len(seeds) > 1:
        lines += [f"One count per seed (seeds {', '.join(map(str, seeds))}), in that order.", ""]
    for title, kw in (
        ("strict", {}),
        ("also counting paralogs or the TF's own matrix at any rank", _LENIENT),
    ):
        summary = _recovery_over_seeds(table, seeds, **kw)
        if summary.empty:
            continue
        rows = [[str(v) for v in row] for row in summary.itertuples(index=False)]
        lines += [f"## {title}", "", *markdown_table(list(summary.columns), rows), ""]
    with runs.atomic_path(Path(out) / "recovery.md") as tmp:
        tmp.write_text("\n".join(lines) + "\n")
    return table


_LENIENT = {"paralogs": True, "any_rank": True}


def _seed_of(run) -> int | None:
    """The seed of a benchmark run directory ``.../seed<S>``, else None."""
    m = re.fullmatch(r"seed(\d+)", Path(str(run)).name)
    return int(m.group(1)) if m else None


def _recovery_over_seeds(table: pd.DataFrame, seeds, **kw) -> pd.DataFrame:
    """The recovery summary, its ``k/n`` cells joined over seeds (``"3/5, 4/5, 3/5"``)."""
    from deepmotif.motifs.recovery import recovery_summary

    if len(seeds) <= 1:
        return recovery_summary(table, **kw)
    parts = [recovery_summary(table[table["seed"] == s], **kw) for s in seeds]
    parts = [p.set_index("arch") for p in parts if not p.empty]
    if not parts:
        return pd.DataFrame()
    index = list(dict.fromkeys(a for p in parts for a in p.index))
    columns = list(dict.fromkeys(c for p in parts for c in p.columns))
    joined = pd.DataFrame(
        [
            [", ".join(str(p.at[a, c]) if a in p.index and c in p else "-" for p in parts)]
            for a in index
            for c in columns
        ]
    )
    cells = joined[0].to_numpy().reshape(len(index), len(columns))
    return pd.DataFrame(cells, index=pd.Index(index, name="arch"), columns=columns).reset_index()


def _run_jobs(job_list: list[dict], engine, verbose: bool) -> list:
    """Train every job not yet finished on ``engine``; the failed jobs' results."""
    todo = [job for job in job_list if not runs.run_is_finished(job["out"])]
    if not engine.in_process:  # no per-run progress bars from workers; the engine's threads
        todo = [
            {**job, "verbose": False, "threads": engine.threads or job.get("threads")}
            for job in todo
        ]
    results = engine.run(_train_one, todo, desc="benchmark runs", label=_label, verbose=verbose)
    return [r for r in results if not r.ok]


def _label(job: dict) -> str:
    seed = f" seed {job['seed']}" if job.get("seed") is not None else ""
    return f"{job['dataset']} {job['arch']}{seed}"


def _with_failures(table: pd.DataFrame, failed: list) -> pd.DataFrame:
    """``table`` plus one row per failed run: its job's keys, no metrics, the ``error``."""
    if not failed:
        return table
    rows = [
        {**{k: r.job[k] for k in table.columns if k in r.job}, "error": r.error} for r in failed
    ]
    failures = pd.DataFrame(rows, columns=[*table.columns, "error"])
    return failures if table.empty else pd.concat([table, failures], ignore_index=True)


RESULT_COLUMNS = [
    "dataset",
    "arch",
    "seed",
    "auroc",
    "auprc",
    "accuracy",
    "n_test",
    "epochs_run",
    "epoch_limit",
    "best_epoch",
    "lr_drops",
    "end_lr",
    "still_learning",
    "deepbind_star",
    "deepbind",
    "run",
]


def collect_results(
    out, dataset_names, archs, ref: pd.DataFrame | None, seeds=(0,)
) -> pd.DataFrame:
    """One row per finished run under ``out`` with its test metrics and the published AUROCs."""
    rows = []
    for name in dataset_names:
        for arch in archs:
            for seed in seeds:
                run = run_dir(out, name, arch, seed)
                if runs.run_is_finished(run):
                    rows.append(_result_row(run, name, arch, seed, ref, out))
    return pd.DataFrame(rows, columns=RESULT_COLUMNS)


def _result_row(run: Path, name, arch, seed, ref, out) -> dict:
    m = runs.read_metrics(run)
    return {
        "dataset": name,
        "arch": arch,
        "seed": seed,
        "auroc": m["test"]["auroc"],
        "auprc": m["test"]["auprc"],
        "accuracy": m["test"]["accuracy"],
        "n_test": m["test"]["n"],
        "epochs_run": m.get("epochs_run"),
        "best_epoch": m.get("best_epoch"),
        "lr_drops": m.get("lr_drops", 0),
        **_how_it_ended(run),
        "deepbind_star": _ref(ref, name, "deepbind_star"),
        "deepbind": _ref(ref, name, "deepbind"),
        "run": run.relative_to(out).as_posix(),
    }


def _how_it_ended(run: Path) -> dict:
    """``epoch_limit`` (the config's ``epochs``), ``end_lr``: the learning rate of the run's
    last epoch as a fraction of its base rate (NaN when either is not recorded), and
    ``still_learning``: the limit ended a run whose validation AUROC was still rising
    (:func:`~deepmotif.training.health.still_learning`, from its history, so runs written
    before metrics.json recorded it are judged too). With ``epochs_run`` below ``epoch_limit``
    and ``end_lr`` above :data:`~deepmotif.training.schedule.LR_DROP_ABOVE`, ``lr_drops`` would
    have halved the rate instead of stopping, so a table can be checked against such a change
    without the runs."""
    from deepmotif.training.health import still_learning

    training = runs.read_json(run / runs.CONFIG).get("training", {})
    limit, base = training.get("epochs"), training.get("lr")
    patience = training.get("patience")
    out = {
        "epoch_limit": limit if isinstance(limit, int) else np.nan,
        "end_lr": np.nan,
        "still_learning": False,
    }
    if not (run / runs.HISTORY).is_file():
        return out
    history = runs.read_history(run)
    if history.empty:
        return out
    if isinstance(base, (int, float)) and base > 0 and "lr" in history.columns:
        out["end_lr"] = float(history["lr"].iloc[-1]) / float(base)
    if isinstance(limit, int) and isinstance(patience, int) and "valid_auroc" in history.columns:
        out["still_learning"] = still_learning(history["valid_auroc"], limit, patience) is not None
    return out


def _ref(ref, name, col):
    if ref is None or name not in ref.index:
        return np.nan
    return float(ref.loc[name, col])


def wide_table(table: pd.DataFrame, archs) -> pd.DataFrame:
    """Datasets x (AUROC per arch, DeepBind*, DeepBind, AUPRC per arch) with a mean row.

    Several seeds of one dataset x architecture are averaged."""
    if table.empty:
        return pd.DataFrame()
    auroc = table.pivot_table(
        index="dataset", columns="arch", values="auroc", aggfunc="mean"
    ).reindex(columns=list(archs))
    auprc = table.pivot_table(
        index="dataset", columns="arch", values="auprc", aggfunc="mean"
    ).reindex(columns=list(archs))
    refs = table.groupby("dataset")[["deepbind_star", "deepbind"]].first()
    wide = pd.concat(
        [
            auroc.add_suffix(" AUROC"),
            refs.rename(columns={"deepbind_star": "DeepBind* AUROC", "deepbind": "DeepBind AUROC"}),
            auprc.add_suffix(" AUPRC"),
        ],
        axis=1,
    )
    wide.loc["mean"] = wide.mean(numeric_only=True)
    return wide


def write_tables(table: pd.DataFrame, out, archs, *, n_bootstrap: int = 2000) -> pd.DataFrame:
    """``benchmark.csv`` (one row per run), ``benchmark_summary.csv`` (mean, sd, 95 % interval
    per dataset x architecture), ``benchmark_comparisons.csv`` (paired differences, wins) and
    ``benchmark.md`` and the figure ``benchmark.png``, atomically. Returns the summary."""
    out = Path(out)
    summary, comparisons = summarize_benchmark(table, out, archs, n_bootstrap=n_bootstrap)
    with runs.atomic_path(out / "benchmark.csv") as tmp:
        table.to_csv(tmp, index=False, float_format="%.4f")
    with runs.atomic_path(out / "benchmark_summary.csv") as tmp:
        summary.to_csv(tmp, index=False, float_format="%.4f")
    with runs.atomic_path(out / "benchmark_comparisons.csv") as tmp:
        comparisons.to_csv(tmp, index=False, float_format="%.4f")
    lines = markdown_lines(summary, comparisons, archs, n_bootstrap=n_bootstrap)
    lines += run_lines(table)
    write_figure(summary, out / "benchmark")
    with runs.atomic_path(out / "benchmark.md") as tmp:
        tmp.write_text("\n".join(lines) + "\n")
    return summary


def write_figure(summary: pd.DataFrame, path_stem) -> None:
    """``benchmark.png``: test AUROC per dataset and architecture, the mean over seeds as bars
    with their 95 % intervals, DeepBind*'s published AUROC as diamonds (the mean row is in
    ``benchmark.md``, not drawn)."""
    from deepmotif.plots.curves import save_figure
    from deepmotif.plots.report import auroc_figure

    per = summary[summary["dataset"] != "mean"]
    if per.empty or per["auroc_mean"].isna().all():
        return
    frame = per.rename(columns={"auroc_mean": "auroc"}).assign(status="finished")
    save_figure(auroc_figure(frame), path_stem)
