"""The temporal view of a grammar: does a model call a sequence bound only once it has read
both motifs?

On grammar positives (two planted target sites, from a ``deepmotif simulate`` ground truth),
the forward temporal score of the prefix ending at ``t`` crosses 0.5 for good at some position
``t_f``; a model that needs both motifs crosses only once it has read the right-hand motif,
one that is content with either crosses inside the left-hand one. The backward (suffix) score
is the mirror image: its last position ``t_b`` still at >= 0.5 lies inside the left-hand motif
when both are needed. Per run:

``forward_after_left_end``, ``forward_after_right_end``
    median of ``t_f`` minus the last base of the left / right motif;
``forward_needs_both``
    fraction of positives with ``t_f`` at or after the right motif's first base;
``backward_before_right_start``, ``backward_before_left_start``, ``backward_needs_both``
    the same for ``t_b`` mirrored (fraction with ``t_b`` at or before the left motif's last base).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from deepmotif import rundir
from deepmotif.errors import DeepMotifError

__all__ = ["crossings", "grammar_spans", "planted_grammar", "temporal_summary", "truth_path"]


def truth_path(run, truth=None) -> Path | None:
    """The planted-sites file: ``truth`` when given, else the one recorded in the run's config
    (when it still exists where it was)."""
    if truth is not None:
        path = Path(truth)
        if not path.is_file():
            raise DeepMotifError(f"--truth {path}: no such file")
        return path
    config = rundir.read_config(run)
    recorded = ((config.get("data") or {}).get("train") or {}).get("ground_truth") or {}
    path = recorded.get("sites")
    return Path(path) if path and Path(path).is_file() else None


def grammar_spans(sites: pd.DataFrame, ids, tf_a: str, tf_b: str) -> np.ndarray:
    """(n, 4) int: left start, left end, right start, right end (end exclusive) of the two
    target sites of each sequence; -1 where a sequence does not hold both."""
    need = {"seq_id", "tf", "start", "end"}
    if not need <= set(sites.columns):
        raise DeepMotifError(f"planted-sites table: needs the columns {', '.join(sorted(need))}")
    target = sites[sites["role"] == "target"] if "role" in sites.columns else sites
    target = target[target["tf"].isin([tf_a, tf_b])]
    by_id = {k: g for k, g in target.groupby("seq_id")}
    out = np.full((len(ids), 4), -1, dtype=np.int64)
    for i, sid in enumerate(ids):
        g = by_id.get(sid)
        if g is None or set(g["tf"]) != {tf_a, tf_b} or len(g) != 2:
            continue
        g = g.sort_values("start")
        out[i] = [g["start"].iloc[0], g["end"].iloc[0], g["start"].iloc[1], g["end"].iloc[1]]
    return out


def planted_grammar(sites: pd.DataFrame, tf_a: str, tf_b: str) -> dict | None:
    """The grammar planted in the positives of a ``deepmotif simulate --grammar`` ground truth.

    Every positive holding both target sites must hold A then B on ``+``, or B then A on ``-``
    (the same arrangement read on the other strand). Returns ``{"spacing": (lo, hi),
    "length_a", "length_b", "n_positives"}``: the smallest and largest gap (bases between the
    end of A and the start of B) and the sites' lengths; None when no positive holds both sites,
    or when any holds another arrangement or sites of varying length.
    """
    pos = sites[sites["label"] == 1] if "label" in sites.columns else sites
    if "role" in pos.columns:
        pos = pos[pos["role"] == "target"]
    pos = pos[pos["tf"].isin([tf_a, tf_b])].sort_values(["seq_id", "start"], kind="stable")
    pos = pos[pos.groupby("seq_id", sort=False)["tf"].transform("size") == 2]
    left, right = pos.iloc[0::2], pos.iloc[1::2]  # each sequence's two sites, in order
    both = left["tf"].to_numpy() != right["tf"].to_numpy()
    left, right = left[both], right[both]
    if not len(left):
        return None
    lstrand, rstrand = left["strand"].to_numpy(), right["strand"].to_numpy()
    a_first = (left["tf"].to_numpy() == tf_a) & (lstrand == "+") & (rstrand == "+")
    b_first = (left["tf"].to_numpy() == tf_b) & (lstrand == "-") & (rstrand == "-")
    if not (a_first | b_first).all():
        return None
    size_l = (left["end"] - left["start"]).to_numpy()
    size_r = (right["end"] - right["start"]).to_numpy()
    size_a, size_b = np.where(a_first, size_l, size_r), np.where(a_first, size_r, size_l)
    if len(set(size_a)) != 1 or len(set(size_b)) != 1:
        return None
    gaps = (right["start"].to_numpy() - left["end"].to_numpy()).astype(int)
    la, lb = size_a[0], size_b[0]
    return {
        "spacing": (int(gaps.min()), int(gaps.max())),
        "length_a": int(la),
        "length_b": int(lb),
        "n_positives": int(len(gaps)),
    }


def crossings(forward: np.ndarray, backward: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per sequence: the first ``t`` from which the forward score stays >= 0.5 to the end, and
    the last ``t`` up to which the backward score is >= 0.5 from the start (-1 when never)."""
    n, L = forward.shape
    t_f = np.full(n, -1, dtype=np.int64)
    t_b = np.full(n, -1, dtype=np.int64)
    for i in range(n):
        above = forward[i] >= 0.5
        if above[-1]:
            below = np.nonzero(~above)[0]
            t_f[i] = below[-1] + 1 if len(below) else 0
        above = backward[i] >= 0.5
        if above[0]:
            below = np.nonzero(~above)[0]
            t_b[i] = below[0] - 1 if len(below) else L - 1
    return t_f, t_b


def temporal_summary(forward, backward, spans) -> dict:
    """The statistics of the module docstring over the sequences with both sites."""
    forward, backward = np.asarray(forward), np.asarray(backward)
    keep = spans[:, 0] >= 0
    t_f, t_b = crossings(forward[keep], backward[keep])
    s = spans[keep]
    out: dict = {"n_positives": int(keep.sum())}
    f_ok, b_ok = t_f >= 0, t_b >= 0
    out["n_forward_crossing"] = int(f_ok.sum())
    out["n_backward_crossing"] = int(b_ok.sum())

    def median(v):
        return float(np.median(v)) if len(v) else None

    def fraction(v):
        return float(np.mean(v)) if len(v) else None

    out["forward_after_left_end"] = median(t_f[f_ok] - (s[f_ok, 1] - 1))
    out["forward_after_right_end"] = median(t_f[f_ok] - (s[f_ok, 3] - 1))
    out["forward_needs_both"] = fraction(t_f[f_ok] >= s[f_ok, 2])
    out["backward_before_right_start"] = median(s[b_ok, 2] - t_b[b_ok])
    out["backward_before_left_start"] = median(s[b_ok, 0] - t_b[b_ok])
    out["backward_needs_both"] = fraction(t_b[b_ok] <= s[b_ok, 1] - 1)
    return out
