"""``deepmotif audit``: every attribution method scored on a run's test positives.

Every method in :func:`deepmotif.explain.registry.attribution_methods` (or those asked for)
explains the same sequences; :mod:`deepmotif.audit.score` defines the per-position score and
the measures. Output folder (default ``RUN/audit``), written as a unit (a temporary sibling
renamed into place, :func:`deepmotif.atomic.atomic_dir`)::

    audit.tsv        one row per method: AUDIT_COLUMNS (interpretation measures NaN without
                     ground truth; chance levels in the *_chance columns)
    agreement.tsv    method x method median per-sequence Spearman correlation
    hits.tsv         FIMO hits of the known motifs in the audited sequences (hits.bed where the
                     sequence ids carry genome coordinates)
    audit.json       settings, where the truth and the motifs came from, chance levels
    audit.png/.svg   the measures per method against their chance levels
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from deepmotif import rundir
from deepmotif.atomic import atomic_dir, write_json
from deepmotif.audit.score import (
    agreement_matrix,
    hit_fraction,
    interpretation_auprc,
    interpretation_auroc,
    position_scores,
)
from deepmotif.errors import DeepMotifError, check_positive_int

__all__ = ["AUDIT_COLUMNS", "AuditResult", "audit_run", "audit_scores", "method_scores"]

AUDIT_COLUMNS = [
    "method",
    "n_sequences",
    "interpretation_auroc",
    "interpretation_auprc",
    "auroc_per_sequence",
    "auroc_signed",
    "agreement",
    "hit_fraction",
    "seconds_per_1000",
    "auroc_chance",
    "auprc_chance",
    "hit_fraction_chance",
]
#: Sequences explained per step of the progress bar.
CHUNK = 256
#: Integrated gradients' steps in the audit (``--ig-steps``; ``deepmotif explain`` keeps
#: Captum's 50). Chosen on freshly simulated CTCF data (600 sequences, seed 7, none of them in
#: a run's training or test split), scored by the runs trained on another simulation: 32 steps
#: gave the interpretation AUROC of 50 steps to 0.002 on the three architectures (CNN 0.971
#: both, CNN-RNN 0.941 both, RNN 0.845 against 0.846) and maps whose median per-sequence
#: correlation with the 50-step maps was 0.9993 or more, for 36 % less time in the audit's
#: most expensive method (docs/audit.md).
IG_STEPS = 32


@dataclass
class AuditResult:
    """What :func:`audit_scores` measured.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per method, columns :data:`AUDIT_COLUMNS`.
    agreement : pandas.DataFrame
        Method x method median per-sequence Spearman correlation.
    scores : dict of str -> ndarray (n, L)
        Each method's per-position scores.
    """

    table: pd.DataFrame
    agreement: pd.DataFrame
    scores: dict


def method_scores(
    model,
    X,
    method: str,
    *,
    both_strands: bool = True,
    batch_size: int | None = None,
    device=None,
    bar=None,
    options: dict | None = None,
) -> tuple[np.ndarray, np.ndarray, float]:
    """Per-position scores of one registered attribution method (see :mod:`.score`).

    ``options``: extra keyword options of the method (those in its ``Method.options``).

    Returns
    -------
    magnitude : ndarray (n, L)
        ``|observed-base attribution|``, averaged over both strands when ``both_strands``.
    signed : ndarray (n, L)
        The observed-base attribution itself, averaged likewise.
    seconds : float
        Time spent in the method (both strands when ``both_strands``).

    ``bar``: a tqdm bar advanced per sequence.
    """
    from deepmotif.data.encoding import reverse_complement
    from deepmotif.explain.registry import get_method

    compute = get_method(method, kind="attribution").compute
    kw = dict(options or {})
    X = np.asarray(X, dtype=np.float32)
    signed = np.zeros((len(X), X.shape[2]), dtype=np.float64)
    magnitude = np.zeros_like(signed)
    seconds = 0.0
    for lo in range(0, len(X), CHUNK):
        x = X[lo : lo + CHUNK]
        t0 = time.perf_counter()
        if both_strands:
            # both strands in one call: fewer, fuller batches (every method's result for a
            # sequence does not depend on the batch it is explained in)
            xr = reverse_complement(x)
            both = np.concatenate([x, xr])
            a = compute(model, both, batch_size=batch_size, device=device, verbose=False, **kw)
            s = position_scores(a["attributions"][: len(x)], x)
            r = position_scores(a["attributions"][len(x) :], xr)[:, ::-1]
            signed[lo : lo + len(x)] = (s + r) / 2
            magnitude[lo : lo + len(x)] = (np.abs(s) + np.abs(r)) / 2
        else:
            a = compute(model, x, batch_size=batch_size, device=device, verbose=False, **kw)
            s = position_scores(a["attributions"], x)
            signed[lo : lo + len(x)] = s
            magnitude[lo : lo + len(x)] = np.abs(s)
        seconds += time.perf_counter() - t0
        if bar is not None:
            bar.update(len(x))
    return magnitude, signed, seconds


def audit_scores(
    model,
    X,
    *,
    methods: Sequence[str] | None = None,
    sites=None,
    hits=None,
    both_strands: bool = True,
    batch_size: int | None = None,
    device=None,
    verbose: bool = False,
    options: dict | None = None,
) -> AuditResult:
    """Score every attribution method on the sequences ``X``.

    Parameters
    ----------
    model : torch.nn.Module
    X : array, shape (n, 4, L)
        One-hot sequences (the run's test positives).
    methods : sequence of str, optional
        Registered attribution methods (default: all of them).
    sites : array (n, L) bool, optional
        Planted-site mask; without it the interpretation columns are NaN.
    hits : array (n, L) bool, optional
        Known-motif hit mask; without it ``hit_fraction`` is NaN.
    both_strands : bool
        Average each map with the map of the reverse complement (see :mod:`.score`).
    options : dict of str -> dict, optional
        Keyword options per method, e.g. ``{"integrated-gradients": {"steps": 32}}``
        (default: each method's own defaults).

    Returns
    -------
    AuditResult
    """
    from tqdm.auto import tqdm

    from deepmotif.explain.registry import attribution_methods

    names = list(methods) if methods else list(attribution_methods())
    X = np.asarray(X, dtype=np.float32)
    n, L = len(X), X.shape[2]
    for mask, what in ((sites, "sites"), (hits, "hits")):
        if mask is not None and np.shape(mask) != (n, L):
            raise DeepMotifError(f"{what} mask of shape {np.shape(mask)}, expected {(n, L)}")
    scores, rows = {}, []
    bar = tqdm(total=n * len(names), desc="audit", unit="seq", disable=not verbose)
    try:
        for name in names:
            bar.set_postfix_str(name)
            s, signed, seconds = method_scores(
                model, X, name, both_strands=both_strands, batch_size=batch_size,
                device=device, bar=bar, options=(options or {}).get(name),
            )  # fmt: skip
            scores[name] = s
            auroc, per_seq = (
                interpretation_auroc(s, sites) if sites is not None else (np.nan, np.nan)
            )
            rows.append(
                {
                    "method": name,
                    "n_sequences": n,
                    "interpretation_auroc": auroc,
                    "interpretation_auprc": (
                        interpretation_auprc(s, sites) if sites is not None else np.nan
                    ),
                    "auroc_per_sequence": per_seq,
                    "auroc_signed": (
                        interpretation_auroc(signed, sites)[0] if sites is not None else np.nan
                    ),
                    "hit_fraction": hit_fraction(s, hits) if hits is not None else np.nan,
                    "seconds_per_1000": seconds * 1000.0 / max(n, 1),
                }
            )
    finally:
        bar.close()
    agreement = agreement_matrix(scores)
    for row in rows:
        others = [m for m in names if m != row["method"]]
        vals = agreement.loc[row["method"], others].to_numpy(dtype=float) if others else []
        row["agreement"] = float(np.nanmean(vals)) if np.isfinite(vals).any() else np.nan
        row["auroc_chance"] = 0.5 if sites is not None else np.nan
        row["auprc_chance"] = float(np.mean(sites)) if sites is not None else np.nan
        row["hit_fraction_chance"] = float(np.mean(hits)) if hits is not None else np.nan
    table = pd.DataFrame(rows).reindex(columns=AUDIT_COLUMNS)
    return AuditResult(table=table, agreement=agreement, scores=scores)


def _methods(methods) -> list[str] | None:
    from deepmotif.explain.registry import attribution_methods, get_method

    if methods is None:
        return None
    names = [m.strip() for m in methods.split(",")] if isinstance(methods, str) else list(methods)
    names = [m for m in names if m]
    if not names:
        raise DeepMotifError(f"--methods: name at least one of {', '.join(attribution_methods())}")
    for m in names:
        try:
            get_method(m, kind="attribution")
        except DeepMotifError as exc:
            raise DeepMotifError(f"--methods: {exc}") from None
    return list(dict.fromkeys(m.lower() for m in names))


def _read_sites(path: Path) -> pd.DataFrame:
    try:
        sites = pd.read_csv(path, sep="\t", dtype={"seq_id": str})
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DeepMotifError(f"--truth {path}: not a tab-separated sites table ({exc})") from None
    need = {"seq_id", "start", "end"}
    if not need <= set(sites.columns):
        raise DeepMotifError(
            f"--truth {path}: needs the columns seq_id, start, end (found "
            f"{', '.join(map(str, sites.columns)) or 'none'})"
        )
    for col in ("start", "end"):
        if not pd.api.types.is_integer_dtype(sites[col]):
            raise DeepMotifError(f"--truth {path}: column {col} must hold whole numbers")
    return sites


def _check_out(out: Path, run: Path, force: bool) -> None:
    if out.exists() and not out.is_dir():
        raise DeepMotifError(f"--out {out}: exists and is a file, not a folder")
    if out.resolve() == run.resolve():
        raise DeepMotifError(f"--out {out}: is the run directory itself; choose a folder in it")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise DeepMotifError(f"--out {out}: already holds results; pass --force to replace them")


def audit_run(
    run,
    *,
    out=None,
    truth=None,
    methods: Sequence[str] | str | None = None,
    n: int | None = None,
    force: bool = False,
    both_strands: bool = True,
    top_motifs: int = 3,
    ig_steps: int = IG_STEPS,
    batch_size: int | None = None,
    device=None,
    figures: bool = True,
    verbose: bool = True,
) -> dict:
    """Audit every attribution method on a run's test positives and write the results.

    Parameters
    ----------
    run : path
        A finished run directory.
    out : path, optional
        Output folder (default ``RUN/audit``); replaced only with ``force``.
    truth : path, optional
        Planted sites (``seq_id``, ``start``, ``end``; ``role`` and ``tf`` optional): default
        the ``.sites.tsv`` recorded in the run for simulated data. Without one only agreement
        and hit enrichment are measured.
    methods : "a,b" or sequence, optional
        Registered attribution methods (default all).
    n : int, optional
        Audit the first ``n`` test positives (default all).
    top_motifs : int
        Extracted motifs (``RUN/motifs/motifs.meme``) scanned for hits besides the TF's.
    ig_steps : int
        Integrated gradients' steps (default :data:`IG_STEPS`, 32; recorded in audit.json).

    Returns
    -------
    dict
        ``table`` (audit.tsv), ``agreement``, ``hits``, ``info`` (audit.json), ``out``,
        ``seconds``.
    """
    from deepmotif.audit.hits import hit_mask, hits_bed, known_motifs, scan_hits
    from deepmotif.audit.score import site_masks
    from deepmotif.dependencies.temporal import truth_path

    t0 = time.perf_counter()
    run = Path(run)
    if not run.is_dir():
        what = "not a directory" if run.exists() else "no such run directory"
        raise DeepMotifError(f"{run}: {what} (expected a run directory from 'deepmotif train')")
    names = _methods(methods)
    if n is not None:
        n = check_positive_int("--n", n)
    top_motifs = check_positive_int("top_motifs", top_motifs, allow_zero=True)
    options = {"integrated-gradients": {"steps": check_positive_int("--ig-steps", ig_steps)}}
    out = Path(out) if out is not None else rundir.audit_dir(run)
    _check_out(out, run, force)
    path = truth_path(run, truth)
    sites_table = _read_sites(path) if path is not None else None
    model, _ = rundir.load_run(run)
    test = rundir.read_run_data(run)
    pos = np.nonzero(np.asarray(test.labels) == 1)[0]
    if not len(pos):
        raise DeepMotifError(f"{run}: its test set holds no positives to audit")
    if n is not None:
        pos = pos[:n]
    data = test.subset(pos)
    X = data.one_hot(dtype=np.float32)
    ids = [str(i) for i in data.ids]
    L = X.shape[2]
    sites = None
    if sites_table is not None:
        sites, _ = site_masks(ids, sites_table, L)
        if not sites.any():
            raise DeepMotifError(
                f"--truth {path}: no planted site in any of the {len(ids)} audited sequences "
                "(do its seq_id values name the run's test sequences?)"
            )
    motifs = known_motifs(run, top=top_motifs)
    hits = scan_hits(motifs, X, ids)
    hmask = hit_mask(hits, ids, L) if motifs else None
    res = audit_scores(
        model, X, methods=names, sites=sites, hits=hmask, both_strands=both_strands,
        batch_size=batch_size, device=device, verbose=verbose, options=options,
    )  # fmt: skip
    info = {
        "run": str(run),
        "methods": list(res.table["method"]),
        "n_sequences": len(ids),
        "length": L,
        "both_strands": both_strands,
        "options": {m: o for m, o in options.items() if m in set(res.table["method"])},
        "truth": str(path) if path is not None else None,
        "motifs": list(motifs),
        "n_hits": len(hits),
        "chance": {
            "interpretation_auroc": 0.5 if sites is not None else None,
            "interpretation_auprc": float(sites.mean()) if sites is not None else None,
            "hit_fraction": float(hmask.mean()) if hmask is not None else None,
        },
        "score": "attribution of the observed base"
        + (", averaged with the reverse complement's map flipped back" if both_strands else ""),
    }
    with atomic_dir(out) as tmp:
        res.table.to_csv(tmp / rundir.AUDIT_TABLE, sep="\t", index=False, float_format="%.6g")
        res.agreement.to_csv(tmp / rundir.AUDIT_AGREEMENT, sep="\t", float_format="%.6g")
        hits.to_csv(tmp / rundir.AUDIT_HITS, sep="\t", index=False, float_format="%.6g")
        bed = hits_bed(hits, L)
        if bed is not None:
            bed.to_csv(tmp / rundir.AUDIT_HITS_BED, sep="\t", index=False, header=False)
        if figures:
            from deepmotif.plots.audit import audit_figure
            from deepmotif.plots.curves import save_figure

            save_figure(audit_figure(res.table), tmp / rundir.AUDIT_FIGURE, ("png", "svg"))
        write_json(tmp / rundir.AUDIT_JSON, info)
    return {
        "table": res.table,
        "agreement": res.agreement,
        "hits": hits,
        "info": info,
        "out": out,
        "seconds": time.perf_counter() - t0,
    }
