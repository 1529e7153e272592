"""The explanation methods, looked up by name: one table every consumer reads.

The CLI (``deepmotif explain --method``), :func:`~deepmotif.explain.run.explain_run`, the
dashboard, the quickstart and motif extraction find methods here instead of switching on
strings. Adding a method means one new module (its function with the shared signature), one
:func:`register` call below, and its tests.

Kinds
-----
``attribution``
    One score per base and position: ``compute(model, X, **kw)`` returns a dict whose
    ``"attributions"`` entry is (n, 4, L) float32 (the contribution of the observed base, and
    hypothetical values at the other bases where the method has them). Other entries are extra
    arrays written beside it (e.g. saliency's ``gradient`` and ``saliency``); a 0-d entry (e.g.
    deepliftshap's ``algorithm``) is the same for every sequence and written once. Motif
    extraction (seqlets) and the audit read ``"attributions"``.
``profile``
    One or more curves per position, (n, L) each (temporal output scores: ``forward``,
    ``backward``).
``input``
    No sequences: the method designs an input (class optimization); ``compute(model, length=L,
    **kw)`` returns its arrays.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from deepmotif.errors import DeepMotifError

__all__ = ["KINDS", "Method", "attribution_methods", "get_method", "method_names", "register"]

KINDS = ("attribution", "profile", "input")


@dataclass(frozen=True)
class Method:
    """One explanation method.

    Attributes
    ----------
    name : str
        What users type (``deepmotif explain --method NAME``).
    kind : str
        One of :data:`KINDS`.
    compute : callable
        ``(model, X, *, batch_size=None, device=None, verbose=False, **options) -> dict[str,
        ndarray]`` for ``attribution`` and ``profile``; ``(model, *, length, batch_size=None,
        device=None, verbose=False, **options) -> dict`` for ``input``. Arrays are CPU numpy, one row per sequence.
    keys : tuple of str
        The per-sequence arrays ``compute`` returns, in the order they are written.
    description : str
        One line for ``--help`` and the dashboard.
    options : tuple of str
        Extra keyword options ``compute`` accepts (e.g. ``n_restarts``).
    """

    name: str
    kind: str
    compute: Callable
    keys: tuple[str, ...]
    description: str
    options: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"method {self.name}: kind must be one of {KINDS}, got {self.kind!r}")
        if self.kind == "attribution" and "attributions" not in self.keys:
            raise ValueError(f"method {self.name}: an attribution method returns 'attributions'")


_METHODS: dict[str, Method] = {}


def register(method: Method) -> Method:
    """Add ``method`` to the table (a name may be registered once)."""
    if method.name in _METHODS:
        raise ValueError(f"explanation method {method.name!r} is registered already")
    _METHODS[method.name] = method
    return method


def method_names(kind: str | None = None) -> tuple[str, ...]:
    """The registered names (of one kind), in registration order."""
    return tuple(n for n, m in _METHODS.items() if kind is None or m.kind == kind)


def attribution_methods() -> tuple[str, ...]:
    """The names of the methods that give a (n, 4, L) attribution map."""
    return method_names("attribution")


def get_method(name: str, *, kind: str | None = None) -> Method:
    """The method called ``name``; a :class:`DeepMotifError` naming the choices otherwise."""
    method = _METHODS.get(str(name).strip().lower())
    if method is None or (kind is not None and method.kind != kind):
        choices = method_names(kind)
        what = f"{kind} method" if kind else "method"
        raise DeepMotifError(f"unknown {what} {name!r}; choose from {', '.join(choices)}")
    return method


# ------------------------------------------------------------------------------ the methods


def _saliency(model, X, *, batch_size=None, device=None, verbose=False):
    from deepmotif.explain.saliency import saliency

    r = saliency(model, X, batch_size=batch_size, device=device, verbose=verbose)
    return {
        "attributions": np.asarray(r.grad_x_input, dtype=np.float32),
        "saliency": np.asarray(r.saliency, dtype=np.float32),
        "gradient": np.asarray(r.gradient, dtype=np.float32),
    }


def _temporal(model, X, *, batch_size=None, device=None, verbose=False):
    from deepmotif.explain.temporal import temporal_scores

    r = temporal_scores(model, X, batch_size=batch_size, device=device, verbose=verbose)
    return {
        "forward": np.asarray(r.forward, dtype=np.float32),
        "backward": np.asarray(r.backward, dtype=np.float32),
    }


def _optimize(
    model,
    *,
    length: int,
    batch_size=None,
    device=None,
    verbose=False,
    objective: str = "softmax",
    n_restarts: int | None = None,
    steps: int | None = None,
    random_state: int | None = 0,
):
    from deepmotif.explain.optimize import class_optimization

    r = class_optimization(
        model,
        length=length,
        objective=objective,
        n_restarts=n_restarts,
        steps=steps,
        random_state=random_state,
        batch_size=batch_size,
        device=device,
        verbose=verbose,
    )
    return {
        "pwm": np.asarray(r.pwm, dtype=np.float32),
        "pwm_softmax": np.asarray(r.pwm_softmax, dtype=np.float32),
        "scores": np.asarray(r.scores, dtype=np.float32),
        "inputs": np.asarray(r.inputs, dtype=np.float32),
        "best": np.asarray(int(r.best)),
        "sequence": np.asarray(r.sequence),
        "sequence_score": np.asarray(r.sequence_score, dtype=np.float32),
        "objective": np.asarray(r.objective),
    }


register(
    Method(
        "saliency",
        "attribution",
        _saliency,
        ("attributions", "saliency", "gradient"),
        "gradient of the logit: |gradient| x input (the paper's map), gradient x input",
    )
)
register(
    Method(
        "temporal",
        "profile",
        _temporal,
        ("forward", "backward"),
        "P(bound) of every prefix (forward) and suffix (backward) of the sequence",
    )
)
register(
    Method(
        "optimize",
        "input",
        _optimize,
        (
            "pwm",
            "pwm_softmax",
            "scores",
            "inputs",
            "best",
            "sequence",
            "sequence_score",
            "objective",
        ),
        "class optimization: the input the model scores highest as bound",
        options=("objective", "n_restarts", "steps", "random_state"),
    )
)


# ------------------------------------------------------------- more attribution methods


def _ism(model, X, *, batch_size=None, device=None, verbose=False):
    from deepmotif.explain.ism import ism

    r = ism(model, X, batch_size=batch_size, device=device, verbose=verbose)
    return r._asdict()  # attributions, delta, logits


def _integrated_gradients(
    model,
    X,
    *,
    batch_size=None,
    device=None,
    verbose=False,
    baseline: str = "zeros",
    steps: int = 50,
    n_shuffles: int = 8,
    random_state: int | None = 0,
):
    from deepmotif.explain.integrated_gradients import integrated_gradients

    r = integrated_gradients(
        model,
        X,
        baseline=baseline,
        steps=steps,
        n_shuffles=n_shuffles,
        batch_size=batch_size,
        device=device,
        random_state=random_state,
        verbose=verbose,
    )
    return r._asdict()  # attributions, delta, logits, baseline_logits


def _deepliftshap(
    model,
    X,
    *,
    batch_size=None,
    device=None,
    verbose=False,
    n_shuffles: int = 20,
    random_state: int | None = 0,
):
    from deepmotif.explain.deepliftshap import deep_lift_shap

    r = deep_lift_shap(
        model,
        X,
        n_shuffles=n_shuffles,
        batch_size=batch_size,
        device=device,
        random_state=random_state,
        verbose=verbose,
    )
    return {**r._asdict(), "algorithm": np.array(r.algorithm)}


register(
    Method(
        "ism",
        "attribution",
        _ism,
        ("attributions", "delta", "logits"),
        "in-silico saturation mutagenesis: logit change of every single-base substitution "
        "(delta; attributions = delta centred over the four bases)",
    )
)
register(
    Method(
        "integrated-gradients",
        "attribution",
        _integrated_gradients,
        ("attributions", "delta", "logits", "baseline_logits"),
        "integrated gradients from an all-N or dinucleotide-shuffled baseline, with its "
        "completeness delta",
        options=("baseline", "steps", "n_shuffles", "random_state"),
    )
)
register(
    Method(
        "deepliftshap",
        "attribution",
        _deepliftshap,
        ("attributions", "delta", "logits", "reference_logits", "algorithm"),
        "DeepLIFT-SHAP hypothetical contributions against dinucleotide shuffles (CNN; expected "
        "gradients for the LSTM models), with the convergence delta",
        options=("n_shuffles", "random_state"),
    )
)
