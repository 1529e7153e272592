"""Motifs from class optimisation, kept only when they beat a model without signal.

:func:`deepmotif.explain.class_optimization` optimises ``n_restarts`` inputs from different
random starts (default objective ``softmax``: every position a distribution over the bases).
Each restart's PWM (:func:`restart_pwms`) is cut into informative stretches with
:func:`deepmotif.motifs.pwm.informative_segments` (columns above the information threshold,
short gaps bridged, a stretch longer than ``max_length`` cut around its window of highest
information content). ``importance=True`` cuts such a stretch around the window the model
depends on most instead (:func:`column_importance`: how much the logit drops when a column is
replaced by the uniform distribution); an option, not the default: on nine simulated runs it
changed nothing at temperature 1 and was not better at 0.5 (docs/explain.md, "The
temperature"). Stretches of different restarts that align (both strands) with similarity >=
``merge_similarity`` are merged: aligned, and averaged column by column, a column missing from a
member counting as uniform, then cut to the informative core again. A merged motif is reported
only when at least ``min_support`` restarts agree on it; when none has that support, there is
no motif (:class:`~deepmotif.motifs.base.NoMotifFound`): a stretch found by one restart alone
is what models without signal produce (docs/explain.md, "One-hot draws").

The null: the same architecture without signal
----------------------------------------------
An optimiser finds *something* in any model, and a logo of it can match a JASPAR motif at
q < 0.05 by chance. So the identical optimisation also runs on the same architecture at its
untrained initialisation, built with the run's seed (``torch.manual_seed(seed)`` then
:func:`deepmotif.models.build_model`, exactly as training starts): no training, no data, a few
seconds, deterministic. Two numbers are compared with it:

* **logit gain**: the model's logit for the best discrete sequence minus its median logit over
  :data:`N_RANDOM` random sequences (seeded, uniform bases). The motif is kept only when the
  gain exceeds ``null_factor`` times the null model's gain and at least ``min_gain`` logits
  (:data:`MIN_GAIN`: 2 when the model saw distributions, 8 when it was scored on one-hot
  draws, which find higher-scoring sequences in a model without signal too).
* **information**: a column counts as informative only above ``max(min_ic, the null PWM's
  most informative column)``.

Otherwise :class:`~deepmotif.motifs.base.NoMotifFound` is raised with a reason starting "no
motif beyond chance", which the CLI, ``motifs.json`` (``no_motif``), the dashboard and the
report show instead of a logo. Models trained on label-shuffled data were used to calibrate
this choice (docs/motifs.md): their optimised inputs gain no more over random sequences than
an untrained network does, while models with signal gain an order of magnitude more.

``stats`` of each motif
-----------------------
``support`` (restarts that agree), ``n_restarts``, ``best_score`` and ``mean_score`` (the
model's logit for the supporting restarts' optimised inputs), ``objective``, ``samples`` and
``temperature`` (how the model saw the inputs), ``sequence_score`` (logit of the best discrete
sequence), ``gain`` and ``null_gain`` (logits over the random-sequence median), ``ic_threshold``
(bits), and ``best_positive_score`` (the highest logit of a real positive sequence) when
sequences were given.
"""

from __future__ import annotations

import numpy as np

from deepmotif.motifs.base import ExtractedMotif, NoMotifFound, motif_name
from deepmotif.motifs.pwm import (
    align,
    information_content,
    informative_segments,
    normalize,
    reverse_complement,
    trim_bounds,
)

__all__ = [
    "MIN_GAIN",
    "N_RANDOM",
    "column_importance",
    "logit_gain",
    "merge_restarts",
    "optimization_motifs",
    "restart_pwms",
    "untrained_twin",
]

#: Random sequences whose median logit is the baseline of the logit gain.
N_RANDOM = 256

#: The logit gain's floor (``min_gain=None``) by how the optimisation scored its inputs
#: (``samples`` of the result: 0, distributions; more, one-hot draws). Label-shuffled CNN-RNNs
#: (docs/motifs.md) gained up to 4.9 logits on distributions, where their PWMs stay flat and the
#: information check stops them, and up to 4.1 on draws, where the PWMs sharpen and only the
#: gain can; CNN-RNNs that learnt a planted motif gained 15.1-28.8 on draws. 8 is about the
#: geometric middle of 4.1 and 15.1 (7.9), chosen on simulated runs only.
MIN_GAIN = {"distributions": 2.0, "draws": 8.0}


def restart_pwms(result) -> np.ndarray:
    """Each restart's PWM (r, 4, L) of an :class:`~deepmotif.explain.OptimizationResult`.

    ``softmax``: the optimised distributions themselves; ``paper``: the Lua transform
    (:func:`deepmotif.explain.optimize.paper_pwm`); ``logit``: clamp and normalise.
    """
    from deepmotif.explain.optimize import clamp_normalise, paper_pwm

    x = np.asarray(_numpy(result.inputs), dtype=np.float64)
    if x.ndim == 2:
        x = x[None]
    objective = getattr(result, "objective", "softmax")
    if objective == "paper":
        return paper_pwm(x).astype(np.float64)
    if objective == "logit":
        return clamp_normalise(x).astype(np.float64)
    total = x.sum(axis=1, keepdims=True)
    return np.where(total > 0, x / np.where(total > 0, total, 1.0), 0.25)


def column_importance(model, pwms, device=None, batch_size: int = 512) -> np.ndarray:
    """How much the model's logit depends on each column of each PWM: (r, L) array of
    ``logit(P) - logit(P with column i replaced by 0.25 for every base)``.

    ``pwms`` is (r, 4, L) (or one (4, L) matrix). All r x (L + 1) inputs are scored in batches
    of ``batch_size``, in float32, without gradients.
    """
    import torch

    from deepmotif._device import model_on, resolve_device

    P = np.asarray(pwms, dtype=np.float32)
    if P.ndim == 2:
        P = P[None]
    n, _, L = P.shape
    device = next(model.parameters()).device if device is None else resolve_device(device)
    eye = np.eye(L, dtype=bool)
    logits = np.empty((n, L + 1), dtype=np.float64)
    with torch.no_grad(), model_on(model, device, train=False) as m:
        for r in range(n):
            variants = np.repeat(P[r][None], L + 1, axis=0)  # (L + 1, 4, L); 0: unchanged
            variants[1:] = np.where(eye[:, None, :], np.float32(0.25), variants[1:])
            out = []
            for s in range(0, L + 1, batch_size):
                xb = torch.from_numpy(variants[s : s + batch_size]).to(device)
                out.append(m(xb).float().reshape(-1).cpu().numpy())
            logits[r] = np.concatenate(out)
    return logits[:, :1] - logits[:, 1:]


def untrained_twin(model, seed: int = 0):
    """The same architecture and settings as ``model`` at the initialisation training starts
    from with ``seed`` (the global torch RNG is left as it was)."""
    import torch

    from deepmotif.models import build_model

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed))
        twin = build_model(model.arch, **model.config)
    return twin.eval()


def logit_gain(model, sequence_score: float, length: int, seed: int = 0, device=None) -> float:
    """``sequence_score`` minus the model's median logit over :data:`N_RANDOM` random
    sequences of ``length`` (uniform bases, seeded)."""
    import torch

    from deepmotif._device import model_on, resolve_device

    rng = np.random.default_rng(seed)
    idx = torch.as_tensor(rng.integers(0, 4, size=(N_RANDOM, int(length))))
    x = torch.nn.functional.one_hot(idx, 4).permute(0, 2, 1).float()
    device = next(model.parameters()).device if device is None else resolve_device(device)
    with torch.no_grad(), model_on(model, device, train=False) as m:
        logits = m(x.to(device)).float().reshape(-1).cpu().numpy()
    return float(sequence_score - np.median(logits))


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
    objective: str = "softmax",
    n_restarts: int | None = None,
    steps: int | None = None,
    temperature: float | None = None,
    window: tuple[int, int] | None = None,
    start_std: float | None = None,
    samples: int | None = None,
    l2: float | None = None,
    random_state: int | None = 0,
    result=None,
    null: bool = True,
    seed: int | None = None,
    null_factor: float = 3.0,
    min_gain: float | None = None,
    positives=None,
    min_ic: float = 0.5,
    min_length: int = 5,
    max_length: int = 25,
    gap: int = 2,
    importance: bool = False,
    merge_similarity: float = 0.7,
    min_support: int = 2,
    max_motifs: int = 3,
    pseudocount: float = 0.01,
    device=None,
) -> list[ExtractedMotif]:
    """Class-optimisation motifs of a model that beat the null (see the module docstring).

    Parameters
    ----------
    model : DeepMotifModel or None
        None only with ``result`` (then the null is skipped).
    arch : str, optional
        For the names (default ``model.arch``).
    length : int
        Length of the optimised inputs (the model's training length).
    objective, n_restarts, steps, temperature, window, start_std, samples, l2, random_state
        Passed to :func:`deepmotif.explain.class_optimization` (``None``: its defaults), for the
        model and for its null alike.
    result : OptimizationResult, optional
        A precomputed optimisation (then the model is not optimised again).
    null : bool
        Compare with the untrained twin (module docstring); off only for tests and studies.
    seed : int, optional
        The run's training seed, for the untrained twin (default ``random_state`` or 0).
    null_factor, min_gain
        The logit gain must exceed ``null_factor`` x the null's gain and ``min_gain``
        (``None``: :data:`MIN_GAIN` for how the inputs were scored; 2 on distributions: a
        label-shuffled CNN-RNN trained 30 epochs gained 1.03 logits, models with signal 6-28;
        docs/motifs.md).
    positives : array-like (n, 4, L), optional
        Real positive sequences: their best logit is recorded (``best_positive_score``).
    min_ic, min_length, max_length, gap
        Segmenting each restart (see :func:`deepmotif.motifs.pwm.informative_segments`);
        ``min_ic`` is raised to the null PWM's most informative column.
    importance : bool
        Cut a stretch longer than ``max_length`` around the window of highest
        :func:`column_importance` (module docstring) instead of highest information content
        (needs ``model``).
    merge_similarity, min_support, max_motifs
        Merging restarts (see the module docstring).
    device : str, optional
        Where the model runs (``None``: CUDA when available).

    Returns
    -------
    list of ExtractedMotif
        ``<arch>-optimize-<k>``, best supported first.

    Raises
    ------
    NoMotifFound
        "no motif beyond chance": the optimisation did not beat the untrained twin, no
        stretch of the PWMs is more informative than the twin's, or no stretch is shared by
        ``min_support`` restarts.
    """
    arch = arch or getattr(model, "arch", "model")
    settings = {
        "objective": objective, "n_restarts": n_restarts, "steps": steps, "temperature": temperature,
        "window": window, "start_std": start_std, "samples": samples, "l2": l2,
    }  # fmt: skip
    if result is None:
        result = _optimize(model, length, settings, random_state, device)
    objective = getattr(result, "objective", objective)
    scores = np.asarray(_numpy(result.scores), dtype=np.float64).reshape(-1)
    pwms = restart_pwms(result)
    L = pwms.shape[-1]
    if not np.isfinite(scores).any():
        raise NoMotifFound("no motif beyond chance: the optimised inputs have no finite score")
    stats = {
        "objective": objective,
        "samples": int(getattr(result, "samples", 0)),
        "temperature": float(getattr(result, "temperature", 1.0)),
    }
    seq_score = float(getattr(result, "sequence_score", np.nan))
    if model is not None and np.isfinite(seq_score):
        stats["sequence_score"] = seq_score
        stats["gain"] = logit_gain(model, seq_score, L, device=device)
    if positives is not None and model is not None and len(positives):
        from deepmotif.explain.optimize import best_logit

        stats["best_positive_score"] = best_logit(model, positives, device)
    if null and model is not None:
        twin = untrained_twin(model, random_state if seed is None else seed)
        ref = _optimize(twin, L, settings, random_state, device)
        null_gain = logit_gain(twin, float(ref.sequence_score), L, device=device)
        null_ic = float(information_content(restart_pwms(ref)[int(ref.best)]).max())
        stats["null_gain"] = null_gain
        gain = stats.get("gain", -np.inf)
        if min_gain is None:
            min_gain = MIN_GAIN["draws" if getattr(result, "samples", 0) else "distributions"]
        needed = max(null_factor * null_gain, min_gain)
        if not gain > needed:
            raise NoMotifFound(
                f"no motif beyond chance: the optimised sequence gains {gain:.3g} logits over "
                f"random sequences, no more than {needed:.3g} (the untrained {arch} gains "
                f"{null_gain:.3g}; at least {null_factor:g}x that and {min_gain:g} is required)"
            )
        min_ic = max(min_ic, null_ic)
    stats["ic_threshold"] = float(min_ic)
    weights = [None] * len(pwms)
    if importance and model is not None:  # a cheap batch of forward passes
        weights = list(np.clip(column_importance(model, pwms, device=device), 0.0, None))
    order = np.argsort(-scores, kind="stable")
    segments = []
    for r in order:
        for s, e in informative_segments(
            pwms[r], min_ic, gap=gap, min_length=min_length, max_length=max_length,
            weights=weights[r],
        ):  # fmt: skip
            segments.append((int(r), float(scores[r]), pwms[r][:, s:e]))
    if not segments:
        gains = ""
        if "gain" in stats:
            gains = f"; logit gain {stats['gain']:.3g} over random sequences"
            if "null_gain" in stats:
                gains += f", untrained {arch}: {stats['null_gain']:.3g}"
        raise NoMotifFound(
            f"no motif beyond chance: no stretch of {min_length}+ columns above "
            f"{min_ic:.2f} bits in the optimised PWMs{gains}"
        )
    clusters = merge_restarts(
        segments, merge_similarity=merge_similarity, min_ic=min_ic, min_length=min_length
    )
    chosen = [c for c in clusters if len(c["restarts"]) >= min_support][:max_motifs]
    if not chosen:
        raise NoMotifFound(
            f"no motif beyond chance: no informative stretch is shared by {min_support} of the "
            f"{len(scores)} restarts"
        )
    out = []
    for k, c in enumerate(chosen, start=1):
        pwm = normalize(c["pwm"], pseudocount)
        motif_stats = {
            "support": len(c["restarts"]),
            "n_restarts": int(len(scores)),
            "best_score": float(max(c["scores"])),
            "mean_score": float(np.mean(c["scores"])),
            **stats,
        }
        out.append(
            ExtractedMotif(
                motif_name(arch, "optimize", k),
                pwm,
                "optimize",
                arch,
                len(c["restarts"]),
                motif_stats,
            )
        )
    return out


def _optimize(model, length: int, settings: dict, random_state, device):
    from deepmotif.explain import class_optimization

    kwargs = {k: v for k, v in settings.items() if v is not None}
    return class_optimization(
        model, length=int(length), random_state=random_state, device=device, **kwargs
    )


def _numpy(x):
    return x.detach().cpu().numpy() if hasattr(x, "detach") else np.asarray(x)
