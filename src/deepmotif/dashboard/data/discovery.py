"""Finding runs: which folders are runs, what each is called, and the listing the pages show.

A run is a folder holding the run directory's config (:data:`deepmotif.rundir.CONFIG`); a
``deepmotif benchmark`` folder ``OUT/<dataset>/<arch>/`` is searched recursively, and its
``benchmark.csv`` supplies DeepBind's published AUROC.

Dataset names
-------------
A run's dataset is, in order: ``config["dataset"]`` or ``config["benchmark_dataset"]`` (written by
``deepmotif benchmark``); the parent folder's name when the run folder is named after its
architecture (or is a ``seed<S>`` folder inside one) and the parent is not a generic name such as ``runs`` (``OUT/CTCF/cnn`` -> ``CTCF``);
the training file's name without its suffixes (``CTCF_K562_AC.seq.gz`` -> ``CTCF_K562``; Zeng's
``<experiment>/train.data`` -> ``<experiment>``; a simulation adds its TFs: ``sim (CTCF)``); the
run folder's name.

Seeds
-----
Several runs of one dataset and architecture (seeds, or a copy) are kept apart: each keeps its
own key (``"<dataset>/<arch> seed <S>"``, the seed read from the run's config) and name (what
the architecture menu lists), and :meth:`Discovery.seed_summary` gives one row per dataset and
architecture with the mean and standard deviation of the test metrics over the seeds.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from deepmotif import rundir
from deepmotif.archs import ARCHS
from deepmotif.errors import DeepMotifError
from deepmotif.rundir.schema import check_metrics

__all__ = ["ARCH_ORDER", "BENCHMARK_TABLE", "Discovery", "RunInfo", "read_info", "scan"]

ARCH_ORDER = ARCHS
#: The table ``deepmotif benchmark`` writes beside its runs (DeepBind's published AUROC).
BENCHMARK_TABLE = "benchmark.csv"
_SUFFIXES = re.compile(
    r"(\.(gz|bz2|xz))?$|(\.(seq|fa|fasta|fna|tsv|csv|txt|data|bed|narrowpeak))+$", re.I
)
_GENERIC_FOLDERS = {"runs", "run", "out", "output", "outputs", "results", "models"}
_SUMMARY_COLUMNS = [
    "key",
    "dataset",
    "arch",
    "name",
    "seed",
    "status",
    "auroc",
    "auprc",
    "accuracy",
    "n_test",
    "valid_auroc",
    "best_epoch",
    "epochs_run",
    "deepbind_star",
    "deepbind",
    "problem",
]


_SEED_COLUMNS = [
    "dataset",
    "arch",
    "name",
    "status",
    "n_runs",
    "n_seeds",
    "auroc",
    "auroc_sd",
    "auroc_min",
    "auroc_max",
    "auprc",
    "auprc_sd",
    "deepbind_star",
    "deepbind",
]


@dataclass
class RunInfo:
    """One run directory as the dashboard sees it.

    Attributes
    ----------
    key : str
        ``"<dataset>/<name>"``.
    path : Path
    dataset, arch : str
    name : str
        The run among its dataset's runs: the architecture, or ``"<arch> seed <S>"`` when the
        dataset has several runs of that architecture (`` (2)``, ``(3)``... when even the
        seeds are equal, as for a copied run).
    seed : int or None
        The training seed recorded in the run's config.
    status : {"finished", "unfinished", "broken"}
    problem : str or None
        Why the run is unfinished or broken, fit to show on the page.
    config, metrics : dict
        Empty when unreadable.
    """

    key: str
    path: Path
    dataset: str
    arch: str
    status: str
    problem: str | None = None
    config: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)
    seed: int | None = None
    name: str = ""

    def __post_init__(self):
        self.name = self.name or self.arch

    @property
    def finished(self) -> bool:
        return self.status == "finished"


def _arch_rank(arch: str) -> tuple[int, str]:
    return (ARCH_ORDER.index(arch) if arch in ARCH_ORDER else len(ARCH_ORDER), arch)


def _strip_suffixes(name: str) -> str:
    prev = None
    while prev != name:
        prev = name
        name = _SUFFIXES.sub("", name)
    return re.sub(r"_(AC|B)$", "", name)


def _num(x) -> float:
    try:
        return float(x) if x is not None else np.nan
    except (TypeError, ValueError):
        return np.nan


def dataset_name(path: Path, config: dict) -> str:
    """The dataset a run belongs to (see the module's notes on dataset names)."""
    for key in ("dataset", "benchmark_dataset"):
        name = config.get(key)
        if isinstance(name, str) and name.strip():
            return name.strip()
    arch = str(config.get("arch", ""))
    if re.fullmatch(r"seed[_-]?\d+", path.name.lower()):  # OUT/<dataset>/<arch>/seed<S>
        path = path.parent
    named_after_arch = path.name.lower() == arch.lower() or path.name.lower() in ARCH_ORDER
    if named_after_arch and path.parent.name and path.parent.name.lower() not in _GENERIC_FOLDERS:
        return path.parent.name
    data = config.get("data") or {}
    train = data.get("train") if isinstance(data, dict) else None
    if isinstance(train, dict) and train.get("path"):
        file = Path(str(train["path"]))
        stem = _strip_suffixes(file.name)
        if stem.lower() == "train" and file.parent.name:  # Zeng et al.: <experiment>/train.data
            stem = file.parent.name
        sim = (train.get("meta") or {}).get("simulation")
        if isinstance(sim, dict) and sim.get("tfs"):
            stem = f"{stem} ({'+'.join(str(t) for t in sim['tfs'])})"
        return stem
    return path.name


def _seed(config: dict) -> int | None:
    """The training seed recorded in a run's config (``seed``, else ``training.seed``)."""
    training = config.get("training")
    for value in (config.get("seed"), training.get("seed") if isinstance(training, dict) else None):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def read_info(path: Path) -> RunInfo:
    """What the listing shows of one run directory (its key is set by :func:`scan`).

    A run whose files cannot be read, or hold values of the wrong type, is ``broken`` with the
    reason in ``problem``; nothing raised while reading one run stops the others.
    """
    try:
        return _read_info(path)
    except DeepMotifError as exc:
        msg = str(exc)
        prefix = f"{path}: "
        msg = msg[len(prefix) :] if msg.startswith(prefix) else msg
        return RunInfo("", path, path.name, "?", "broken", msg)
    except Exception as exc:  # noqa: BLE001 - one unreadable run must not hide the others
        return RunInfo(
            "", path, path.name, "?", "broken", f"unreadable run ({type(exc).__name__}: {exc})"
        )


def _read_info(path: Path) -> RunInfo:
    config = rundir.read_config(path)  # checked: rundir.schema.check_config
    arch = str(config.get("arch", "?"))
    dataset = dataset_name(path, config)
    metrics: dict = {}
    status, problem = "finished", None
    if not (path / rundir.METRICS).is_file():
        status, problem = "unfinished", f"unfinished run (no {rundir.METRICS} yet)"
    else:
        try:
            metrics = json.loads((path / rundir.METRICS).read_text())
        except (OSError, ValueError) as exc:
            status, problem = "broken", f"{rundir.METRICS} is not readable JSON ({exc})"
            metrics = {}
        else:
            check_metrics(metrics, Path(rundir.METRICS))  # a wrong value: the run is broken
        if status == "finished" and not (path / rundir.WEIGHTS).is_file():
            problem = f"no {rundir.WEIGHTS} (nothing can be computed on demand)"
    return RunInfo("", path, dataset, arch, status, problem, config, metrics, _seed(config))


def scan(paths: list[Path]) -> tuple[dict[str, RunInfo], list[str], dict[str, dict]]:
    """Search ``paths`` for runs: ``(key -> RunInfo, problems, dataset -> DeepBind AUROC)``."""
    found: list[Path] = []
    bench_files: list[Path] = []
    for root in paths:
        for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            if BENCHMARK_TABLE in filenames:
                bench_files.append(Path(dirpath) / BENCHMARK_TABLE)
            if rundir.CONFIG in filenames:
                found.append(Path(dirpath))
                dirnames[:] = []  # a run's sub-folders (explain/, motifs/) hold no runs
    problems: list[str] = []
    if not found:
        problems.append(
            f"no run directories (folders with {rundir.CONFIG}) under "
            + ", ".join(str(p) for p in paths)
        )
    infos = [read_info(p) for p in dict.fromkeys(found)]
    infos.sort(
        key=lambda r: (
            r.dataset,
            _arch_rank(r.arch),
            r.seed is None,
            r.seed or 0,
            str(r.path),
        )
    )
    group_size = Counter((r.dataset, r.arch) for r in infos)
    runs: dict[str, RunInfo] = {}
    for info in infos:
        base = info.arch
        if group_size[(info.dataset, info.arch)] > 1 and info.seed is not None:
            base = f"{info.arch} seed {info.seed}"
        name, n = base, 2
        while f"{info.dataset}/{name}" in runs:
            name = f"{base} ({n})"
            n += 1
        info.name, info.key = name, f"{info.dataset}/{name}"
        runs[info.key] = info
        if info.problem:
            problems.append(f"{info.path}: {info.problem}")
    return runs, problems, _read_references(bench_files, problems)


def _read_references(bench_files: list[Path], problems: list[str]) -> dict[str, dict]:
    reference: dict[str, dict] = {}
    for f in bench_files:
        try:
            table = pd.read_csv(f)
        except (OSError, ValueError, pd.errors.ParserError) as exc:
            problems.append(f"{f}: not a readable CSV ({exc})")
            continue
        if "dataset" not in table.columns:
            problems.append(f"{f}: no 'dataset' column")
            continue
        for _, row in table.iterrows():
            ref = reference.setdefault(str(row["dataset"]), {})
            for col in ("deepbind_star", "deepbind"):
                if col in table.columns and pd.notna(row[col]):
                    ref[col] = float(row[col])
    return reference


class Discovery:
    """The run listing of :class:`~deepmotif.dashboard.data.RunStore` (uses its ``paths``,
    ``rescan_seconds`` and ``_lock``)."""

    def refresh(self, force: bool = False) -> None:
        """Search the paths for runs again (at most every ``rescan_seconds`` unless ``force``)."""
        import time

        now = time.monotonic()
        with self._lock:
            if not force and now - self._scanned_at < self.rescan_seconds:
                return
            self._scanned_at = now
        runs, problems, reference = scan(self.paths)
        with self._lock:
            self._runs, self._problems, self._reference = runs, problems, reference

    @property
    def runs(self) -> list[RunInfo]:
        """Every run found, ordered by dataset then architecture."""
        return list(self._runs.values())

    @property
    def problems(self) -> list[str]:
        """Messages about broken or partial runs, fit to show on the page."""
        return list(self._problems)

    def run(self, key: str) -> RunInfo:
        """The run with ``key`` (a DeepMotifError names the known keys when it is unknown)."""
        try:
            return self._runs[key]
        except (KeyError, TypeError):
            raise DeepMotifError(
                f"no run {key!r} (is the dashboard showing an old page?)"
            ) from None

    def datasets(self) -> list[str]:
        """Dataset names, sorted, of the runs that are not broken."""
        return sorted({r.dataset for r in self.runs if r.status != "broken"})

    def runs_for(self, dataset: str, *, finished: bool = False) -> list[RunInfo]:
        """The runs of one dataset, ordered cnn, rnn, cnn-rnn, then others (seeds in order)."""
        out = [r for r in self.runs if r.dataset == dataset and r.status != "broken"]
        return [r for r in out if r.finished] if finished else out

    def run_named(self, dataset: str, name) -> RunInfo | None:
        """The run of ``dataset`` called ``name`` (see :attr:`RunInfo.name`); an architecture's
        name gives its first run (its lowest seed). ``None`` when there is none."""
        runs = self.runs_for(dataset) if isinstance(dataset, str) else []
        for match in (lambda r: r.name == name, lambda r: r.arch == name):
            for r in runs:
                if match(r):
                    return r
        return None

    def reference(self, dataset: str) -> dict:
        """DeepBind's published AUROC for ``dataset`` from a ``benchmark.csv`` (may be empty)."""
        return dict(self._reference.get(dataset, {}))

    def summary(self) -> pd.DataFrame:
        """One row per run: dataset, arch, status, test and validation metrics, DeepBind AUROC."""
        rows = []
        for r in self.runs:
            test = r.metrics.get("test") or {}
            valid = r.metrics.get("valid") or {}
            ref = self.reference(r.dataset)
            rows.append(
                {
                    "key": r.key,
                    "dataset": r.dataset,
                    "arch": r.arch,
                    "name": r.name,
                    "seed": r.seed,
                    "status": r.status,
                    "auroc": _num(test.get("auroc")),
                    "auprc": _num(test.get("auprc")),
                    "accuracy": _num(test.get("accuracy")),
                    "n_test": test.get("n"),
                    "valid_auroc": _num(valid.get("auroc")),
                    "best_epoch": r.metrics.get("best_epoch"),
                    "epochs_run": r.metrics.get("epochs_run"),
                    "deepbind_star": ref.get("deepbind_star", np.nan),
                    "deepbind": ref.get("deepbind", np.nan),
                    "problem": r.problem or "",
                }
            )
        return pd.DataFrame(rows, columns=_SUMMARY_COLUMNS)

    def seed_summary(self) -> pd.DataFrame:
        """One row per dataset and architecture: its runs' test metrics averaged over seeds.

        Columns: ``dataset, arch, name`` (the first run, to select it), ``status`` (finished
        when any run is), ``n_runs``, ``n_seeds`` (finished runs with a test AUROC), ``auroc``,
        ``auroc_sd``, ``auroc_min``, ``auroc_max``, ``auprc``, ``auprc_sd`` (mean and sample
        standard deviation over the finished runs; the spread is NaN for a single run),
        ``deepbind_star``, ``deepbind``. Broken runs are left out.
        """
        table = self.summary()
        table = table[table["status"] != "broken"]
        rows = []
        for (dataset, arch), part in table.groupby(["dataset", "arch"], sort=False):
            done = part[part["status"] == "finished"]
            row = {
                "dataset": dataset,
                "arch": arch,
                "name": (done if len(done) else part)["name"].iloc[0],
                "status": "finished" if len(done) else part["status"].iloc[0],
                "n_runs": len(part),
                "n_seeds": int(done["auroc"].notna().sum()),
            }
            for metric in ("auroc", "auprc"):
                values = done[metric].dropna()
                row[metric] = float(values.mean()) if len(values) else np.nan
                row[f"{metric}_sd"] = float(values.std(ddof=1)) if len(values) > 1 else np.nan
            values = done["auroc"].dropna()
            row["auroc_min"] = float(values.min()) if len(values) else np.nan
            row["auroc_max"] = float(values.max()) if len(values) else np.nan
            row["deepbind_star"] = part["deepbind_star"].iloc[0]
            row["deepbind"] = part["deepbind"].iloc[0]
            rows.append(row)
        return pd.DataFrame(rows, columns=_SEED_COLUMNS)
