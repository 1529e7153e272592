"""Explaining a run directory: the library function behind ``deepmotif explain``.

:func:`explain_run` loads a finished run, explains the selected sequences with one method and
writes ``OUT.npz`` (readable with ``numpy.load(..., allow_pickle=False)``):

=============  =======================================================================
key            contents
=============  =======================================================================
``method``     0-d string: the method's name (:mod:`deepmotif.explain.registry`)
``ids``        (N,) sequence ids, in input order (empty for ``optimize``)
``labels``     (N,) int8 labels as read (empty for ``optimize``)
``attributions`` (N, 4, L) float32, every attribution method's map (saliency: gradient x input)
``saliency``   (N, 4, L) float32, |gradient| x input (the paper's map)
``gradient``   (N, 4, L) float32, d logit / d input
``forward``    (N, L) float32, P(bound) of the prefix ending at each position
``backward``   (N, L) float32, P(bound) of the suffix starting at each position
``pwm``        (4, L) float32, class-optimization PWM (see :mod:`deepmotif.explain.optimize`)
``pwm_softmax`` (4, L) float32, softmax over the bases of the best optimised input
``scores``     (restarts,) float32, final logit of every restart
``inputs``     (restarts, 4, L) float32, the optimised inputs
``best``       0-d int, index of the best restart
``delta``      ism: (N, 4, L) float32 logit change of every substitution (0 at the observed
               base); integrated-gradients, deepliftshap: (N,) float32 completeness /
               convergence delta
``logits``     (N,) float32, the model's logit of each sequence (ism, integrated-gradients,
               deepliftshap)
``baseline_logits`` / ``reference_logits`` (N,) float32, mean logit of the baselines
``algorithm``  0-d string, deepliftshap: ``deeplift`` or ``expected-gradients``
``sequence``   0-d string, the best discrete sequence (consensus of a restart's PWM)
``sequence_score`` 0-d float32, the model's logit for ``sequence``
``objective``  0-d string, ``softmax``, ``paper`` or ``logit``
``best_positive_score`` 0-d float32, the highest logit of a real positive (the given
               sequences, else the run's test set; NaN when neither is available)
=============  =======================================================================

Which arrays a method writes is its :attr:`~deepmotif.explain.registry.Method.keys`; the
figures depend on its kind (:data:`FIGURES`).

Large inputs stream: sequences are one-hot encoded and explained a chunk at a time, each
chunk's arrays appended to a ``.npy`` file on disk, and the files are finally packed into the
``.npz`` (a zip archive), so memory stays flat however many sequences there are. The output is
written to a temporary name and renamed, so a crash never leaves a half-written file, and an
existing file is never replaced without ``force``. Figures are drawn into a temporary sibling of
the figures folder and moved in with the ``.npz`` (:func:`deepmotif.atomic.atomic_group`).
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import numpy as np

from deepmotif.atomic import atomic_group, clean_stale
from deepmotif.errors import DeepMotifError, DeepMotifWarning
from deepmotif.explain.registry import Method, get_method, method_names
from deepmotif.rundir.npz import NpzStream

#: The figures drawn per kind of method, as file-name suffixes (``{name}`` = the method's name):
#: each selected sequence gets ``<id>_<suffix>.png/.svg``; an input method draws one
#: ``<arch>_<suffix>`` logo.
FIGURES = {
    "attribution": ("{name}_heatmap", "{name}_logo"),
    "profile": ("{name}",),
    "input": ("optimization_logo",),
}
#: How a figure title names a method's map (default: the method's name).
TITLES = {
    "saliency": "gradient x input",
    "temporal": "temporal output scores",
    "ism": "ISM, centred logit change",
    "integrated-gradients": "integrated gradients",
    "deepliftshap": "DeepLIFT-SHAP",
}
#: Sequences explained per chunk when streaming.
CHUNK = 4096
#: At most this many sequences get figures (the first of the selection).
MAX_FIGURES = 10


def parse_select(select, n: int) -> np.ndarray:
    """Indices chosen by ``select``: ``"0:10"``, ``"5"``, ``"3,7,9"``, a slice or a list of ints.

    Python slice semantics (negative indices count from the end).
    """
    if select is None:
        return np.arange(n)
    if isinstance(select, slice):
        return np.arange(n)[select]
    if isinstance(select, str):
        text = select.strip()
        try:
            if ":" in text:
                parts = [int(p) if p.strip() else None for p in text.split(":")]
                if len(parts) > 3:
                    raise ValueError
                return np.arange(n)[slice(*parts)]
            select = [int(p) for p in text.split(",") if p.strip()]
        except ValueError:
            raise DeepMotifError(
                f"--select {select!r}: expected START:STOP (e.g. 0:10), an index, or indices separated by commas"
            ) from None
    idx = np.asarray(list(select), dtype=np.int64)
    bad = idx[(idx < -n) | (idx >= n)]
    if len(bad):
        raise DeepMotifError(f"--select: index {int(bad[0])} is out of range for {n} sequences")
    return np.where(idx < 0, idx + n, idx)


def select_ids(all_ids: list[str], ids, path: str | None) -> np.ndarray:
    """Indices of ``ids`` (list or comma-separated string) in ``all_ids``, in the order given."""
    if isinstance(ids, str):
        ids = [i.strip() for i in ids.split(",") if i.strip()]
    ids = list(ids)
    if not ids:
        raise DeepMotifError("--ids: no sequence id given (expected ID or ID,ID,...)")
    where: dict[str, int] = {}
    for i, name in enumerate(all_ids):
        where.setdefault(name, i)
    missing = [i for i in ids if i not in where]
    if missing:
        shown = ", ".join(missing[:5]) + (
            f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        )
        raise DeepMotifError(f"--ids: {shown} not found in {path or 'the data'}")
    return np.array([where[i] for i in ids], dtype=np.int64)


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text)[:80] or "seq"


def _check_out(out: Path, force: bool) -> None:
    clean_stale(out)
    if out.suffix != ".npz":
        raise DeepMotifError(f"--out {out}: expected a file name ending in .npz")
    if out.is_dir():
        raise DeepMotifError(f"--out {out}: is a directory; expected a .npz file name")
    if out.exists() and not force:
        raise DeepMotifError(f"--out {out}: already exists; pass --force to overwrite it")
    if not out.parent.is_dir():
        raise DeepMotifError(f"--out {out}: the folder {out.parent} does not exist")
    if not os.access(out.parent, os.W_OK | os.X_OK):
        raise DeepMotifError(f"--out {out}: cannot write to {out.parent}")


def explain_run(
    run_dir,
    data=None,
    *,
    method: str,
    out,
    figures=None,
    select=None,
    ids=None,
    batch_size: int | None = None,
    device=None,
    force: bool = False,
    verbose: bool = True,
    n_restarts: int | None = None,
    steps: int | None = None,
    random_state: int = 0,
    baseline: str | None = None,
    n_shuffles: int | None = None,
    objective: str = "softmax",
    max_figures: int = MAX_FIGURES,
) -> dict:
    """Explain sequences with a trained run and write ``out`` (.npz) and, optionally, figures.

    Parameters
    ----------
    run_dir : str or Path
        A finished run directory (see :mod:`deepmotif.rundir`).
    data : SequenceDataset or None
        The sequences; ``None`` = the run's own test set (``test.tsv``). Ignored by
        ``optimize``, which needs no sequences.
    method : str
        A registered method (:func:`deepmotif.explain.registry.method_names`): ``saliency``,
        ``temporal``, ``optimize``...
    out : str or Path
        The ``.npz`` file to write (see the module docstring for its keys).
    figures : str or Path, optional
        Folder for PNG and SVG figures of the first ``max_figures`` selected sequences
        (or the class-optimization logo).
    select : str, slice or list of int, optional
        Which sequences, by position (``"0:10"``, ``"3,7"``).
    ids : str or list of str, optional
        Which sequences, by id (``"seq1,seq7"``), in the order given. Not with ``select``.
    batch_size : int, optional
        Passed to the method (``None`` = its default).
    device : str, optional
        ``cpu``, ``cuda``... (default: CUDA when available).
    force : bool
        Overwrite ``out`` and existing figures.
    verbose : bool
        Progress bar.
    max_figures : int
        How many sequences get figures (default :data:`MAX_FIGURES`).
    n_restarts, steps, random_state, baseline, n_shuffles, objective
        Method settings, passed to methods whose ``options`` name them; ``None`` leaves the
        method's own default (``steps``: the objective's optimization steps, 50
        integrated-gradients points).

    Returns
    -------
    dict
        ``out``, ``method``, ``n`` (sequences explained), ``length``, ``keys`` (written to the
        npz), ``figures`` (paths written), ``seconds``, ``summary`` (lines on the completeness
        or convergence delta and the algorithm used, where the method has them).
    """
    from deepmotif.rundir import load_run, read_run_data

    t0 = time.perf_counter()
    try:
        spec = get_method(method)
    except DeepMotifError:
        choices = ", ".join(method_names())
        raise DeepMotifError(f"method must be one of {choices}, got {method!r}") from None
    method = spec.name
    settings = {
        "n_restarts": n_restarts,
        "steps": steps,
        "random_state": random_state,
        "baseline": baseline,
        "n_shuffles": n_shuffles,
        "objective": objective,
    }
    options = {k: v for k, v in settings.items() if k in spec.options and v is not None}
    unused = [
        k for k in ("baseline", "n_shuffles") if settings[k] is not None and k not in spec.options
    ]
    if unused:
        flag = "--" + unused[0].replace("_", "-")
        raise DeepMotifError(f"{flag} does not apply to the {spec.name} method")
    out = Path(out)
    _check_out(out, force)
    if select is not None and ids is not None:
        raise DeepMotifError("give --select or --ids, not both")
    model, config = load_run(run_dir)
    train_length = (config.get("data") or {}).get("length")
    fig_dir = Path(figures) if figures is not None else None
    if fig_dir is not None and fig_dir.exists() and not fig_dir.is_dir():
        raise DeepMotifError(f"--figures {fig_dir}: exists and is not a folder")

    if spec.kind == "input":
        if not train_length:
            raise DeepMotifError(f"{run_dir}: config.json records no sequence length (data.length)")
        return _optimize(
            model,
            config,
            spec=spec,
            length=int(train_length),
            out=out,
            fig_dir=fig_dir,
            batch_size=batch_size,
            device=device,
            force=force,
            verbose=verbose,
            options=options,
            t0=t0,
            positives=_positives(data, run_dir),
        )

    if data is None:
        data = read_run_data(run_dir)
    n_all = len(data)
    if n_all == 0:
        raise DeepMotifError(f"{data.path or 'the data'}: holds no sequences")
    index = select_ids(data.ids, ids, data.path) if ids is not None else parse_select(select, n_all)
    if len(index) == 0:
        raise DeepMotifError(f"the selection {select!r} holds no sequences (the data has {n_all})")
    L = data.length
    if L < 1:
        raise DeepMotifError(
            f"{data.path or 'the data'}: sequences of length 0 cannot be explained"
        )
    if train_length and L != int(train_length):
        import warnings

        warnings.warn(
            f"explaining {L} bp sequences with a {config['arch']} model trained on {train_length} bp "
            f"(pass --length {train_length} to crop/pad them to the training length)",
            DeepMotifWarning,
            stacklevel=2,
        )
    figure_ids = [data.ids[i] for i in index[:max_figures]] if fig_dir is not None else []
    planned = (
        _figure_paths(fig_dir, spec, figure_ids, config["arch"]) if fig_dir is not None else []
    )
    if not force and any(Path(p).exists() for p in planned):
        raise DeepMotifError(
            f"--figures {fig_dir}: already holds figures of these sequences; pass --force to overwrite"
        )
    _probe(model, L, config)

    N = len(index)
    stream = NpzStream(out)
    keys = ["method", "ids", "labels", *spec.keys]
    try:
        stream.put("method", np.array(method))
        stream.put("ids", np.array([data.ids[i] for i in index], dtype=str))
        stream.put("labels", np.asarray(data.labels)[index].astype(np.int8))
        opened = False
        fig_data: dict[int, dict] = {}
        deltas = _DeltaSummary(method)
        bar = _bar(N, method, verbose)
        try:
            for s in range(0, N, CHUNK):
                rows = index[s : s + CHUNK]
                X = _one_hot([data.sequences[i] for i in rows])
                res = _explain_chunk(model, X, spec, batch_size, device, options)
                if not opened:  # each key's shape per sequence is known from the first chunk
                    for key in spec.keys:
                        if np.ndim(res[key]) == 0:  # the same for every sequence: written once
                            stream.put(key, np.asarray(res[key]))
                        else:
                            stream.open(key, (N, *np.shape(res[key])[1:]), np.float32)
                    opened = True
                for key in spec.keys:
                    if np.ndim(res[key]) > 0:
                        stream.append(key, res[key])
                deltas.add(res)
                for j in range(max(0, min(len(rows), len(figure_ids) - s))):
                    fig_data[s + j] = {k: v[j] for k, v in res.items() if np.ndim(v) > 0}
                if bar is not None:
                    bar.update(len(rows))
        finally:
            if bar is not None:
                bar.close()
        written = []
        with _staged(fig_dir) as stage:
            for j, seq_id in enumerate(figure_ids):
                seq = data.sequences[index[j]]
                written += _sequence_figures(stage, spec, seq_id, seq, fig_data[j], config["arch"])
            stream.finish()
    except BaseException:
        stream.close()
        raise
    written = [str(fig_dir / Path(f).name) for f in written]
    return {
        "out": str(out),
        "method": method,
        "n": N,
        "length": L,
        "keys": keys,
        "figures": written,
        "seconds": time.perf_counter() - t0,
        "summary": deltas.lines(),
    }


def _staged(fig_dir: Path | None):
    """Figures are drawn into a temporary sibling of ``fig_dir`` and moved in at the end."""
    from contextlib import nullcontext

    return nullcontext() if fig_dir is None else atomic_group(fig_dir)


class _DeltaSummary:
    """Completeness / convergence deltas (one per sequence) gathered over the chunks."""

    def __init__(self, method: str):
        self.method = method
        self.delta: list[np.ndarray] = []
        self.diff: list[np.ndarray] = []
        self.algorithm = None

    def add(self, res: dict) -> None:
        if "algorithm" in res:
            self.algorithm = str(np.asarray(res["algorithm"]))
        ref = res.get("baseline_logits", res.get("reference_logits"))
        if "delta" in res and np.ndim(res["delta"]) == 1 and ref is not None:
            self.delta.append(np.abs(np.asarray(res["delta"], dtype=np.float64)))
            self.diff.append(np.abs(np.asarray(res["logits"], dtype=np.float64) - ref))

    def lines(self) -> list[str]:
        out = []
        if self.algorithm is not None:
            how = {
                "deeplift": "DeepLIFT rescale rule (tangermeme deep_lift_shap)",
                "expected-gradients": "expected gradients (GradientSHAP): DeepLIFT's rules do "
                "not hold for LSTMs",
            }.get(self.algorithm, self.algorithm)
            out.append(f"{self.method}: algorithm {self.algorithm}, {how}")
        if self.delta:
            d, diff = np.concatenate(self.delta), np.concatenate(self.diff)
            what = "completeness" if self.method == "integrated-gradients" else "convergence"
            out.append(
                f"{self.method}: {what} delta |logit - reference logit - sum of attributions|: "
                f"median {np.median(d):.3g}, max {d.max():.3g} "
                f"(|logit - reference logit|: median {np.median(diff):.3g})"
            )
        return out


def _one_hot(seqs: list[str]) -> np.ndarray:
    from deepmotif.data.encoding import one_hot

    return one_hot(seqs, dtype=np.float32)


def _bar(total: int, desc: str, verbose: bool):
    if not verbose:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="seq")


def _probe(model, L: int, config: dict) -> None:
    """Fail with one line if the model cannot take sequences of length ``L``."""
    import torch

    from deepmotif.explain._common import run_model_checked

    with torch.no_grad():
        try:
            run_model_checked(model, torch.zeros(1, 4, L))
        except DeepMotifError as exc:
            raise DeepMotifError(
                f"the {config['arch']} run cannot take these {L} bp sequences: {exc}"
            ) from exc


def _explain_chunk(
    model, X: np.ndarray, spec: Method, batch_size, device, options: dict | None = None
) -> dict:
    """The method's arrays for one chunk of sequences, each with one row per sequence."""
    res = spec.compute(model, X, batch_size=batch_size, device=device, **(options or {}))
    missing = [k for k in spec.keys if k not in res]
    if missing:
        raise DeepMotifError(f"method {spec.name} returned no {', '.join(missing)}")
    return res


def _figure_paths(fig_dir: Path, spec: Method, figure_ids: list[str], arch: str) -> list[str]:
    kinds = [k.format(name=spec.name) for k in FIGURES[spec.kind]]
    if spec.kind == "input":
        return [str(fig_dir / f"{arch}_{k}.{ext}") for k in kinds for ext in ("png", "svg")]
    return [
        str(fig_dir / f"{_safe_name(i)}_{k}.{ext}")
        for i in figure_ids
        for k in kinds
        for ext in ("png", "svg")
    ]


def _sequence_figures(
    fig_dir: Path, spec: Method, seq_id: str, seq: str, values: dict, arch: str
) -> list[str]:
    from deepmotif.plots.curves import save_figure
    from deepmotif.plots.explain import saliency_heatmap, saliency_logo, temporal_heatmap

    stem = fig_dir / _safe_name(seq_id)
    heatmap, logo = (k.format(name=spec.name) for k in FIGURES["attribution"])
    label = TITLES.get(spec.name, spec.name)
    written = []
    if spec.kind == "attribution":
        if np.ndim(values.get("delta")) == 2:  # ISM: the logit change of every substitution
            fig = saliency_heatmap(
                values["delta"],
                seq,
                title=f"{seq_id}: ISM, logit change of each substitution ({arch})",
                label="logit(mutant) - logit",
                signed=True,
            )
        elif "gradient" in values:
            fig = saliency_heatmap(
                np.abs(values["gradient"]),
                seq,
                title=f"{seq_id}: |gradient| ({arch})",
                label="|d logit / d input|",
            )
        else:
            fig = saliency_heatmap(
                values["attributions"], seq, title=f"{seq_id}: {label} ({arch})", label=label
            )
        written += save_figure(fig, f"{stem}_{heatmap}", formats=("png", "svg"))
        # the observed bases' share (maps with hypothetical values at other bases included)
        observed = values["attributions"] * _one_hot([seq])[0]
        fig = saliency_logo(observed, seq, title=f"{seq_id}: {label} ({arch})", label=label)
        written += save_figure(fig, f"{stem}_{logo}", formats=("png", "svg"))
    else:
        (suffix,) = (k.format(name=spec.name) for k in FIGURES["profile"])
        fig = temporal_heatmap(
            values["forward"], values["backward"], seq, title=f"{seq_id}: {label} ({arch})"
        )
        written += save_figure(fig, f"{stem}_{suffix}", formats=("png", "svg"))
    return written


def _optimize(
    model,
    config,
    *,
    spec: Method,
    length: int,
    out: Path,
    fig_dir: Path | None,
    batch_size,
    device,
    force: bool,
    verbose: bool,
    options: dict,
    t0: float,
    positives=None,
) -> dict:
    """An input method (class optimization): no sequences, one set of arrays and one logo."""
    planned = _figure_paths(fig_dir, spec, [], config["arch"]) if fig_dir is not None else []
    if not force and any(Path(p).exists() for p in planned):
        raise DeepMotifError(
            f"--figures {fig_dir}: already holds a class-optimization logo; pass --force to overwrite"
        )
    res = spec.compute(
        model, length=length, batch_size=batch_size, device=device, verbose=verbose, **options
    )
    best_positive = float("nan")
    if spec.name == "optimize":
        from deepmotif.explain.optimize import best_logit

        best_positive = best_logit(model, positives, device)
    stream = NpzStream(out)
    written = []
    try:
        stream.put("method", np.array(spec.name))
        stream.put("ids", np.array([], dtype=str))
        stream.put("labels", np.array([], dtype=np.int8))
        for key in spec.keys:
            stream.put(key, res[key])
        if spec.name == "optimize":
            stream.put("best_positive_score", np.float32(best_positive))
        with _staged(fig_dir) as stage:
            if stage is not None:
                from deepmotif.plots.curves import save_figure
                from deepmotif.plots.explain import optimization_logo

                n_restarts = len(res["scores"]) if "scores" in res else options.get("n_restarts")
                fig = optimization_logo(
                    res["pwm"],
                    title=f"class optimization ({config['arch']}, "
                    f"{res.get('objective', 'softmax')}, best of {n_restarts} restarts)",
                )
                stem = stage / Path(planned[0]).with_suffix("").name
                written += save_figure(fig, stem, formats=("png", "svg"))
            stream.finish()
    except BaseException:
        stream.close()
        raise
    written = [str(fig_dir / Path(f).name) for f in written]
    return {
        "out": str(out),
        "method": spec.name,
        "n": 0,
        "length": length,
        "keys": ["method", "ids", "labels", *spec.keys]
        + (["best_positive_score"] if spec.name == "optimize" else []),
        "figures": written,
        "seconds": time.perf_counter() - t0,
        "summary": _summary(res, best_positive) if spec.name == "optimize" else "",
    }


def _summary(res: dict, best_positive: float) -> str:
    """One line: the best discrete sequence's logit beside the best real positive's."""
    line = f"best discrete sequence: logit {float(res['sequence_score']):.3g}"
    if np.isfinite(best_positive):
        line += f" (best real positive: {best_positive:.3g})"
    return line


def _positives(data, run_dir):
    """One-hot positives of ``data`` (labelled), else of the run's test set; None if neither."""
    from deepmotif.rundir import read_run_data

    try:
        ds = data if data is not None else read_run_data(run_dir)
    except DeepMotifError:
        return None
    labels = np.asarray(ds.labels)
    if not (labels == 1).any():
        return None
    return ds.one_hot()[labels == 1]
