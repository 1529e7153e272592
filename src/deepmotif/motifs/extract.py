"""Run the extraction sources on one model: class optimisation, saliency seqlets, filters."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from deepmotif.errors import DeepMotifError
from deepmotif.motifs.base import (
    SOURCES,
    ExtractedMotif,
    NoMotifFound,
    model_signal,
    no_signal_reason,
)

__all__ = ["ExtractionResult", "extract_motifs", "resolve_sources"]


class ExtractionResult(NamedTuple):
    """What :func:`extract_motifs` returns.

    Attributes
    ----------
    motifs : list of ExtractedMotif
        In source order (optimize, saliency, filters), then by rank within a source.
    sources : list of str
        The sources that ran.
    seconds : dict of str -> float
        Wall time per source.
    empty : dict of str -> str
        For each source that found no motif, why (e.g. "no positive sequence is correctly
        classified ..."); a source missing here found at least one.
    """

    motifs: list[ExtractedMotif]
    sources: list[str]
    seconds: dict
    empty: dict


def resolve_sources(sources: str | Sequence[str] | None, model) -> list[str]:
    """The sources to run, in the canonical order.

    ``None`` means all three, with ``filters`` only when the model has convolutions. Named
    sources are checked: an unknown name, or ``filters`` for a model without convolutions
    (the RNN), is a :class:`DeepMotifError`.
    """
    has_conv = getattr(model, "first_conv", None) is not None
    arch = getattr(model, "arch", "this")
    if sources is None:
        return [s for s in SOURCES if s != "filters" or has_conv]
    if isinstance(sources, str):
        sources = [s for s in sources.split(",")]
    wanted = [s.strip().lower() for s in sources if s.strip()]
    if not wanted:
        raise DeepMotifError(f"no motif source given; choose from {', '.join(SOURCES)}")
    for s in wanted:
        if s not in SOURCES:
            raise DeepMotifError(f"unknown motif source {s!r}; choose from {', '.join(SOURCES)}")
    if "filters" in wanted and not has_conv:
        raise DeepMotifError(
            f"the filters source needs convolutions, and the {arch} model has none; "
            "use the optimize and saliency sources"
        )
    return [s for s in SOURCES if s in wanted]


def extract_motifs(
    model,
    X,
    labels,
    scores=None,
    *,
    sources: str | Sequence[str] | None = None,
    arch: str | None = None,
    length: int | None = None,
    options: dict | None = None,
    attribution: str = "saliency",
    device=None,
    verbose: bool = False,
    require_signal: bool = True,
) -> ExtractionResult:
    """Extract motifs from ``model`` with each source.

    Parameters
    ----------
    model : DeepMotifModel
    X : array-like, shape (n, 4, length)
        One-hot labelled sequences (positives and negatives) for the saliency and filters
        sources.
    labels : array-like of int, shape (n,)
    scores : array-like of float, shape (n,), optional
        The model's probabilities for ``X`` (computed when needed and not given).
    sources : str, sequence of str or None
        See :func:`resolve_sources`.
    arch : str, optional
        For the motif names (default ``model.arch``).
    length : int, optional
        Length of the class-optimised input (default ``X``'s length).
    options : dict, optional
        Keyword arguments per source: ``{"optimize": {...}, "saliency": {...}, "filters": {...}}``
        passed to :func:`~deepmotif.motifs.from_optimization.optimization_motifs`,
        :func:`~deepmotif.motifs.from_saliency.saliency_motifs` and
        :func:`~deepmotif.motifs.from_filters.filter_motifs`.
    attribution : str
        The registered attribution method whose map the saliency source cuts into seqlets
        (:func:`deepmotif.explain.registry.attribution_methods`; default ``saliency``).
    device : str, optional
        Where the model runs (``None``: CUDA when available), for every source.
    require_signal : bool
        The null of the saliency and filters sources: they yield nothing when the model's
        AUROC on ``X`` does not beat chance (:func:`deepmotif.motifs.base.model_signal`); the
        optimize source has its own null (the untrained architecture).

    Returns
    -------
    ExtractionResult
    """
    chosen = resolve_sources(sources, model)
    arch = arch or getattr(model, "arch", "model")
    X = np.asarray(X, dtype=np.float32)
    labels = np.asarray(labels).astype(int)
    options = dict(options or {})
    unknown = set(options) - set(SOURCES)
    if unknown:
        raise DeepMotifError(f"options for unknown source(s): {', '.join(sorted(unknown))}")
    if "saliency" in chosen:
        from deepmotif.explain.registry import get_method

        attribution = get_method(attribution, kind="attribution").name
    settings = {"attribution": attribution, "device": device}
    motifs: list[ExtractedMotif] = []
    seconds: dict = {}
    empty: dict = {}
    signal = None
    if require_signal and {"saliency", "filters"} & set(chosen):
        if scores is None:
            from deepmotif.evaluation import predict

            scores = predict(model, X, device=device)
        signal = model_signal(scores, labels)
    for source in chosen:
        t0 = time.perf_counter()
        try:
            if source != "optimize" and signal is not None and not signal["signal"]:
                raise NoMotifFound(no_signal_reason(signal))  # the optimize source has its own null
            found = _extract_one(source, model, X, labels, scores, arch, length, options, settings)
        except NoMotifFound as exc:
            found, empty[source] = [], str(exc)
        if not found and source not in empty:
            empty[source] = "no candidate passed the source's filters"
        seconds[source] = time.perf_counter() - t0
        motifs.extend(found)
        if verbose:
            if found:
                print(f"{source}: {len(found)} motif(s) in {seconds[source]:.1f} s", flush=True)
            else:
                print(f"{source}: no motif found ({empty[source]})", flush=True)
    return ExtractionResult(motifs, chosen, seconds, empty)


def _extract_one(
    source, model, X, labels, scores, arch, length, options, settings
) -> list[ExtractedMotif]:
    """One source's motifs (raises :class:`NoMotifFound` when it has nothing to work on).

    ``settings`` (``device``, ``attribution``) apply unless the source's ``options`` set them.
    """
    kw = dict(options.get(source, {}))
    kw.setdefault("device", settings["device"])
    if source == "optimize":
        from deepmotif.motifs.from_optimization import optimization_motifs

        if len(X):
            kw.setdefault("positives", X[labels == 1])
        return optimization_motifs(model, arch=arch, length=length or X.shape[-1], **kw)
    if source == "saliency":
        from deepmotif.motifs.from_saliency import saliency_motifs

        if scores is None:
            from deepmotif.evaluation import predict

            scores = predict(model, X, device=kw["device"])
        kw.setdefault("attribution", settings["attribution"])
        return saliency_motifs(model, X, labels, scores, arch=arch, **kw)
    from deepmotif.motifs.from_filters import filter_motifs

    return filter_motifs(model, X, labels, arch=arch, **kw)
