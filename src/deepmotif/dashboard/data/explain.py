"""Explanations on demand: the run's model, a pasted sequence's validation, and saliency and
temporal scores of one sequence by every architecture of a dataset.

Precomputed explanations (:func:`deepmotif.rundir.explain_file`) are used where they hold the
sequence; the rest is computed through the explanation-method registry
(:func:`deepmotif.explain.registry.get_method`) on the store's device and cached.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

import numpy as np

from deepmotif import rundir
from deepmotif.dashboard.data.cache import stamp
from deepmotif.errors import DeepMotifError

__all__ = ["Explanation", "Explanations", "compute_explanation", "pasted_sequence"]


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
    attributions : dict of str -> numpy.ndarray (4, L)
        The ``attributions`` map of every other attribution method asked for (by name).
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
    attributions: dict = field(default_factory=dict)


def pasted_sequence(text: str, *, max_length: int = 1000, min_length: int = 10) -> str:
    """Validate a pasted DNA sequence and return it upper-case without whitespace.

    Accepted: one sequence of A, C, G, T, N (any case), with line breaks and spaces anywhere
    and an optional FASTA header line (``>name``) first. The letters are checked by
    :func:`deepmotif.data.encoding.clean_sequence` (IUPAC ambiguity codes are refused here).

    Raises
    ------
    DeepMotifError
        Empty input, more than one FASTA record, a letter that is not DNA (its position is
        named), or a length outside ``[min_length, max_length]``.
    """
    from deepmotif.data.encoding import clean_sequence

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
    seq = clean_sequence(seq, ambiguity=False)
    if len(seq) > max_length:
        raise DeepMotifError(f"the sequence is {len(seq)} bp long; at most {max_length} bp allowed")
    if len(seq) < min_length:
        raise DeepMotifError(f"the sequence is {len(seq)} bp long; at least {min_length} bp needed")
    return seq


def compute_explanation(model, sequence: str, what: str, device):
    """``what`` of one sequence: ``"score"`` (P(bound)), ``"saliency"`` (``(gradient,
    |gradient| * input)``, each (4, L)), ``"temporal"`` (``(forward, backward)``, each (L,)) or
    ``"attribution:<method>"`` (the method's ``attributions``, (4, L)).

    Saliency, temporal scores and the attributions are the registry's methods of those names.
    """
    import torch

    from deepmotif.data.encoding import one_hot
    from deepmotif.evaluation import predict
    from deepmotif.explain.registry import get_method

    X = torch.from_numpy(one_hot([sequence]))
    try:
        if what == "score":
            return float(predict(model, X, device=device)[0])
        if what.startswith(ATTRIBUTION):
            method = get_method(what[len(ATTRIBUTION) :], kind="attribution")
            out = method.compute(model, X, device=device)
            return np.asarray(out["attributions"], dtype=np.float32)[0]
        out = get_method(what).compute(model, X, device=device)
    except DeepMotifError:
        raise
    except (RuntimeError, ValueError) as exc:  # e.g. a sequence shorter than the receptive field
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DeepMotifError(
            f"the model cannot read this {len(sequence)}-bp sequence ({first})"
        ) from exc
    if what == "saliency":
        gradient = np.asarray(out["gradient"], dtype=np.float32)[0]
        return gradient, np.abs(gradient) * X.numpy()[0]
    return (
        np.asarray(out["forward"], dtype=np.float32)[0],
        np.asarray(out["backward"], dtype=np.float32)[0],
    )


#: ``what`` prefix of :func:`compute_explanation` for a registered attribution method.
ATTRIBUTION = "attribution:"


class Explanations:
    """Models and explanations of :class:`~deepmotif.dashboard.data.RunStore` (uses its
    ``compute``, ``max_length``, ``torch_threads``, ``device`` and caches)."""

    def torch_device(self):
        """The device models run on: the store's ``device`` setting, resolved once (``None``:
        CUDA when available, else the CPU)."""
        if self._resolved_device is None:
            from deepmotif._device import resolve_device

            self._resolved_device = resolve_device(self.device)
        return self._resolved_device

    def model(self, key: str):
        """The run's model (loaded once onto the store's device, eval mode; never unpickles)."""
        run = self.run(key)
        if not run.finished:
            raise DeepMotifError(f"{run.key}: {run.problem or 'the run is not finished'}")
        weights = run.path / rundir.WEIGHTS
        if not weights.is_file():
            raise DeepMotifError(f"{run.key}: no {rundir.WEIGHTS}, so nothing can be computed")
        key_ = stamp(weights)
        if self.torch_threads:
            import torch

            if torch.get_num_threads() != self.torch_threads:
                torch.set_num_threads(self.torch_threads)
        device = self.torch_device()
        return self._models.get(("model", *key_, str(device)), lambda: _load_model(run, device))

    def explain_test(
        self, dataset: str, seq_id: str, *, reference_arch: str | None = None, methods=()
    ) -> dict:
        """Explanations of one test sequence (by id) for every finished run of ``dataset``.

        ``methods``: attribution methods besides saliency whose maps to add
        (:attr:`Explanation.attributions`).

        Returns
        -------
        dict
            ``name -> Explanation`` in architecture order (the name is the architecture, or
            ``"<arch> seed <S>"`` for one of several seeds; see ``RunInfo.name``). Precomputed files are used where
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
            out[run.name] = self._explain_one(run, sequence, seq_id, methods)
        if not out:
            raise DeepMotifError(f"{dataset}: no finished run")
        return out

    def explain_sequence(self, dataset: str, sequence: str, *, methods=()) -> dict:
        """Predictions and explanations of a pasted sequence for every finished run of ``dataset``.

        ``sequence`` is validated with :func:`pasted_sequence` (length capped at ``max_length``);
        ``methods`` as in :meth:`explain_test`.
        """
        sequence = pasted_sequence(sequence, max_length=self.max_length)
        out = {}
        for run in self.runs_for(dataset, finished=True):
            out[run.name] = self._explain_one(run, sequence, None, methods)
        if not out:
            raise DeepMotifError(f"{dataset}: no finished run")
        return out

    def _precomputed(self, ex: Explanation, run, seq_id: str, sources: dict) -> None:
        """Fill ``ex`` from the run's own test table and precomputed explanations."""
        try:
            table = self.test_table(run.key)
            hit = table.index[table["id"] == str(seq_id)]
            if len(hit) and table["sequence"].iloc[hit[0]] == ex.sequence:
                ex.score = float(table["score"].iloc[hit[0]])
        except DeepMotifError:
            pass
        for method, fields in (("saliency", ("saliency", "gradient")), ("temporal", _TEMPORAL)):
            try:
                row = self._precomputed_row(run.key, method, seq_id, fields)
            except DeepMotifError as exc:
                ex.problems.append(str(exc))
                continue
            if row is not None:
                for f in fields:
                    setattr(ex, f, row[f])
                sources[method] = "precomputed"

    def _explain_one(self, run, sequence: str, seq_id: str | None, methods=()) -> Explanation:
        ex = Explanation(run.name, sequence)
        sources = {}
        # Score, saliency and temporal scores: precomputed for test sequences, else computed.
        if seq_id is not None:
            self._precomputed(ex, run, seq_id, sources)
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
        self._attributions(ex, run, seq_id, [m for m in methods if m != "saliency"], sources)
        _check_shapes(ex, run.arch)
        kinds = sorted(set(sources.values()))
        ex.source = (
            kinds[0]
            if len(kinds) == 1
            else ", ".join(f"{k} {v}" for k, v in sorted(sources.items()))
        )
        return ex

    def _attributions(self, ex: Explanation, run, seq_id, methods, sources: dict) -> None:
        """Fill ``ex.attributions`` for ``methods``: precomputed rows, else computed."""
        for m in methods:
            row = None
            if seq_id is not None:
                try:
                    row = self._precomputed_row(run.key, m, seq_id, ("attributions",))
                except DeepMotifError as exc:
                    ex.problems.append(str(exc))
            if row is not None:
                ex.attributions[m] = row["attributions"]
                sources[m] = "precomputed"
                continue
            if not self.compute:
                ex.problems.append(f"{run.arch}: {m} not precomputed (computing is off)")
                continue
            try:
                ex.attributions[m] = self._compute(run, ex.sequence, ATTRIBUTION + m)
                sources[m] = "computed"
            except DeepMotifError as exc:
                ex.problems.append(f"{run.arch}: {m}: {exc}")

    def _compute(self, run, sequence: str, what: str):
        digest = hashlib.sha1(sequence.encode()).hexdigest()
        weights = run.path / rundir.WEIGHTS
        key = stamp(weights) if weights.is_file() else (str(weights),)
        return self._computed.get(
            (what, *key, digest),
            lambda: compute_explanation(self.model(run.key), sequence, what, self.torch_device()),
        )


_TEMPORAL = ("forward", "backward")


def _load_model(run, device):
    """The run's model; a config or weights file that does not build one (hand-edited, corrupt)
    is a DeepMotifError naming the run, shown on the page like any other broken file."""
    try:
        return rundir.load_run(run.path, device=device).model
    except DeepMotifError:
        raise
    except (TypeError, ValueError, KeyError, RuntimeError) as exc:
        raise DeepMotifError(
            f"{run.key}: cannot build the model from {rundir.CONFIG} and {rundir.WEIGHTS} "
            f"({type(exc).__name__}: {exc})"
        ) from exc


def _check_shapes(ex: Explanation, arch: str) -> None:
    """Drop (with a problem noted) any array whose shape does not fit the sequence."""
    L = len(ex.sequence)
    for name in ("gradient", "saliency"):
        arr = getattr(ex, name)
        if arr is not None and arr.shape != (4, L):
            ex.problems.append(f"{arch}: {name} has shape {arr.shape}, expected (4, {L})")
            setattr(ex, name, None)
    for name in _TEMPORAL:
        arr = getattr(ex, name)
        if arr is not None and arr.shape != (L,):
            ex.problems.append(f"{arch}: {name} scores have shape {arr.shape}, expected ({L},)")
            setattr(ex, name, None)
    for name, arr in list(ex.attributions.items()):
        if np.shape(arr) != (4, L):
            ex.problems.append(f"{arch}: {name} has shape {np.shape(arr)}, expected (4, {L})")
            del ex.attributions[name]
