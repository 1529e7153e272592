"""The motif record every extraction source returns."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from deepmotif.errors import DeepMotifError
from deepmotif.motifs.pwm import information_content

#: The extraction sources, in the order they are run and reported.
SOURCES = ("optimize", "saliency", "filters")


class NoMotifFound(DeepMotifError):
    """A source has nothing to extract from (e.g. no correctly classified positive, or
    attributions that are all zero). An ordinary outcome: :func:`~deepmotif.motifs.extract.
    extract_motifs` records the reason and goes on with the other sources."""


def motif_name(arch: str, source: str, k: int) -> str:
    """The name of the ``k``-th motif (1-based) of a source: ``"cnn-saliency-1"``."""
    return f"{arch}-{source}-{k}"


@dataclass(eq=False)
class ExtractedMotif:
    """A motif extracted from a trained model.

    Attributes
    ----------
    name : str
        ``<arch>-<source>-<k>`` (e.g. ``"cnn-rnn-filters-3"``), unique within a run.
    pwm : numpy.ndarray of float64, shape (4, length)
        Rows A, C, G, T; columns sum to 1.
    source : str
        ``"optimize"``, ``"saliency"`` or ``"filters"``.
    arch : str
        ``"cnn"``, ``"rnn"`` or ``"cnn-rnn"``.
    n_sites : int
        How many sequences, seqlets, restarts or filter hits the PWM was built from.
    stats : dict
        Source-specific numbers, JSON-serialisable (see each source's docstring).
    """

    name: str
    pwm: np.ndarray
    source: str
    arch: str
    n_sites: int = 0
    stats: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.pwm = np.asarray(self.pwm, dtype=np.float64)
        if self.pwm.ndim != 2 or self.pwm.shape[0] != 4 or self.pwm.shape[1] == 0:
            raise ValueError(
                f"motif {self.name}: pwm must have shape (4, length>0), got {self.pwm.shape}"
            )

    @property
    def length(self) -> int:
        return int(self.pwm.shape[1])

    @property
    def consensus(self) -> str:
        """The most probable base of each column."""
        return "".join("ACGT"[i] for i in self.pwm.argmax(axis=0))

    @property
    def information_content(self) -> float:
        """Total information content in bits."""
        return float(information_content(self.pwm).sum())

    def summary(self) -> dict:
        """A JSON-serialisable description (no matrix)."""
        return {
            "name": self.name,
            "source": self.source,
            "arch": self.arch,
            "length": self.length,
            "consensus": self.consensus,
            "information_content": round(self.information_content, 4),
            "n_sites": int(self.n_sites),
            **{k: v for k, v in self.stats.items()},
        }

    def __repr__(self) -> str:
        return f"ExtractedMotif({self.name} {self.consensus}, {self.n_sites} sites)"


#: The model-signal null of the saliency and filters sources: the model's AUROC on the
#: sequences the motifs come from must exceed chance at this one-sided level...
SIGNAL_P = 1e-3
#: ... and by at least this much (with thousands of sequences a tiny AUROC is "significant").
SIGNAL_MIN_AUROC = 0.55


def model_signal(scores, labels) -> dict:
    """Does the model separate these sequences at all? Its AUROC against the chance bound.

    Under the null (scores unrelated to labels) the AUROC of ``n1`` positives and ``n0``
    negatives is about normal with mean 1/2 and variance ``(n0 + n1 + 1) / (12 n0 n1)`` (the
    Mann-Whitney statistic); ``bound`` is its upper ``1 - SIGNAL_P`` point, raised to
    :data:`SIGNAL_MIN_AUROC`. A model at or under the bound has no signal to explain: seqlets
    and filters it yields are what an untrained network yields (a label-shuffled CNN's
    saliency seqlets matched CTCF at q = 1e-7 on simulated CTCF data).

    Returns ``{"auroc", "bound", "n_positive", "n_negative", "signal"}``.
    """
    from sklearn.metrics import roc_auc_score

    from deepmotif.evaluation.metrics import null_auroc_margin

    labels = np.asarray(labels).astype(int)
    scores = np.asarray(scores, dtype=np.float64)
    n1, n0 = int((labels == 1).sum()), int((labels == 0).sum())
    if n1 == 0 or n0 == 0:
        return {"auroc": float("nan"), "bound": float("nan"), "n_positive": n1,
                "n_negative": n0, "signal": False}  # fmt: skip
    auroc = float(roc_auc_score(labels, scores))
    bound = max(SIGNAL_MIN_AUROC, 0.5 + null_auroc_margin(n1, n0, SIGNAL_P))
    return {"auroc": auroc, "bound": float(bound), "n_positive": n1, "n_negative": n0,
            "signal": bool(auroc > bound)}  # fmt: skip


def no_signal_reason(signal: dict) -> str:
    """The line a source reports when :func:`model_signal` says there is nothing to explain."""
    if not (signal["n_positive"] and signal["n_negative"]):
        return "no motif beyond chance: the sequences need positives and negatives to check the model's signal"
    if signal["bound"] >= 1:
        return (
            f"no motif beyond chance: {signal['n_positive']} positives and "
            f"{signal['n_negative']} negatives are too few to show the model's signal (even "
            f"AUROC 1 is not beyond chance at p < {SIGNAL_P:g}); more sequences, or "
            "--no-signal-check"
        )
    return (
        f"no motif beyond chance: the model does not separate these sequences (AUROC "
        f"{signal['auroc']:.3f}, needs above {signal['bound']:.3f}: p < {SIGNAL_P:g} against "
        f"chance and at least {SIGNAL_MIN_AUROC})"
    )
