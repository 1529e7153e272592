"""Motifs from class optimisation: the input the model scores highest, cut into its motifs.

:func:`deepmotif.explain.class_optimization` optimises ``n_restarts`` inputs from different
random starts. Each restart's input becomes a PWM (a softmax over the four bases of each
position, see :func:`restart_pwms`); its informative stretches are found with
:func:`deepmotif.motifs.pwm.informative_segments` (columns of at least ``min_ic`` bits, short gaps
bridged, long stretches cut to ``max_length``). Stretches of different restarts that align
(both strands) with similarity >= ``merge_similarity`` are merged: aligned, and averaged column
by column, a column missing from a member counting as uniform, then cut to the informative core
again. A merged motif is reported when at least ``min_support`` restarts agree on it; when no
motif has that support, the best restart's strongest stretch is reported alone.

``stats`` of each motif
-----------------------
``support`` (restarts that agree), ``n_restarts``, ``best_score`` and ``mean_score`` (the
model's logit for the supporting restarts' inputs).
"""

from __future__ import annotations

import numpy as np

from deepmotif.motifs.base import ExtractedMotif, NoMotifFound, motif_name
from deepmotif.motifs.pwm import (
    align,
    informative_segments,
    normalize,
    reverse_complement,
    trim_bounds,
)

__all__ = ["merge_restarts", "optimization_motifs", "restart_pwms"]


def restart_pwms(inputs, *, temperature: float | None = None) -> np.ndarray:
    """PWMs of optimised inputs: a softmax over the bases of each position.

    Parameters
    ----------
    inputs : array-like, shape (r, 4, length)
        Optimised (continuous) inputs, one per restart.
    temperature : float, optional
        Divides the inputs before the softmax. Default: the mean, over restarts, of the
        per-position spread (max - min over the bases) divided by 2, so that a typical
        position's preferred base gets about ``e^2 / (e^2 + 3)`` (0.71) of the weight
        whatever the scale the optimiser left the inputs at.

    Returns
    -------
    numpy.ndarray of float64, shape (r, 4, length)
    """
    x = np.asarray(inputs, dtype=np.float64)
    if x.ndim == 2:
        x = x[None]
    if temperature is None:
        spread = (x.max(axis=1) - x.min(axis=1)).mean()
        temperature = spread / 2.0 if spread > 0 else 1.0
    z = x / temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def merge_restarts(
    segments: list[tuple[int, float, np.ndarray]],
    *,
    merge_similarity: float = 0.7,
    min_ic: float = 0.5,
    min_length: int = 5,
) -> list[dict]:
    """Greedy clustering of restart segments; see the module docstring.

    Parameters
    ----------
    segments : list of (restart, score, pwm (4, L))
        Ordered best first (the first member of a cluster is its reference frame).

    Returns
    -------
    list of dict
        ``{"pwm", "restarts" (sorted list), "scores" (one per restart)}``, most restarts first,
        then best score.
    """
    clusters: list[dict] = []
    for restart, score, pwm in segments:
        placed = False
        for c in clusters:
            al = align(c["ref"], pwm)
            if al.score >= merge_similarity:
                c["members"].append(
                    (pwm if al.strand == "+" else reverse_complement(pwm), al.offset)
                )
                c["restarts"].add(restart)
                c["scores"][restart] = score
                placed = True
                break
        if not placed:
            clusters.append(
                {
                    "ref": pwm,
                    "members": [(pwm, 0)],
                    "restarts": {restart},
                    "scores": {restart: score},
                }
            )
    out = []
    for c in clusters:
        lo = min(off for _, off in c["members"])
        hi = max(off + m.shape[1] for m, off in c["members"])
        total = np.zeros((4, hi - lo))
        covered = np.zeros(hi - lo)
        for m, off in c["members"]:
            total[:, off - lo : off - lo + m.shape[1]] += m
            covered[off - lo : off - lo + m.shape[1]] += 1
        n = len(c["members"])
        merged = normalize(total + 0.25 * (n - covered)[None, :])
        start, end = trim_bounds(merged, min_ic)
        if end - start < min_length:
            continue
        out.append(
            {
                "pwm": merged[:, start:end],
                "restarts": sorted(c["restarts"]),
                "scores": list(c["scores"].values()),
            }
        )
    out.sort(key=lambda c: (-len(c["restarts"]), -max(c["scores"])))
    return out


def optimization_motifs(
    model,
    *,
    arch: str | None = None,
    length: int = 101,
    n_restarts: int = 16,
    steps: int | None = None,
    random_state: int | None = 0,
    result=None,
    min_ic: float = 0.5,
    min_length: int = 5,
    max_length: int = 25,
    gap: int = 2,
    merge_similarity: float = 0.7,
    min_support: int = 2,
    max_motifs: int = 3,
    pseudocount: float = 0.01,
    device=None,
) -> list[ExtractedMotif]:
    """Class-optimisation motifs of a model (see the module docstring).

    Parameters
    ----------
    model : DeepMotifModel or None
        None only with ``result`` (then the no-signal check below is skipped).
    arch : str, optional
        For the names (default ``model.arch``).
    length : int
        Length of the optimised inputs (the model's training length).
    n_restarts, steps, random_state
        Passed to :func:`deepmotif.explain.class_optimization` (``steps`` only when given).
    result : OptimizationResult, optional
        A precomputed optimisation (then the model is not run).
    min_ic, min_length, max_length, gap
        Segmenting each restart (see :func:`deepmotif.motifs.pwm.informative_segments`).
    merge_similarity, min_support, max_motifs
        Merging restarts (see the module docstring).
    device : str, optional
        Where the model runs (``None``: CUDA when available for the optimisation, the model's
        own device for the no-signal check).

    Returns
    -------
    list of ExtractedMotif
        ``<arch>-optimize-<k>``, best supported first.

    Raises
    ------
    NoMotifFound
        When the optimisation did not raise the model's logit above its value on an all-uniform
        input (a model whose output does not depend on its input): whatever the optimised
        inputs hold then is the starting noise, not something the model prefers.
    """
    arch = arch or getattr(model, "arch", "model")
    if result is None:
        from deepmotif.explain import class_optimization

        kwargs = {
            "length": length,
            "n_restarts": n_restarts,
            "random_state": random_state,
            "device": device,
        }
        if steps is not None:
            kwargs["steps"] = steps
        result = class_optimization(model, **kwargs)
    inputs = np.asarray(_numpy(result.inputs), dtype=np.float64)
    scores = np.asarray(_numpy(result.scores), dtype=np.float64).reshape(-1)
    baseline = _uniform_logit(model, inputs.shape[-1], device) if model is not None else -np.inf
    if not np.isfinite(scores).any() or not np.nanmax(scores) > baseline + _MIN_GAIN:
        raise NoMotifFound(
            f"class optimisation did not raise the model's logit above its value on a uniform "
            f"input ({baseline:.3g}): the model's output does not depend on its input"
        )
    pwms = restart_pwms(inputs)
    order = np.argsort(-scores, kind="stable")
    segments = []
    for r in order:
        for s, e in informative_segments(
            pwms[r], min_ic, gap=gap, min_length=min_length, max_length=max_length
        ):
            segments.append((int(r), float(scores[r]), pwms[r][:, s:e]))
    clusters = merge_restarts(
        segments, merge_similarity=merge_similarity, min_ic=min_ic, min_length=min_length
    )
    chosen = [c for c in clusters if len(c["restarts"]) >= min_support][:max_motifs]
    if not chosen and segments:
        r, score, pwm = segments[0]
        chosen = [{"pwm": pwm, "restarts": [r], "scores": [score]}]
    out = []
    for k, c in enumerate(chosen, start=1):
        pwm = normalize(c["pwm"], pseudocount)
        stats = {
            "support": len(c["restarts"]),
            "n_restarts": int(len(scores)),
            "best_score": float(max(c["scores"])),
            "mean_score": float(np.mean(c["scores"])),
        }
        out.append(
            ExtractedMotif(
                motif_name(arch, "optimize", k), pwm, "optimize", arch, len(c["restarts"]), stats
            )
        )
    return out


#: Logit gain over the all-uniform input below which the optimisation is taken to have found
#: nothing (far below any real preference: trained models gain several logits).
_MIN_GAIN = 1e-3


def _uniform_logit(model, length: int, device=None) -> float:
    """The model's logit for an input of 0.25 everywhere (float32, on ``device`` or, when
    None, on the model's device)."""
    import torch

    from deepmotif._device import model_on, resolve_device

    device = next(model.parameters()).device if device is None else resolve_device(device)
    with torch.no_grad(), model_on(model, device, train=False) as m:
        x = torch.full((1, 4, int(length)), 0.25, device=device)
        return float(m(x).float().reshape(-1)[0].cpu())


def _numpy(x):
    return x.detach().cpu().numpy() if hasattr(x, "detach") else np.asarray(x)
