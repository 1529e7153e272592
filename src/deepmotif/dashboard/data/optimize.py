"""Class optimization on demand, and the JASPAR matches of the optimised input.

The run's precomputed optimisation (``explain_file(run, "optimize")``) is read when present;
otherwise the registry's ``optimize`` method runs with :data:`ON_DEMAND_OPTIMIZATION` on the
store's device. ``deepmotif motifs`` decides whether the optimisation holds a motif beyond
chance (the untrained architecture is its null, see
:mod:`deepmotif.motifs.from_optimization`): when it recorded "no motif", the page says so and
shows no JASPAR name; when it kept a motif, that motif's matches are shown. Without motif
results, the most informative window is compared with JASPAR by Tomtom (memelite) and labelled
as not checked against chance.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from deepmotif import rundir
from deepmotif.dashboard.data.cache import stamp
from deepmotif.errors import DeepMotifError
from deepmotif.motifs.align import informative_window

__all__ = ["ON_DEMAND_OPTIMIZATION", "Optimization", "Optimized"]

#: Class optimization computed on demand (the quickstart's settings: a few seconds per model on
#: two CPU cores, against about three times that for the 1000 steps of the paper).
ON_DEMAND_OPTIMIZATION = {"n_restarts": 16, "steps": 300}


@dataclass
class Optimized:
    """Class optimization of one run: the optimised input as a PWM."""

    pwm: np.ndarray  # (4, L), columns sum to 1
    score: float | None  # the best restart's final logit (``scores`` of optimize.npz)
    source: str
    sequence: str | None = None  # the best discrete sequence
    sequence_score: float | None = None  # its logit
    best_positive: float | None = None  # the best real positive's logit
    objective: str | None = None


def _extras(data) -> dict:
    """The optional entries of optimize.npz (written by newer versions)."""

    def scalar(key, kind):
        if key not in data:
            return None
        v = np.asarray(data[key]).reshape(-1)
        if v.size != 1:
            return None
        v = kind(v[0])
        return None if isinstance(v, float) and not np.isfinite(v) else v

    return {
        "sequence": scalar("sequence", str),
        "sequence_score": scalar("sequence_score", float),
        "best_positive": scalar("best_positive_score", float),
        "objective": scalar("objective", str),
    }


def _run_length(run) -> int:
    data = run.config.get("data") or {}
    length = data.get("length") or ((data.get("train") or {}).get("length"))
    if not length:
        raise DeepMotifError(f"{run.key}: {rundir.CONFIG} records no sequence length (data.length)")
    return int(length)


def _best(scores) -> float | None:
    scores = np.asarray(scores if scores is not None else [], dtype=float).ravel()
    return float(scores.max()) if scores.size else None


def _tomtom_jaspar(query: np.ndarray, n: int, database) -> pd.DataFrame:
    from deepmotif.motifs.match import tomtom_matches

    return tomtom_matches(
        {"optimized": np.asarray(query, dtype=np.float64)}, database, top_k=n, n_jobs=1
    )


class Optimization:
    """Class optimization of :class:`~deepmotif.dashboard.data.RunStore` (uses its model,
    device, precomputed files, motif files and caches)."""

    def optimization(self, key: str) -> Optimized:
        """The run's optimised input: precomputed when present, else computed."""
        run = self.run(key)
        data = self._npz(key, "optimize")
        if data is not None:
            path = rundir.explain_file(run.path, "optimize")
            if "pwm" not in data:
                raise DeepMotifError(f"{path}: no array 'pwm'")
            pwm = np.asarray(data["pwm"], dtype=np.float32)
            if pwm.ndim != 2 or pwm.shape[0] != 4:
                raise DeepMotifError(f"{path}: 'pwm' has shape {pwm.shape}, expected (4, L)")
            return Optimized(pwm, _best(data.get("scores")), "precomputed", **_extras(data))
        if not self.compute:
            raise DeepMotifError(
                f"{run.key}: class optimization not precomputed (computing is off)"
            )
        length = _run_length(run)
        model = self.model(key)
        device = self.torch_device()
        weights = stamp(run.path / rundir.WEIGHTS)

        def work():
            from deepmotif.explain.registry import get_method

            out = get_method("optimize").compute(
                model, length=length, random_state=0, device=device, **ON_DEMAND_OPTIMIZATION
            )
            return Optimized(
                np.asarray(out["pwm"], dtype=np.float32),
                _best(out["scores"]),
                "computed: {n_restarts} restarts x {steps} steps".format(**ON_DEMAND_OPTIMIZATION),
                **_extras(out),
            )

        return self._computed.get(("optimize", *weights, length), work)

    def optimization_matches(self, key: str, n: int = 3, width: int = 20) -> pd.DataFrame:
        """The best JASPAR matches of the run's optimised input.

        When the run's motif matches hold motifs extracted from the optimisation (query names
        containing ``optimi``, e.g. ``cnn-optimize-1`` from ``deepmotif motifs``), the best of
        them (smallest p-value) and its ``n`` best matches are used, with its PWM from the run's
        ``motifs.meme``. Otherwise the ``width`` most informative columns of the optimised input
        are compared with every JASPAR CORE vertebrates motif with Tomtom (memelite), and cached.

        Returns
        -------
        pandas.DataFrame
            ``target_id, target_name, p_value, offset, orientation`` (best first, at most ``n``
            rows); ``attrs["query_pwm"]`` is the query (4, W) the offsets refer to,
            ``attrs["query_label"]`` says where it comes from, and ``attrs["unchecked"]`` is
            True when the query was not checked against the null (no motif results).

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
                out.attrs["query_label"] = f"optimised input, motif {best} ({rundir.MOTIFS_MEME})"
                return out
        start, end = informative_window(opt.pwm, width)
        digest = hashlib.sha1(opt.pwm.tobytes()).hexdigest()
        out = self._computed.get(
            ("opt-matches", digest, n, start, end),
            lambda: _tomtom_jaspar(opt.pwm[:, start:end], n, self.jaspar_database()),
        ).copy()
        out.attrs["query_pwm"] = opt.pwm[:, start:end]
        out.attrs["query_label"] = f"optimised input, positions {start + 1}–{end}"
        out.attrs["unchecked"] = True  # not compared with the null ('deepmotif motifs' does)
        return out
