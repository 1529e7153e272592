"""The dashboard's data-access layer: find run directories, read them, compute what is missing.

:class:`RunStore` is the only object the pages talk to. It

* discovers runs under the given paths (a run is a folder holding ``config.json``; a
  ``deepmotif benchmark`` folder ``OUT/<dataset>/<arch>/`` is searched recursively, and its
  ``benchmark.csv`` supplies DeepBind's published AUROC);
* reads each file once and keeps the parsed result until the file changes (keyed by path,
  modification time and size), so a run that finishes while the dashboard is open shows up;
* reads precomputed explanations (``RUN/explain/saliency.npz``, ``temporal.npz``,
  ``optimize.npz``) and motifs (``RUN/motifs/matches.tsv``, ``motifs.meme``) when present, and
  otherwise computes them on demand with :mod:`deepmotif.explain`, caching the results;
* never unpickles anything (safetensors weights, ``numpy.load(allow_pickle=False)``) and turns
  every broken or partial run into a :class:`~deepmotif.errors.DeepMotifError` whose message the
  page shows instead of failing.

Dataset names
-------------
A run's dataset is, in order: ``config["dataset"]`` or ``config["benchmark_dataset"]`` (written by
``deepmotif benchmark``); the parent folder's name when the run folder is named after its
architecture and the parent is not a generic name such as ``runs`` (``OUT/CTCF/cnn`` -> ``CTCF``);
the training file's name without its suffixes (``CTCF_K562_AC.seq.gz`` -> ``CTCF_K562``; Zeng's
``<experiment>/train.data`` -> ``<experiment>``; a simulation adds its TFs: ``sim (CTCF)``); the
run folder's name.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from deepmotif.archs import ARCHS
from deepmotif.errors import DeepMotifError
from deepmotif.motifs.align import align_logos, informative_window  # noqa: F401

ARCH_ORDER = ARCHS
DNA = "ACGTN"
#: Files a browser may download from a run, relative to the run directory (nothing else is served).
DOWNLOADABLE = {
    "config.json": "application/json",
    "metrics.json": "application/json",
    "history.csv": "text/csv",
    "test.tsv": "text/tab-separated-values",
    "roc.csv": "text/csv",
    "pr.csv": "text/csv",
    "motifs/matches.tsv": "text/tab-separated-values",
    "motifs/motifs.meme": "text/plain",
}
#: Class optimization computed on demand (the quickstart's settings: a few seconds per model on
#: two CPU cores, against about three times that for the 1000 steps of the paper).
ON_DEMAND_OPTIMIZATION = {"n_restarts": 16, "steps": 300}
_SUFFIXES = re.compile(
    r"(\.(gz|bz2|xz))?$|(\.(seq|fa|fasta|fna|tsv|csv|txt|data|bed|narrowpeak))+$", re.I
)


def _arch_rank(arch: str) -> tuple[int, str]:
    return (ARCH_ORDER.index(arch) if arch in ARCH_ORDER else len(ARCH_ORDER), arch)


def _strip_suffixes(name: str) -> str:
    prev = None
    while prev != name:
        prev = name
        name = _SUFFIXES.sub("", name)
    return re.sub(r"_(AC|B)$", "", name)


@dataclass
class RunInfo:
    """One run directory as the dashboard sees it.

    Attributes
    ----------
    key : str
        ``"<dataset>/<arch>"`` (with `` (2)``, ``(3)``... when two runs would share it).
    path : Path
    dataset, arch : str
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

    @property
    def finished(self) -> bool:
        return self.status == "finished"


@dataclass
class Explanation:
    """What the sequence explorer shows for one architecture and one sequence.

    Attributes
    ----------
    arch : str
    sequence : str
        Length ``L``.
    score : float or None
        Predicted probability of "bound".
    gradient : numpy.ndarray, shape (4, L), or None
        d logit / d input.
    saliency : numpy.ndarray, shape (4, L), or None
        ``|gradient| * input``: non-zero only at the base present.
    forward, backward : numpy.ndarray, shape (L,), or None
        Temporal output scores (probability after reading the prefix / the suffix).
    source : str
        ``"precomputed"``, ``"computed"`` or a mix (``"saliency precomputed, temporal computed"``).
    problems : list of str
        What could not be shown and why.
    """

    arch: str
    sequence: str
    score: float | None = None
    gradient: np.ndarray | None = None
    saliency: np.ndarray | None = None
    forward: np.ndarray | None = None
    backward: np.ndarray | None = None
    source: str = ""
    problems: list = field(default_factory=list)


@dataclass
class Optimized:
    """Class optimization of one run: the optimised input as a PWM."""

    pwm: np.ndarray  # (4, L), columns sum to 1
    score: float | None  # the best restart's final logit (``scores`` of optimize.npz)
    source: str


# --------------------------------------------------------------------------------------------
# Validation of pasted input
# --------------------------------------------------------------------------------------------


def clean_sequence(text: str, *, max_length: int = 1000, min_length: int = 10) -> str:
    """Validate a pasted DNA sequence and return it upper-case without whitespace.

    Accepted: one sequence of A, C, G, T, N (any case), with line breaks and spaces anywhere
    and an optional FASTA header line (``>name``) first.

    Raises
    ------
    DeepMotifError
        Empty input, more than one FASTA record, a letter that is not DNA (its position is
        named), or a length outside ``[min_length, max_length]``.
    """
    if not isinstance(text, str) or not text.strip():
        raise DeepMotifError("paste a DNA sequence (A, C, G, T or N) first")
    # Refuse absurdly long input before doing any work on it.
    if len(text) > 4 * max_length + 1000:
        raise DeepMotifError(
            f"the pasted text is {len(text)} characters long; sequences are capped at "
            f"{max_length} bp"
        )
    lines = text.strip().splitlines()
    if lines[0].lstrip().startswith(">"):
        lines = lines[1:]
    if any(line.lstrip().startswith(">") for line in lines):
        raise DeepMotifError("paste one sequence only (found more than one FASTA header '>')")
    seq = re.sub(r"\s+", "", "".join(lines)).upper()
    if not seq:
        raise DeepMotifError("the pasted text holds a FASTA header but no sequence")
    bad = re.search(f"[^{DNA}]", seq)
    if bad:
        letter = bad.group(0)
        raise DeepMotifError(
            f"position {bad.start() + 1}: {letter!r} is not a DNA letter (A, C, G, T, N)"
        )
    if len(seq) > max_length:
        raise DeepMotifError(f"the sequence is {len(seq)} bp long; at most {max_length} bp allowed")
    if len(seq) < min_length:
        raise DeepMotifError(f"the sequence is {len(seq)} bp long; at least {min_length} bp needed")
    return seq


# --------------------------------------------------------------------------------------------
# Small thread-safe caches
# --------------------------------------------------------------------------------------------


class _LRU:
    """A bounded, thread-safe mapping that computes missing values once per key."""

    def __init__(self, size: int):
        self.size = size
        self._data: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self._key_locks: dict = {}

    def get(self, key, compute):
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                return self._data[key]
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:  # one computation per key; others wait for it
            with self._lock:
                if key in self._data:
                    return self._data[key]
            value = compute()
            with self._lock:
                self._data[key] = value
                self._data.move_to_end(key)
                while len(self._data) > self.size:
                    self._data.popitem(last=False)
                self._key_locks.pop(key, None)
            return value

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


def _stamp(path: Path) -> tuple:
    st = path.stat()
    return (str(path), st.st_mtime_ns, st.st_size)


def _to_numpy(x) -> np.ndarray:
    if hasattr(x, "detach"):
        x = x.detach().float().cpu().numpy()
    return np.asarray(x, dtype=np.float32)


# --------------------------------------------------------------------------------------------
# The store
# --------------------------------------------------------------------------------------------


class RunStore:
    """Read-only access to the runs under ``paths``, with on-demand computation and caching.

    Parameters
    ----------
    paths : sequence of path
        Run directories, or folders searched recursively for them.
    compute : bool
        Compute missing explanations and optimizations on demand (needs the runs' weights).
    max_length : int
        Longest sequence accepted from the paste box.
    cache_size : int
        How many computed explanations to keep in memory.
    torch_threads : int, optional
        Set torch's intra-op threads to this when the first model is loaded (the server answers
        requests in parallel threads; one torch thread each avoids oversubscription, which on a
        busy 2-core machine made one LSTM pass 100 times slower). ``None`` leaves torch alone.
    rescan_seconds : float
        Minimum time between two searches of ``paths`` for new runs (see :meth:`refresh`).
    """

    def __init__(
        self,
        paths,
        *,
        compute: bool = True,
        max_length: int = 1000,
        cache_size: int = 512,
        rescan_seconds: float = 2.0,
        torch_threads: int | None = None,
    ):
        if isinstance(paths, str | os.PathLike):
            paths = [paths]
        self.paths = [Path(p) for p in paths]
        if not self.paths:
            raise DeepMotifError("give at least one run directory (or a folder of runs)")
        for p in self.paths:
            if not p.exists():
                raise DeepMotifError(f"{p}: no such file or directory")
            if not p.is_dir():
                raise DeepMotifError(
                    f"{p}: not a directory (expected a run directory or a folder of runs)"
                )
        self.compute = compute
        self.max_length = max_length
        self.rescan_seconds = rescan_seconds
        self.torch_threads = torch_threads
        self._files = _LRU(1024)
        self._computed = _LRU(cache_size)
        self._models = _LRU(64)  # models and the JASPAR database, apart so results never evict them
        self._lock = threading.Lock()
        self._scanned_at = -1e9
        self._runs: dict[str, RunInfo] = {}
        self._problems: list[str] = []
        self._reference: dict[str, dict] = {}
        self.refresh(force=True)

    # ---------------------------------------------------------------- discovery
    def refresh(self, force: bool = False) -> None:
        """Search the paths for runs again (at most every ``rescan_seconds`` unless ``force``)."""
        import time

        now = time.monotonic()
        with self._lock:
            if not force and now - self._scanned_at < self.rescan_seconds:
                return
            self._scanned_at = now
        runs, problems, reference = self._scan()
        with self._lock:
            self._runs, self._problems, self._reference = runs, problems, reference

    def _scan(self):
        found: list[Path] = []
        bench_files: list[Path] = []
        for root in self.paths:
            for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                if "benchmark.csv" in filenames:
                    bench_files.append(Path(dirpath) / "benchmark.csv")
                if "config.json" in filenames:
                    found.append(Path(dirpath))
                    dirnames[:] = []  # a run's sub-folders (explain/, motifs/) hold no runs
        problems: list[str] = []
        if not found:
            problems.append(
                "no run directories (folders with config.json) under "
                + ", ".join(str(p) for p in self.paths)
            )
        infos = [self._read_info(p) for p in dict.fromkeys(found)]
        infos.sort(key=lambda r: (r.dataset, _arch_rank(r.arch), str(r.path)))
        runs: dict[str, RunInfo] = {}
        for info in infos:
            key = f"{info.dataset}/{info.arch}"
            n = 2
            while key in runs:
                key = f"{info.dataset}/{info.arch} ({n})"
                n += 1
            info.key = key
            runs[key] = info
            if info.problem:
                problems.append(f"{info.path}: {info.problem}")
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
        return runs, problems, reference

    def _read_info(self, path: Path) -> RunInfo:
        from deepmotif import rundir as run_files

        config: dict = {}
        try:
            config = run_files.read_config(path)
        except DeepMotifError as exc:
            msg = str(exc)
            prefix = f"{path}: "
            msg = msg[len(prefix) :] if msg.startswith(prefix) else msg
            return RunInfo("", path, path.name, "?", "broken", msg)
        arch = str(config.get("arch", "?"))
        dataset = _dataset_name(path, config)
        metrics: dict = {}
        status, problem = "finished", None
        if not (path / run_files.METRICS).is_file():
            status, problem = "unfinished", "unfinished run (no metrics.json yet)"
        else:
            try:
                metrics = json.loads((path / run_files.METRICS).read_text())
                if not isinstance(metrics, dict):
                    raise ValueError("not a JSON object")
            except (OSError, ValueError) as exc:
                status, problem = "broken", f"metrics.json is not readable JSON ({exc})"
                metrics = {}
            if status == "finished" and not (path / run_files.WEIGHTS).is_file():
                problem = "no model.safetensors (nothing can be computed on demand)"
        return RunInfo("", path, dataset, arch, status, problem, config, metrics)

    # ---------------------------------------------------------------- listing
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
        """The runs of one dataset, ordered cnn, rnn, cnn-rnn, then others."""
        out = [r for r in self.runs if r.dataset == dataset and r.status != "broken"]
        return [r for r in out if r.finished] if finished else out

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
        columns = [
            "key",
            "dataset",
            "arch",
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
        return pd.DataFrame(rows, columns=columns)

    def cached(self, key: tuple, compute):
        """``compute()`` once per ``key`` (kept in the store's bounded in-memory cache)."""
        return self._computed.get(("user", *key), compute)

    # ---------------------------------------------------------------- files
    def _file(self, path: Path, parse):
        """``parse(path)`` cached until the file changes."""
        try:
            stamp = _stamp(path)
        except FileNotFoundError:
            raise DeepMotifError(f"{path}: missing") from None
        return self._files.get(("file", *stamp, parse.__name__), lambda: parse(path))

    def file_path(self, key: str, name: str) -> Path:
        """The path of a downloadable run file, refusing anything not in :data:`DOWNLOADABLE`.

        The resolved path must lie inside the run directory (a symbolic link pointing elsewhere
        is refused), so no request can read a file outside the given runs.
        """
        if name not in DOWNLOADABLE:
            raise DeepMotifError(f"{name!r} is not a file the dashboard serves")
        run = self.run(key)
        root = run.path.resolve()
        path = (run.path / name).resolve()
        if root not in path.parents or not path.is_file():
            raise DeepMotifError(f"{run.key} has no {name}")
        return path

    def history(self, key: str) -> pd.DataFrame:
        """``history.csv`` of a run: one row per epoch."""
        path = self.run(key).path / "history.csv"
        if not path.is_file():
            raise DeepMotifError(f"{self.run(key).key}: no history.csv")
        return self._file(path, _read_csv)

    def curves(self, key: str, split: str = "test") -> dict:
        """ROC and PR curves of one split: ``{"roc": DataFrame(fpr, tpr), "pr": DataFrame(recall, precision)}``."""
        out = {}
        run = self.run(key)
        for kind in ("roc", "pr"):
            path = run.path / f"{kind}.csv"
            if not path.is_file():
                raise DeepMotifError(f"{run.key}: no {kind}.csv")
            table = self._file(path, _read_csv)
            if "split" not in table.columns:
                raise DeepMotifError(f"{path}: no 'split' column")
            part = table[table["split"] == split]
            if part.empty:
                raise DeepMotifError(f"{path}: no rows for the {split} split")
            out[kind] = part.reset_index(drop=True)
        return out

    def test_table(self, key: str) -> pd.DataFrame:
        """The run's test sequences: ``id, sequence, label, score`` (row order = index)."""
        run = self.run(key)
        path = run.path / "test.tsv"
        if not path.is_file():
            raise DeepMotifError(f"{run.key}: no test.tsv (the run holds no test sequences)")
        return self._file(path, _read_test_table)

    def reference_run(self, dataset: str, arch: str | None = None) -> RunInfo:
        """The run whose test set the explorer lists: ``arch``'s when it has one, else the first."""
        runs = [r for r in self.runs_for(dataset) if (r.path / "test.tsv").is_file()]
        if not runs:
            raise DeepMotifError(f"{dataset}: no run holds test sequences (test.tsv)")
        for r in runs:
            if r.arch == arch:
                return r
        return runs[0]

    def sequence_order(self, key: str, order: str = "index", label: str = "all") -> pd.DataFrame:
        """The test table filtered by ``label`` (``"all"``, ``"1"``, ``"0"``) and sorted by ``order``.

        Orders: ``index`` (file order), ``score-desc``, ``score-asc``, ``confident`` (largest
        ``|score - 0.5|`` first), ``wrong`` (misclassified at 0.5 first, by ``|score - label|``).
        The result keeps an ``index`` column: the row number in test.tsv.
        """
        table = self.test_table(key).copy()
        table.insert(0, "index", np.arange(len(table)))
        if label in ("0", "1", 0, 1):
            table = table[table["label"] == int(label)]
        score = table["score"].to_numpy(dtype=float)
        if order == "score-desc":
            idx = np.argsort(-score, kind="stable")
        elif order == "score-asc":
            idx = np.argsort(score, kind="stable")
        elif order == "confident":
            idx = np.argsort(-np.abs(score - 0.5), kind="stable")
        elif order == "wrong":
            idx = np.argsort(-np.abs(score - table["label"].to_numpy(dtype=float)), kind="stable")
        elif order == "index":
            idx = np.arange(len(table))
        else:
            raise DeepMotifError(f"unknown order {order!r}")
        return table.iloc[idx].reset_index(drop=True)

    # ---------------------------------------------------------------- models and explanations
    def model(self, key: str):
        """The run's model (loaded once, CPU, eval mode; never unpickles)."""
        from deepmotif.rundir import load_run

        run = self.run(key)
        if not run.finished:
            raise DeepMotifError(f"{run.key}: {run.problem or 'the run is not finished'}")
        weights = run.path / "model.safetensors"
        if not weights.is_file():
            raise DeepMotifError(f"{run.key}: no model.safetensors, so nothing can be computed")
        stamp = _stamp(weights)
        if self.torch_threads:
            import torch

            if torch.get_num_threads() != self.torch_threads:
                torch.set_num_threads(self.torch_threads)
        return self._models.get(("model", *stamp), lambda: load_run(run.path).model)

    def _npz(self, key: str, name: str) -> dict | None:
        """``RUN/explain/<name>.npz`` as a dict of arrays (None when absent)."""
        path = self.run(key).path / "explain" / f"{name}.npz"
        if not path.is_file():
            return None
        return self._file(path, _read_npz)

    def _precomputed_row(self, key: str, name: str, seq_id: str, fields: tuple) -> dict | None:
        data = self._npz(key, name)
        if data is None or "ids" not in data:
            return None
        stamp = _stamp(self.run(key).path / "explain" / f"{name}.npz")
        index = self._files.get(
            ("ids", *stamp), lambda: {str(v): i for i, v in enumerate(data["ids"])}
        )
        i = index.get(str(seq_id))
        if i is None:
            return None
        out = {}
        for f in fields:
            if f not in data:
                raise DeepMotifError(f"{self.run(key).path}/explain/{name}.npz: no array {f!r}")
            if len(data[f]) != len(data["ids"]):
                raise DeepMotifError(
                    f"{self.run(key).path}/explain/{name}.npz: {f!r} has {len(data[f])} rows "
                    f"but there are {len(data['ids'])} ids"
                )
            out[f] = np.asarray(data[f][i], dtype=np.float32)
        return out

    def explain_test(self, dataset: str, seq_id: str, *, reference_arch: str | None = None) -> dict:
        """Explanations of one test sequence (by id) for every finished run of ``dataset``.

        Returns
        -------
        dict
            ``arch -> Explanation`` in architecture order. Precomputed files are used where
            they hold the sequence; the rest is computed (when ``compute`` is on) and cached.
        """
        ref = self.reference_run(dataset, reference_arch)
        table = self.test_table(ref.key)
        hits = np.nonzero(table["id"].to_numpy() == str(seq_id))[0]
        if len(hits) == 0:
            raise DeepMotifError(f"{ref.key}: no test sequence with id {seq_id!r}")
        sequence = table["sequence"].iloc[hits[0]]
        out = {}
        for run in self.runs_for(dataset, finished=True):
            out[run.arch] = self._explain_one(run, sequence, seq_id)
        if not out:
            raise DeepMotifError(f"{dataset}: no finished run")
        return out

    def explain_sequence(self, dataset: str, sequence: str) -> dict:
        """Predictions and explanations of a pasted sequence for every finished run of ``dataset``.

        ``sequence`` is validated with :func:`clean_sequence` (length capped at ``max_length``).
        """
        sequence = clean_sequence(sequence, max_length=self.max_length)
        out = {}
        for run in self.runs_for(dataset, finished=True):
            out[run.arch] = self._explain_one(run, sequence, None)
        if not out:
            raise DeepMotifError(f"{dataset}: no finished run")
        return out

    def _explain_one(self, run: RunInfo, sequence: str, seq_id: str | None) -> Explanation:
        ex = Explanation(run.arch, sequence)
        sources = {}
        # Score: the run's own test table, else the model.
        if seq_id is not None:
            try:
                table = self.test_table(run.key)
                hit = table.index[table["id"] == str(seq_id)]
                if len(hit) and table["sequence"].iloc[hit[0]] == sequence:
                    ex.score = float(table["score"].iloc[hit[0]])
            except DeepMotifError:
                pass
        # Saliency and temporal scores: precomputed for test sequences, else computed.
        if seq_id is not None:
            try:
                row = self._precomputed_row(run.key, "saliency", seq_id, ("saliency", "gradient"))
                if row is not None:
                    ex.saliency, ex.gradient = row["saliency"], row["gradient"]
                    sources["saliency"] = "precomputed"
            except DeepMotifError as exc:
                ex.problems.append(str(exc))
            try:
                row = self._precomputed_row(run.key, "temporal", seq_id, ("forward", "backward"))
                if row is not None:
                    ex.forward, ex.backward = row["forward"], row["backward"]
                    sources["temporal"] = "precomputed"
            except DeepMotifError as exc:
                ex.problems.append(str(exc))
        needs = [
            what
            for what, have in (
                ("score", ex.score is not None),
                ("saliency", ex.gradient is not None),
                ("temporal", ex.forward is not None),
            )
            if not have
        ]
        if needs and not self.compute:
            ex.problems.append(f"{run.arch}: {', '.join(needs)} not precomputed (computing is off)")
            needs = []
        for what in needs:
            try:
                value = self._compute(run, sequence, what)
            except DeepMotifError as exc:
                ex.problems.append(f"{run.arch}: {exc}")
                continue
            if what == "score":
                ex.score = value
            elif what == "saliency":
                ex.gradient, ex.saliency = value
                sources["saliency"] = "computed"
            else:
                ex.forward, ex.backward = value
                sources["temporal"] = "computed"
        L = len(sequence)
        for name in ("gradient", "saliency"):
            arr = getattr(ex, name)
            if arr is not None and arr.shape != (4, L):
                ex.problems.append(f"{run.arch}: {name} has shape {arr.shape}, expected (4, {L})")
                setattr(ex, name, None)
        for name in ("forward", "backward"):
            arr = getattr(ex, name)
            if arr is not None and arr.shape != (L,):
                ex.problems.append(
                    f"{run.arch}: {name} scores have shape {arr.shape}, expected ({L},)"
                )
                setattr(ex, name, None)
        kinds = sorted(set(sources.values()))
        ex.source = (
            kinds[0]
            if len(kinds) == 1
            else ", ".join(f"{k} {v}" for k, v in sorted(sources.items()))
        )
        return ex

    def _compute(self, run: RunInfo, sequence: str, what: str):
        digest = hashlib.sha1(sequence.encode()).hexdigest()
        weights = run.path / "model.safetensors"
        stamp = _stamp(weights) if weights.is_file() else (str(weights),)
        return self._computed.get(
            (what, *stamp, digest),
            lambda: _compute_explanation(self.model(run.key), sequence, what),
        )

    # ---------------------------------------------------------------- class optimization
    def optimization(self, key: str) -> Optimized:
        """The run's optimised input: ``explain/optimize.npz`` when present, else computed."""
        run = self.run(key)
        data = self._npz(key, "optimize")
        if data is not None:
            if "pwm" not in data:
                raise DeepMotifError(f"{run.path}/explain/optimize.npz: no array 'pwm'")
            pwm = np.asarray(data["pwm"], dtype=np.float32)
            if pwm.ndim != 2 or pwm.shape[0] != 4:
                raise DeepMotifError(
                    f"{run.path}/explain/optimize.npz: 'pwm' has shape {pwm.shape}, expected (4, L)"
                )
            scores = np.asarray(data.get("scores", []), dtype=float).ravel()
            return Optimized(pwm, float(scores.max()) if scores.size else None, "precomputed")
        if not self.compute:
            raise DeepMotifError(
                f"{run.key}: class optimization not precomputed (computing is off)"
            )
        length = _run_length(run)
        model = self.model(key)
        stamp = _stamp(run.path / "model.safetensors")

        def work():
            class_optimization = explain_function("class_optimization")
            res = class_optimization(model, length=length, random_state=0, **ON_DEMAND_OPTIMIZATION)
            scores = _to_numpy(res.scores).ravel()
            return Optimized(
                _to_numpy(res.pwm),
                float(scores.max()) if scores.size else None,
                "computed: {n_restarts} restarts x {steps} steps".format(**ON_DEMAND_OPTIMIZATION),
            )

        return self._computed.get(("optimize", *stamp, length), work)

    def optimization_matches(self, key: str, n: int = 3, width: int = 20) -> pd.DataFrame:
        """The best JASPAR matches of the run's optimised input.

        When ``motifs/matches.tsv`` holds motifs extracted from the optimisation (query names
        containing ``optimi``, e.g. ``cnn-optimize-1`` from ``deepmotif motifs``), the best of
        them (smallest p-value) and its ``n`` best matches are used, with its PWM from
        ``motifs.meme``. Otherwise the ``width`` most informative columns of the optimised input
        are compared with every JASPAR CORE vertebrates motif with Tomtom (memelite), and cached.

        Returns
        -------
        pandas.DataFrame
            ``target_id, target_name, p_value, offset, orientation`` (best first, at most ``n``
            rows); ``attrs["query_pwm"]`` is the query (4, W) the offsets refer to and
            ``attrs["query_label"]`` says where it comes from.

        Raises
        ------
        NoMotifFound
            When ``deepmotif motifs`` recorded that class optimization found no motif in this
            run (then a JASPAR match of the optimised input would be a match to noise).
        """
        opt = self.optimization(key)
        reason = self.no_motif(key).get("optimize")
        if reason:
            from deepmotif.motifs.base import NoMotifFound

            raise NoMotifFound(f"no motif found by class optimization ({reason})")
        try:
            table = self.motif_matches(key)
            pwms = self.motif_pwms(key)
        except DeepMotifError:
            table, pwms = None, {}
        if table is not None:
            mine = table[table["query"].astype(str).str.lower().str.contains("optimi")]
            mine = mine[mine["query"].astype(str).isin(pwms)]
            if not mine.empty:
                best = str(mine.sort_values("p_value", kind="stable")["query"].iloc[0])
                rows = mine[mine["query"] == best].sort_values("p_value", kind="stable")
                out = rows.head(n).reset_index(drop=True)
                out.attrs["query_pwm"] = pwms[best]
                out.attrs["query_label"] = f"optimised input, motif {best} (motifs.meme)"
                return out
        start, end = informative_window(opt.pwm, width)
        stamp = hashlib.sha1(opt.pwm.tobytes()).hexdigest()
        out = self._computed.get(
            ("opt-matches", stamp, n, start, end),
            lambda: _tomtom_jaspar(opt.pwm[:, start:end], n, self.jaspar_database()),
        ).copy()
        out.attrs["query_pwm"] = opt.pwm[:, start:end]
        out.attrs["query_label"] = f"optimised input, positions {start + 1}–{end}"
        return out

    # ---------------------------------------------------------------- motifs
    def motif_matches(self, key: str) -> pd.DataFrame:
        """``motifs/matches.tsv`` of a run (Tomtom matches of its extracted motifs)."""
        run = self.run(key)
        path = run.path / "motifs" / "matches.tsv"
        if not path.is_file():
            raise DeepMotifError(f"{run.key}: no motifs/matches.tsv (run 'deepmotif motifs' on it)")
        return self._file(path, _read_matches)

    def no_motif(self, key: str) -> dict:
        """Sources of the run's ``deepmotif motifs`` results that found no motif: source -> why.

        Empty when every source found some, or when the run has no (readable) ``motifs.json``.
        """
        run = self.run(key)
        path = run.path / "motifs" / "motifs.json"
        if not path.is_file():
            return {}
        info = self._file(path, _read_json_or_none)
        reasons = info.get("no_motif") if isinstance(info, dict) else None
        return {str(k): str(v) for k, v in reasons.items()} if isinstance(reasons, dict) else {}

    def motif_pwms(self, key: str) -> dict:
        """``motifs/motifs.meme`` of a run: motif name -> PWM (4, L)."""
        run = self.run(key)
        path = run.path / "motifs" / "motifs.meme"
        if not path.is_file():
            raise DeepMotifError(f"{run.key}: no motifs/motifs.meme")
        return self._file(path, _read_meme)

    def jaspar_database(self):
        """JASPAR CORE vertebrates of the newest bundled release, as a Tomtom target database."""
        from deepmotif.motifs.match import load_database

        return self._models.get(("jaspar-database",), load_database)

    def jaspar_pwm(self, target_id: str) -> tuple[str, np.ndarray]:
        """``(name, pwm (4, L))`` of a JASPAR matrix (offline, from pyjaspar's bundled release)."""
        from deepmotif.jaspar import get_motif

        m = get_motif(str(target_id))
        return m.name, np.asarray(m.pwm, dtype=np.float32)

    def recovery(self) -> pd.DataFrame:
        """Motif recovery per run: is the dataset's TF among its extracted motifs' matches?

        Returns
        -------
        pandas.DataFrame
            ``dataset, arch, tf, n_motifs, n_matched`` (motifs with a match at q < 0.05),
            ``recovered`` (True / False; NaN when the run has no matches.tsv), ``best_q``
            (smallest q-value of a match to the TF) and ``best_match`` (the overall best target).
        """
        rows = []
        for run in self.runs:
            if not run.finished:
                continue
            tfs = tf_names(run.dataset, run.config)
            row = {
                "dataset": run.dataset,
                "arch": run.arch,
                "tf": ", ".join(tfs),
                "n_motifs": np.nan,
                "n_matched": np.nan,
                "recovered": np.nan,
                "best_q": np.nan,
                "best_match": "",
            }
            try:
                m = self.motif_matches(run.key)
            except DeepMotifError:
                rows.append(row)
                continue
            q = m["q_value"].astype(float) if "q_value" in m.columns else m["p_value"].astype(float)
            row["n_motifs"] = int(m["query"].nunique())
            row["n_matched"] = int(m.loc[q < 0.05, "query"].nunique())
            if len(m):
                row["best_match"] = str(m.loc[q.idxmin(), "target_name"])
            hit = m["target_name"].astype(str).map(lambda s, tfs=tfs: _names_match(s, tfs))
            row["recovered"] = bool((hit & (q < 0.05)).any())
            row["best_q"] = float(q[hit].min()) if hit.any() else np.nan
            rows.append(row)
        return pd.DataFrame(
            rows,
            columns=[
                "dataset",
                "arch",
                "tf",
                "n_motifs",
                "n_matched",
                "recovered",
                "best_q",
                "best_match",
            ],
        )


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def _num(x) -> float:
    try:
        return float(x) if x is not None else np.nan
    except (TypeError, ValueError):
        return np.nan


_GENERIC_FOLDERS = {"runs", "run", "out", "output", "outputs", "results", "models"}


def _dataset_name(path: Path, config: dict) -> str:
    for key in ("dataset", "benchmark_dataset"):
        name = config.get(key)
        if isinstance(name, str) and name.strip():
            return name.strip()
    arch = str(config.get("arch", ""))
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


def tf_names(dataset: str, config: dict) -> list[str]:
    """The TF(s) a run's dataset is about: the simulation's targets, else the dataset's first word."""
    meta = (((config.get("data") or {}).get("train") or {}).get("meta") or {}) if config else {}
    sim = meta.get("simulation") if isinstance(meta, dict) else None
    if isinstance(sim, dict) and sim.get("tfs"):
        return [str(t) for t in sim["tfs"]]
    for key in ("tfs", "tf"):
        if isinstance(meta, dict) and meta.get(key):
            v = meta[key]
            return [str(t) for t in v] if isinstance(v, list) else [str(v)]
    return [re.split(r"[_\s.]", dataset, maxsplit=1)[0]]


def _names_match(target: str, tfs: list[str]) -> bool:
    parts = {p.upper() for p in re.split(r"::|/|\s", target) if p}
    return any(t.upper() in parts for t in tfs)


def _run_length(run: RunInfo) -> int:
    data = run.config.get("data") or {}
    length = data.get("length") or ((data.get("train") or {}).get("length"))
    if not length:
        raise DeepMotifError(f"{run.key}: config.json records no sequence length (data.length)")
    return int(length)


def _tomtom_jaspar(query: np.ndarray, n: int, database) -> pd.DataFrame:
    from deepmotif.motifs.match import tomtom_matches

    return tomtom_matches(
        {"optimized": np.asarray(query, dtype=np.float64)}, database, top_k=n, n_jobs=1
    )


def explain_function(name: str):
    """``deepmotif.explain.<name>`` (saliency, temporal_scores, class_optimization), or a
    DeepMotifError saying it is not available."""
    import types

    try:
        import deepmotif.explain as explain
    except ImportError as exc:
        raise DeepMotifError(f"on-demand explanations are not available ({exc})") from exc
    fn = getattr(explain, name, None)
    if isinstance(fn, types.ModuleType):  # the submodule of the same name, not yet re-exported
        fn = getattr(fn, name, None)
    if not callable(fn):
        raise DeepMotifError(
            f"on-demand {name.replace('_', ' ')} is not available (no deepmotif.explain.{name})"
        )
    return fn


def _compute_explanation(model, sequence: str, what: str):
    import torch

    from deepmotif.data.encoding import one_hot

    X = torch.from_numpy(one_hot([sequence]))
    try:
        if what == "score":
            from deepmotif.evaluation import predict

            return float(predict(model, X, device="cpu")[0])
        method = explain_function("saliency" if what == "saliency" else "temporal_scores")
        if what == "saliency":
            res = method(model, X)
            gradient = _to_numpy(res.gradient)[0]
            return gradient, np.abs(gradient) * X.numpy()[0]
        res = method(model, X)
        return _to_numpy(res.forward)[0], _to_numpy(res.backward)[0]
    except DeepMotifError:
        raise
    except (
        RuntimeError,
        ValueError,
    ) as exc:  # e.g. a sequence shorter than the model's receptive field
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DeepMotifError(
            f"the model cannot read this {len(sequence)}-bp sequence ({first})"
        ) from exc


# ---------------------------------------------------------------- file parsers (cached by RunStore)


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path)
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DeepMotifError(f"{path}: not a readable CSV file ({exc})") from exc


def _read_test_table(path: Path) -> pd.DataFrame:
    try:
        table = pd.read_csv(path, sep="\t", dtype={"id": str, "sequence": str})
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DeepMotifError(f"{path}: not a readable table ({exc})") from exc
    missing = [c for c in ("id", "sequence", "label", "score") if c not in table.columns]
    if missing:
        raise DeepMotifError(f"{path}: missing column(s) {', '.join(missing)}")
    return table[["id", "sequence", "label", "score"]]


def _read_npz(path: Path) -> dict:
    try:
        with np.load(path, allow_pickle=False) as npz:
            return {k: npz[k] for k in npz.files}
    except (OSError, ValueError, EOFError) as exc:
        raise DeepMotifError(f"{path}: not a readable .npz file ({exc})") from exc


def _read_matches(path: Path) -> pd.DataFrame:
    try:
        table = pd.read_csv(path, sep="\t")
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DeepMotifError(f"{path}: not a readable table ({exc})") from exc
    missing = [
        c for c in ("query", "target_id", "target_name", "p_value") if c not in table.columns
    ]
    if missing:
        raise DeepMotifError(f"{path}: missing column(s) {', '.join(missing)}")
    return table


def _read_meme(path: Path) -> dict:
    from deepmotif.motifs.meme import read_meme

    motifs = read_meme(path, allow_empty=True)
    return {str(k).split()[0]: np.asarray(v, dtype=np.float32) for k, v in motifs.items()}


def _read_json_or_none(path: Path):
    """A JSON file's content, or None when it is not readable JSON (e.g. hand-edited)."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError, UnicodeDecodeError):
        return None
