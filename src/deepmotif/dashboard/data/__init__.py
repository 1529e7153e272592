"""The dashboard's data-access layer: find run directories, read them, compute what is missing.

:class:`RunStore` is the only object the pages talk to. It is assembled from one room per
concern; a new page's data goes in the room it belongs to (or a new one beside them):

========================  ====================================================================
:mod:`.discovery`         finding runs, naming their dataset and key, the overview's listing
                          (:class:`RunInfo`, ``runs``, ``run()``, ``datasets()``, ``summary()``)
:mod:`.files`             reading run files: parsers, the download allow-list
                          (:data:`DOWNLOADABLE`), history, curves, the test table, precomputed
                          explanations
:mod:`.explain`           the run's model, pasted-sequence validation, explanations on demand
                          through :mod:`deepmotif.explain.registry` (:class:`Explanation`)
:mod:`.optimize`          class optimization on demand and the JASPAR matches of the optimised
                          input (:class:`Optimized`)
:mod:`.motifs`            ``deepmotif motifs`` results, JASPAR matrices, motif recovery
:mod:`.audit`             ``deepmotif audit`` results and known-motif hits of one sequence
:mod:`.cache`             the thread-safe caches and the file stamp that keys them
========================  ====================================================================

The store reads each file once and keeps the parsed result until the file changes; computed
results are kept in a bounded cache. It never unpickles anything (safetensors weights,
``numpy.load(allow_pickle=False)``) and turns every broken or partial run into a
:class:`~deepmotif.errors.DeepMotifError` whose message the page shows instead of failing. File
names come from :mod:`deepmotif.rundir`.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from deepmotif.dashboard.data.audit import AuditResults
from deepmotif.dashboard.data.cache import LRU
from deepmotif.dashboard.data.discovery import ARCH_ORDER, Discovery, RunInfo
from deepmotif.dashboard.data.explain import Explanation, Explanations, pasted_sequence
from deepmotif.dashboard.data.files import DOWNLOADABLE, RunFiles
from deepmotif.dashboard.data.motifs import MotifResults, tf_names
from deepmotif.dashboard.data.optimize import ON_DEMAND_OPTIMIZATION, Optimization, Optimized
from deepmotif.errors import DeepMotifError

__all__ = [
    "ARCH_ORDER",
    "DOWNLOADABLE",
    "ON_DEMAND_OPTIMIZATION",
    "Explanation",
    "Optimized",
    "RunInfo",
    "RunStore",
    "pasted_sequence",
    "tf_names",
]


class RunStore(Discovery, RunFiles, Explanations, Optimization, MotifResults, AuditResults):
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
    rescan_seconds : float
        Minimum time between two searches of ``paths`` for new runs (see :meth:`refresh`).
    torch_threads : int, optional
        Set torch's intra-op threads to this when the first model is loaded (the server answers
        requests in parallel threads; one torch thread each avoids oversubscription, which on a
        busy 2-core machine made one LSTM pass 100 times slower). ``None`` leaves torch alone.
    device : str, optional
        Where models predict, explain and optimise (``"cpu"``, ``"cuda"``, ``"cuda:1"``);
        ``None`` (default): CUDA when available, else the CPU. A device given explicitly is
        checked here (so a missing GPU is reported at once).
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
        device=None,
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
        self.device = device
        self._resolved_device = None
        if device is not None:
            self.torch_device()  # a bad or unavailable device is an error now, not on a page
        self._files = LRU(1024)
        self._computed = LRU(cache_size)
        self._models = LRU(64)  # models and the JASPAR database, apart so results never evict them
        self._lock = threading.Lock()
        self._scanned_at = -1e9
        self._runs: dict[str, RunInfo] = {}
        self._problems: list[str] = []
        self._reference: dict[str, dict] = {}
        self.refresh(force=True)

    def cached(self, key: tuple, compute):
        """``compute()`` once per ``key`` (kept in the store's bounded in-memory cache)."""
        return self._computed.get(("user", *key), compute)
