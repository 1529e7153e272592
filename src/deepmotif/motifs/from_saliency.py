"""Motifs from saliency: seqlets of correctly classified positives, aligned and aggregated.

Steps
-----
1. Keep the positives the model classifies correctly (score >= 0.5), best scores first, at most
   ``max_sequences``.
2. Attributions: the ``attributions`` map of a registered attribution method
   (:mod:`deepmotif.explain.registry`; default ``saliency``, whose map is gradient x input),
   projected onto the observed bases (summed over the four channels), one value per position.
3. Seqlets, called by tangermeme: TF-MoDISco's caller :func:`tangermeme.seqlet.tfmodisco_seqlets`
   by default, or :func:`tangermeme.seqlet.recursive_seqlets` (see :func:`call_seqlets`). On
   five simulated tasks x three architectures both recover the planted motif in 15 of 15 runs
   (``benchmarks/bench_seqlets.py``; docs/motifs.md); the default needs no numba compilation
   (the recursive caller's costs about 10 s in every new process).
4. Aggregation, one motif at a time, both strands:

   a. Seed: the k-mer (counted once per seqlet, a k-mer and its reverse complement as one) found
      in most of the remaining seqlets, placed in the middle of a ``width``-column matrix with
      uniform flanks.
   b. Alignment: every remaining seqlet is scanned with the matrix's log-odds on both strands
      (columns under ``scan_ic`` bits left out); the best window whose centre lies inside the
      seqlet is taken when it scores at least ``min_score`` of the matrix's best possible score.
   c. The matrix is rebuilt from the taken windows (reverse-complemented on the ``-`` strand) and
      b-c repeat until the taken seqlets stop changing (at most ``iterations`` times), so the
      motif grows from the seed into its flanks.
   d. The taken seqlets leave the pool and the next motif is seeded from the rest, while at least
      ``min_fraction`` of all seqlets remain and fewer than ``max_motifs`` motifs were found:
      a co-factor can give a second cluster.

5. Each motif is cut to its informative core; motifs supported by fewer than
   ``max(min_sites, min_fraction * n_seqlets)`` seqlets, and motifs that align to a larger one
   with similarity >= ``merge_similarity``, are dropped.

``stats`` of each motif
-----------------------
``n_seqlets`` (all seqlets called), ``fraction`` (share of them in this motif), ``n_sequences``
(correct positives used), ``seed`` (the seed k-mer), ``mean_attribution`` (mean attribution sum
of its seqlets).
"""

from __future__ import annotations

import warnings
from collections import Counter

import numpy as np

from deepmotif.errors import DeepMotifWarning
from deepmotif.motifs.base import ExtractedMotif, NoMotifFound, motif_name
from deepmotif.motifs.pwm import (
    information_content,
    normalize,
    reverse_complement,
    similarity,
    trim_bounds,
)

__all__ = [
    "SEQLET_METHODS",
    "call_seqlets",
    "cluster_seqlets",
    "correct_positives",
    "saliency_motifs",
]

_COMP = str.maketrans("ACGT", "TGCA")


def correct_positives(labels, scores, *, max_sequences: int | None = None) -> np.ndarray:
    """Indices of the positives scored >= 0.5, best score first (at most ``max_sequences``).

    Raises
    ------
    NoMotifFound
        When no positive is correctly classified (a :class:`DeepMotifError`).
    """
    labels = np.asarray(labels).astype(int)
    scores = np.asarray(scores, dtype=np.float64)
    idx = np.nonzero((labels == 1) & (scores >= 0.5))[0]
    if len(idx) == 0:
        n_pos = int((labels == 1).sum())
        raise NoMotifFound(
            f"no positive sequence is correctly classified (score >= 0.5) among {n_pos} "
            "positives; the saliency source needs some (is the model trained?)"
        )
    idx = idx[np.argsort(-scores[idx], kind="stable")]
    return idx[:max_sequences] if max_sequences else idx


#: Seqlet callers of tangermeme accepted by ``method``.
SEQLET_METHODS = ("tfmodisco", "recursive")


def call_seqlets(
    attributions,
    *,
    method: str = "tfmodisco",
    threshold: float = 0.01,
    min_seqlet_len: int = 5,
    max_seqlet_len: int = 20,
):
    """Seqlets of projected attributions, called by tangermeme.

    Parameters
    ----------
    attributions : array-like, shape (n, length)
        One attribution per position (e.g. gradient x input summed over the bases).
    method : {"tfmodisco", "recursive"}
        :func:`tangermeme.seqlet.recursive_seqlets` (tight seqlets; ``threshold``,
        ``min_seqlet_len`` and ``max_seqlet_len`` apply; its numba code is compiled on first use
        in each process, 10-30 s) or :func:`tangermeme.seqlet.tfmodisco_seqlets` (TF-MoDISco's
        caller: fixed 41-bp windows around high-attribution stretches, no compilation).

    Returns
    -------
    pandas.DataFrame
        Columns ``example_idx, start, end, attribution`` (and ``p-value`` for ``recursive``),
        strongest first.
    """
    import torch

    X = torch.as_tensor(np.asarray(attributions, dtype=np.float32))
    if method == "recursive":
        from tangermeme.seqlet import recursive_seqlets

        return recursive_seqlets(
            X, threshold=threshold, min_seqlet_len=min_seqlet_len, max_seqlet_len=max_seqlet_len
        )
    if method == "tfmodisco":
        from tangermeme.seqlet import tfmodisco_seqlets

        try:
            seqlets = tfmodisco_seqlets(X)
        except (ValueError, ZeroDivisionError, RuntimeError) as exc:
            # tangermeme 1.6 fails when one sign of the attributions has no null values (e.g.
            # all-positive attributions of a barely trained model); the recursive caller copes
            warnings.warn(
                f"tfmodisco_seqlets could not call seqlets on these attributions ({exc}); "
                "using recursive_seqlets",
                DeepMotifWarning,
                stacklevel=2,
            )
            return call_seqlets(
                X.numpy(),
                method="recursive",
                threshold=threshold,
                min_seqlet_len=min_seqlet_len,
                max_seqlet_len=max_seqlet_len,
            )
        return seqlets.sort_values("attribution", ascending=False, kind="stable").reset_index(
            drop=True
        )
    raise ValueError(f"seqlet method must be one of {', '.join(SEQLET_METHODS)}, got {method!r}")


def _canonical(kmer: str) -> str:
    rc = kmer.translate(_COMP)[::-1]
    return min(kmer, rc)


def _seed_kmer(sequences: list[str], spans: list[tuple[int, int, int]], k: int) -> str | None:
    counts: Counter = Counter()
    for ex, s, e in spans:
        text = sequences[ex][max(s - 2, 0) : e + 2]
        found = {
            _canonical(text[i : i + k])
            for i in range(len(text) - k + 1)
            if set(text[i : i + k]) <= set("ACGT")
        }
        counts.update(found)
    if not counts:
        return None
    top = max(counts.values())
    # deterministic among ties: the lexicographically smallest
    return min(km for km, c in counts.items() if c == top)


def _windows(Xpad: np.ndarray, width: int) -> np.ndarray:
    """All windows of ``width`` columns: (n, positions, 4, width) (a view)."""
    return np.lib.stride_tricks.sliding_window_view(Xpad, width, axis=2).transpose(0, 2, 1, 3)


def cluster_seqlets(
    X,
    seqlets,
    *,
    k: int = 6,
    width: int = 24,
    max_motifs: int = 3,
    min_fraction: float = 0.1,
    min_sites: int = 10,
    min_score: float = 0.5,
    scan_ic: float = 0.25,
    iterations: int = 6,
    min_ic: float = 0.5,
    min_length: int = 5,
    merge_similarity: float = 0.8,
    pseudocount: float = 0.01,
) -> list[dict]:
    """Align seqlets on both strands and aggregate them into PWMs (see the module docstring).

    Parameters
    ----------
    X : array-like, shape (n, 4, length)
        One-hot sequences the seqlets were called on.
    seqlets : pandas.DataFrame
        ``example_idx, start, end`` (and optionally ``attribution``) per seqlet.

    Returns
    -------
    list of dict
        ``{"pwm": (4, L) array, "n_sites": int, "seed": str, "members": array of seqlet rows,
        "strands": array of +1/-1}``, largest first.
    """
    from deepmotif.data.encoding import decode

    X = np.asarray(X, dtype=np.float32)
    n, _, length = X.shape
    if len(seqlets) == 0:
        return []
    width = max(width, k + 2)
    ext = (width - k) // 2
    sequences = decode(X)
    pad = width
    Xpad = np.zeros((n, 4, length + 2 * pad), dtype=np.float32)
    Xpad[:, :, pad : pad + length] = X
    wins = _windows(Xpad, width)  # (n, P, 4, width)
    n_pos = wins.shape[1]
    # window p covers padded columns p..p+width-1, i.e. sequence columns p-pad..; its centre is
    # at sequence column p - pad + width // 2
    centres = np.arange(n_pos) - pad + width // 2
    ex = seqlets["example_idx"].to_numpy().astype(int)
    st = seqlets["start"].to_numpy().astype(int)
    en = seqlets["end"].to_numpy().astype(int)
    total = len(seqlets)
    remaining = np.ones(total, dtype=bool)
    found: list[dict] = []
    needed = max(min_sites, int(np.ceil(min_fraction * total)))

    for _ in range(max_motifs * 2):
        if len(found) >= max_motifs or remaining.sum() < needed:
            break
        pool = np.nonzero(remaining)[0]
        seed = _seed_kmer(sequences, [(ex[i], st[i], en[i]) for i in pool], k)
        if seed is None:
            break
        counts = np.full((4, width), 0.25)
        counts[:, ext : ext + k] = 0.0
        for j, c in enumerate(seed):
            counts[:, ext + j] = 0.03
            counts["ACGT".index(c), ext + j] = 0.91
        model = counts
        members = np.zeros(0, dtype=int)
        strands = np.zeros(0, dtype=int)
        for _it in range(iterations):
            smooth = normalize(model, 0.1)
            lo = np.log2(smooth / 0.25)
            # only informative columns score: the near-uniform flanks of a growing motif would
            # otherwise add noise (negative on average) to every site and raise the best score
            lo[:, information_content(smooth) < scan_ic] = 0.0
            fwd = np.einsum("npcw,cw->np", wins, lo, optimize=True)
            rev = np.einsum("npcw,cw->np", wins, reverse_complement(lo), optimize=True)
            best_possible = float(np.clip(lo.max(axis=0), 0, None).sum())
            take, take_strand, take_pos = [], [], []
            for i in pool:
                ok = (centres >= st[i]) & (centres < en[i])
                if not ok.any():
                    continue
                cand = np.nonzero(ok)[0]
                f, r = fwd[ex[i], cand], rev[ex[i], cand]
                jf, jr = int(f.argmax()), int(r.argmax())
                if f[jf] >= r[jr]:
                    score, strand, p = f[jf], 1, cand[jf]
                else:
                    score, strand, p = r[jr], -1, cand[jr]
                if best_possible > 0 and score >= min_score * best_possible:
                    take.append(i)
                    take_strand.append(strand)
                    take_pos.append(p)
            new_members = np.array(take, dtype=int)
            if len(new_members) == 0:
                members, strands = new_members, np.zeros(0, dtype=int)
                break
            stack = wins[ex[new_members], np.array(take_pos)]  # (m, 4, width)
            minus = np.array(take_strand) == -1
            stack = stack.copy()
            stack[minus] = stack[minus][:, ::-1, ::-1]
            model = stack.sum(axis=0).astype(np.float64)
            converged = np.array_equal(new_members, members)
            members, strands = new_members, np.array(take_strand, dtype=int)
            if converged:
                break
        if len(members) < needed:
            # the seed k-mer found too few sites: drop the seqlets holding it and try the next
            has_seed = [
                i for i in pool
                if seed in sequences[ex[i]][max(st[i] - 2, 0) : en[i] + 2]
                or seed.translate(_COMP)[::-1] in sequences[ex[i]][max(st[i] - 2, 0) : en[i] + 2]
            ]  # fmt: skip
            remaining[has_seed if has_seed else pool] = False
            continue
        remaining[members] = False
        pwm = normalize(model, pseudocount)
        start, end = trim_bounds(pwm, min_ic)
        if end - start < min_length:
            continue
        found.append(
            {
                "pwm": pwm[:, start:end],
                "n_sites": int(len(members)),
                "seed": seed,
                "members": members,
                "strands": strands,
            }
        )
    found.sort(key=lambda c: -c["n_sites"])
    kept: list[dict] = []
    for c in found:
        if any(similarity(o["pwm"], c["pwm"]) >= merge_similarity for o in kept):
            continue
        kept.append(c)
    return kept


def saliency_motifs(
    model,
    X,
    labels,
    scores=None,
    *,
    arch: str | None = None,
    attributions=None,
    attribution: str = "saliency",
    max_sequences: int = 1000,
    seqlets: str = "tfmodisco",
    threshold: float = 0.01,
    min_seqlet_len: int = 5,
    max_seqlet_len: int = 20,
    batch_size: int | None = None,
    device=None,
    **cluster_options,
) -> list[ExtractedMotif]:
    """Saliency motifs of a model on labelled sequences (see the module docstring).

    Parameters
    ----------
    model : DeepMotifModel
    X : array-like, shape (n, 4, length)
        One-hot sequences.
    labels : array-like of int, shape (n,)
    scores : array-like of float, shape (n,), optional
        The model's predicted probabilities (computed when not given).
    arch : str, optional
        For the names (default ``model.arch``).
    attributions : array-like, shape (n, 4, length), optional
        Precomputed attributions for ``X`` (default: computed here for the correct positives
        with the ``attribution`` method).
    attribution : str
        The registered attribution method (:func:`deepmotif.explain.registry.attribution_methods`)
        whose ``attributions`` map is used; ``saliency`` (gradient x input) by default.
    max_sequences : int
        Most correct positives used (best scores first).
    seqlets : {"tfmodisco", "recursive"}
        The tangermeme seqlet caller (see :func:`call_seqlets`; default ``"tfmodisco"``).
    threshold, min_seqlet_len, max_seqlet_len
        Seqlet calling (see :func:`call_seqlets`).
    batch_size : int, optional
        Sequences per batch of the predictions and attributions (``None``:
        :data:`deepmotif.archs.BATCH_SIZES`, task ``motifs``).
    device : str, optional
        Where the model runs (``None``: CUDA when available).
    **cluster_options
        Passed to :func:`cluster_seqlets`.

    Returns
    -------
    list of ExtractedMotif
        ``<arch>-saliency-<k>``, most seqlets first.

    Raises
    ------
    NoMotifFound
        No positive correctly classified, or attributions that are all zero.
    """
    from deepmotif.archs import default_batch_size
    from deepmotif.explain.registry import get_method

    arch = arch or getattr(model, "arch", "model")
    method = get_method(attribution, kind="attribution")
    if batch_size is None:
        batch_size = default_batch_size("motifs", arch)
    X = np.asarray(X, dtype=np.float32)
    if scores is None:
        from deepmotif.evaluation import predict

        scores = predict(model, X, batch_size=batch_size, device=device)
    idx = correct_positives(labels, scores, max_sequences=max_sequences)
    Xc = X[idx]
    if attributions is None:
        computed = method.compute(model, Xc, batch_size=batch_size, device=device)
        attr = np.asarray(computed["attributions"], dtype=np.float32)
    else:
        attr = np.asarray(attributions, dtype=np.float32)[idx]
    projected = (attr * Xc).sum(axis=1)
    if not np.isfinite(projected).all() or not np.abs(projected).max() > 0:
        raise NoMotifFound(
            f"the attributions of the {len(idx)} correctly classified positives are all zero "
            "(or not finite): the model's output does not depend on its input"
        )
    called = call_seqlets(
        projected,
        method=seqlets,
        threshold=threshold,
        min_seqlet_len=min_seqlet_len,
        max_seqlet_len=max_seqlet_len,
    )
    clusters = cluster_seqlets(Xc, called, **cluster_options)
    out = []
    attr_sum = called["attribution"].to_numpy() if "attribution" in called else None
    for k, c in enumerate(clusters, start=1):
        stats = {
            "n_seqlets": int(len(called)),
            "fraction": float(c["n_sites"] / max(len(called), 1)),
            "n_sequences": int(len(idx)),
            "seed": c["seed"],
        }
        if attr_sum is not None:
            stats["mean_attribution"] = float(attr_sum[c["members"]].mean())
        out.append(
            ExtractedMotif(
                motif_name(arch, "saliency", k), c["pwm"], "saliency", arch, c["n_sites"], stats
            )
        )
    return out
