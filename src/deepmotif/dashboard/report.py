"""A static, self-contained HTML report of one or many runs (``deepmotif report``).

One file: the overview table and AUROC chart, each dataset's ROC / PR / training curves, the
chosen sequences' explanation panels, the class-optimization logos with their JASPAR matches,
the motif tables, the dependency results and the attribution audits (``RUN/audit``). Every figure is a PNG embedded as a ``data:`` URI and the style sheet is
inline, so the file opens without a server or a network connection; it contains no
``http://`` or ``https://`` text at all (checked before writing).
"""

from __future__ import annotations

import datetime as _dt
import html
import re
from pathlib import Path

import numpy as np
import pandas as pd

from deepmotif import rundir
from deepmotif.dashboard.motifs import no_motif_lines
from deepmotif.errors import DeepMotifError
from deepmotif.motifs.base import NoMotifFound

_CSS = """
body { font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color:#1f2933;
       background:#f5f7fa; margin:0; font-size:14px; line-height:1.45; }
header { background:#1b2a41; color:#fff; padding:18px 32px; }
header h1 { margin:0; font-size:22px; }
header p { margin:4px 0 0; color:#b6c2d1; font-size:13px; }
main { max-width:1200px; margin:0 auto; padding:18px 32px 48px; }
section { background:#fff; border:1px solid #e4e7eb; border-radius:8px; padding:16px 20px; margin-bottom:18px; }
h2 { margin:0 0 10px; font-size:18px; } h3 { margin:18px 0 8px; font-size:15px; } h4 { margin:10px 0 6px; font-size:13.5px; }
table { border-collapse:collapse; font-size:12.5px; margin:6px 0 10px; }
th { text-align:left; color:#52606d; font-weight:600; border-bottom:1px solid #d9dee4; padding:5px 10px; }
td { border-bottom:1px solid #f0f2f5; padding:5px 10px; font-variant-numeric:tabular-nums; }
td.num { text-align:right; }
img { max-width:100%; }
.note { color:#616e7c; font-size:12.5px; }
.warn { background:#fff9db; border:1px solid #ffe066; color:#7c5e10; border-radius:6px; padding:8px 12px; }
.seq { font-family: Menlo, Consolas, monospace; font-size:11px; word-break:break-all; background:#f8f9fa;
       padding:6px 8px; border-radius:6px; color:#3e4c59; }
.logos { display:inline-flex; flex-direction:column; gap:4px; max-width:100%; }
.logo img { display:block; height:96px; width:auto; max-width:100%; }
.logo div { font-size:11.5px; color:#616e7c; }
nav a { color:#3b5bdb; margin-right:12px; text-decoration:none; }
"""


def _esc(text) -> str:
    """HTML-escape ``text`` and break any ``scheme://`` so the report names no web address."""
    return html.escape(str(text)).replace("://", ":&#47;&#47;")


def _fmt(x, digits: int = 3) -> str:
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return "—"
    if isinstance(x, float | np.floating):
        return f"{x:.{digits}g}" if abs(x) < 1e-3 and x != 0 else f"{x:.{digits}f}"
    return _esc(x)


def _table(
    df: pd.DataFrame,
    numeric: set | None = None,
    integer: set | None = None,
    names: dict | None = None,
) -> str:
    integer = integer or set()
    numeric = (numeric or set()) | integer
    names = names or {}
    head = "".join(f"<th>{_esc(names.get(c, c))}</th>" for c in df.columns)
    body = []
    for _, row in df.iterrows():
        cells = []
        for c in df.columns:
            v = row[c]
            cls = ' class="num"' if c in numeric else ""
            if c in integer and not pd.isna(v):
                text = str(int(v))
            elif c in numeric:
                text = _fmt(v)
            else:
                text = _esc("—" if pd.isna(v) else v)
            cells.append(f"<td{cls}>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _img(png: bytes, alt: str) -> str:
    from deepmotif.dashboard.static import data_uri

    return f'<img src="{data_uri(png)}" alt="{_esc(alt)}">'


def _anchor(name: str) -> str:
    return "ds-" + re.sub(r"[^A-Za-z0-9_-]+", "-", name)


def choose_sequences(store, dataset: str, sequences=None, n: int = 2) -> list[str]:
    """The test sequences shown for ``dataset``.

    ``sequences`` (ids) when given (those present in the dataset); otherwise ``n`` of: the
    highest-scoring bound sequence, the most wrong sequence, then the next highest-scoring ones.
    """
    ref = store.reference_run(dataset)
    table = store.test_table(ref.key)
    have = set(table["id"].astype(str))
    if sequences:
        return [s for s in sequences if str(s) in have]
    chosen: list[str] = []
    bound = store.sequence_order(ref.key, "score-desc", "1")
    wrong = store.sequence_order(ref.key, "wrong")
    for sid in list(bound["id"][:1]) + list(wrong["id"][:1]) + list(bound["id"][1:n]):
        if str(sid) not in chosen and len(chosen) < n:
            chosen.append(str(sid))
    return chosen


def _check_sequences(store, sequences) -> None:
    """Warn about ``--sequence`` ids that are in no dataset's test set (they are left out)."""
    import warnings

    from deepmotif.errors import DeepMotifWarning

    found = set()
    for dataset in store.datasets():
        try:
            table = store.test_table(store.reference_run(dataset).key)
        except DeepMotifError:
            continue
        found |= set(table["id"].astype(str)) & {str(s) for s in sequences}
    missing = [str(s) for s in sequences if str(s) not in found]
    if missing:
        what = "no sequence panels" if not found else "the others"
        warnings.warn(
            f"--sequence {', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}: not in "
            f"the runs' test sets; left out (the report shows {what})",
            DeepMotifWarning,
            stacklevel=3,
        )


def _overview(store) -> str:
    from deepmotif.dashboard.static import auroc_png

    summary = store.seed_summary()
    parts = ["<section id='overview'><h2>Overview</h2>"]
    if summary.empty:
        parts.append("<p class='note'>No runs.</p></section>")
        return "".join(parts)
    seeds = bool((summary["n_runs"] > 1).any())
    if seeds:
        parts.append(
            "<p class='note'>Several runs of one architecture (seeds): the mean over the seeds, "
            "± their sample standard deviation, and how many seeds.</p>"
        )
    rows = []
    archs = list(dict.fromkeys(summary["arch"]))
    for dataset in sorted(summary["dataset"].unique()):
        row = {"dataset": dataset}
        part = summary[summary["dataset"] == dataset].set_index("arch")
        for arch in archs:
            have = arch in part.index and part.loc[arch, "status"] == "finished"
            row[f"{arch} AUROC"] = part.loc[arch, "auroc"] if have else np.nan
            if seeds:
                row[f"{arch} ± sd"] = part.loc[arch, "auroc_sd"] if have else np.nan
                row[f"{arch} seeds"] = part.loc[arch, "n_seeds"] if have else np.nan
            row[f"{arch} AUPRC"] = part.loc[arch, "auprc"] if have else np.nan
        ref = store.reference(dataset)
        if ref:
            row["DeepBind* AUROC (published)"] = ref.get("deepbind_star", np.nan)
            row["DeepBind AUROC (published)"] = ref.get("deepbind", np.nan)
        rows.append(row)
    table = pd.DataFrame(rows)
    counts = {c for c in table.columns if c.endswith(" seeds")}
    parts.append(_table(table, numeric=set(table.columns) - {"dataset"} - counts, integer=counts))
    if (summary["status"] == "finished").any():
        parts.append(_img(auroc_png(summary), "test AUROC per dataset and architecture"))
    rec = store.recovery()
    if rec["recovered"].notna().any():
        rec = rec.assign(
            recovered=rec["recovered"].map(lambda v: "—" if pd.isna(v) else ("yes" if v else "no"))
        )
        parts.append(
            "<h3>Motif recovery</h3><p class='note'>Is the dataset's TF among the JASPAR matches "
            "(q &lt; 0.05) of the motifs extracted from each model?</p>"
        )
        parts.append(
            _table(
                rec,
                numeric={"best_q"},
                integer={"n_motifs", "n_matched"},
                names={
                    "arch": "architecture",
                    "tf": "TF",
                    "n_motifs": "motifs",
                    "n_matched": "matched (q < 0.05)",
                    "recovered": "TF recovered",
                    "best_q": "best q of the TF",
                    "best_match": "best match overall",
                },
            )
        )
    parts.append("</section>")
    return "".join(parts)


def _dataset_section(store, dataset: str, sequences, n_sequences: int, motif_rows: int) -> str:
    from deepmotif.dashboard.overview import training_notes
    from deepmotif.dashboard.static import curves_png, explanation_png

    runs = store.runs_for(dataset, finished=True)
    parts = [f"<section id='{_anchor(dataset)}'><h2>{_esc(dataset)}</h2>"]
    problems = [f"{r.name}: {r.problem}" for r in store.runs_for(dataset) if r.problem]
    curves, metrics, histories = {}, {}, {}
    for run in runs:
        try:
            curves[run.name] = store.curves(run.key, "test")
            metrics[run.name] = run.metrics.get("test") or {}
        except DeepMotifError as exc:
            problems.append(str(exc))
        try:
            histories[run.name] = store.history(run.key)
        except DeepMotifError as exc:
            problems.append(str(exc))
    if problems:
        parts.append(
            "<div class='warn'><b>Missing:</b><ul>"
            + "".join(f"<li>{_esc(p)}</li>" for p in problems)
            + "</ul></div>"
        )
    notes = [n for run in runs for n in training_notes(run.name, run.metrics)]
    if notes:
        parts.append(
            "<div class='warn'><b>Training:</b><ul>"
            + "".join(f"<li>{_esc(n)}</li>" for n in notes)
            + "</ul></div>"
        )
    if curves or histories:
        parts.append(_img(curves_png(curves, metrics, histories), f"{dataset} curves"))

    # Sequences
    try:
        chosen = choose_sequences(store, dataset, sequences, n_sequences)
    except DeepMotifError as exc:
        chosen = []
        parts.append(f"<p class='note'>{_esc(exc)}</p>")
    if chosen:
        parts.append("<h3>Sequences</h3>")
    for sid in chosen:
        try:
            exps = store.explain_test(dataset, sid)
        except DeepMotifError as exc:
            parts.append(f"<p class='warn'>{_esc(exc)}</p>")
            continue
        ref = store.test_table(store.reference_run(dataset).key)
        label = int(ref.loc[ref["id"].astype(str) == sid, "label"].iloc[0])
        preds = ", ".join(f"{a} {e.score:.3f}" for a, e in exps.items() if e.score is not None)
        seq = next(iter(exps.values())).sequence
        parts.append(
            f"<h4>{_esc(sid)} · {'bound' if label == 1 else 'unbound'} · P(bound): {_esc(preds)}</h4>"
        )
        parts.append(f"<div class='seq'>{_esc(seq)}</div>")
        missing = [p for e in exps.values() for p in e.problems]
        if missing:
            parts.append("<p class='note'>" + "; ".join(_esc(p) for p in missing) + "</p>")
        if any(e.saliency is not None or e.forward is not None for e in exps.values()):
            parts.append(_img(explanation_png(exps), f"{sid} explanations"))

    # Class optimization
    parts.append("<h3>Class optimization</h3>")
    for run in runs:
        parts.append(_optimization_block(store, run))

    # Motifs
    parts.append("<h3>Motifs</h3>")
    for run in runs:
        parts.append(_motif_block(store, run, motif_rows))
    parts.append("</section>")
    return "".join(parts)


def _logo(pwm, caption: str) -> str:
    from deepmotif.dashboard.static import logo_png

    return f"<div class='logo'>{_img(logo_png(pwm), caption)}<div>{_esc(caption)}</div></div>"


def _optimization_block(store, run) -> str:
    from deepmotif.dashboard.optimization import oriented
    from deepmotif.motifs.align import align_logos

    try:
        opt = store.optimization(run.key)
    except DeepMotifError as exc:
        return f"<h4>{_esc(run.name)}</h4><p class='note'>{_esc(exc)}</p>"
    from deepmotif.dashboard.optimization import UNCHECKED, sequence_line

    score = "" if opt.score is None else f" (best logit {opt.score:.2f})"
    out = [f"<h4>{_esc(run.name)}{_esc(score)}</h4>"]
    if sequence_line(opt):
        out.append(f"<p class='note'>{_esc(sequence_line(opt))}</p>")
    try:
        matches = store.optimization_matches(run.key)
        query, label = matches.attrs["query_pwm"], matches.attrs["query_label"]
        if matches.attrs.get("unchecked"):
            out.append(f"<p class='note'>{_esc(UNCHECKED)}</p>")
    except NoMotifFound as exc:
        matches, query, label = None, opt.pwm, "optimised input (no motif found in it)"
        out.append(f"<p class='note'>{_esc(exc)}</p>")
    except DeepMotifError as exc:
        matches, query, label = None, opt.pwm, "optimised input"
        out.append(f"<p class='note'>no JASPAR matches: {_esc(exc)}</p>")
    targets, captions = [], []
    for _, m in matches.iterrows() if matches is not None else []:
        try:
            name, pwm = store.jaspar_pwm(m["target_id"])
        except DeepMotifError:
            continue
        strand = str(m.get("orientation", "+"))
        targets.append((oriented(pwm, strand), int(m.get("offset", 0))))
        captions.append(
            f"JASPAR {m['target_id']} {name} · p = {float(m['p_value']):.2g} · strand {strand}"
        )
    q_frame, t_frames = align_logos(query, targets)
    logos = [_logo(q_frame, label)]
    logos += [_logo(t, c) for t, c in zip(t_frames, captions)]
    out.append("<div class='logos'>" + "".join(logos) + "</div>")
    return "".join(out)


def _motif_block(store, run, n_rows: int) -> str:
    try:
        matches = store.motif_matches(run.key)
    except DeepMotifError as exc:
        return f"<h4>{_esc(run.name)}</h4><p class='note'>{_esc(exc)}</p>"
    cols = [
        c
        for c in (
            "query",
            "target_id",
            "target_name",
            "p_value",
            "q_value",
            "offset",
            "orientation",
        )
        if c in matches.columns
    ]
    order = "q_value" if "q_value" in matches.columns else "p_value"
    top = matches.sort_values(order, kind="stable").head(n_rows)[cols]
    empty = "".join(
        f"<p class='note'>{_esc(msg)}</p>" for msg in no_motif_lines(store.no_motif(run.key))
    )
    if len(matches) == 0:
        return f"<h4>{_esc(run.name)}</h4>" + (empty or "<p class='note'>no motif found</p>")
    note = f"<p class='note'>{min(n_rows, len(matches))} of {len(matches)} matches, best first</p>"
    return f"<h4>{_esc(run.name)}</h4>{note}{empty}" + _table(
        top,
        numeric={"p_value", "q_value"},
        integer={"offset"},
        names={c: c.replace("_", " ") for c in cols},
    )


def _dependencies_section(store) -> str:
    """Each dependency result set below the store's folders: verdicts and the curves."""
    from deepmotif.dashboard.dependencies import find_results, read_result, verdicts
    from deepmotif.dashboard.static import png_bytes
    from deepmotif.plots.dependencies import cooperativity_figure

    results = find_results(getattr(store, "paths", []))
    if not results:
        return ""
    parts = ["<section><h2>Dependencies between motifs</h2>"]
    for label, folder in results.items():
        parts.append(f"<h3>{_esc(label)}</h3>")
        try:
            info, table = read_result(folder)
        except DeepMotifError as exc:
            parts.append(f"<p class='note'>{_esc(exc)}</p>")
            continue
        parts.append("".join(f"<p class='note'>{_esc(line)}</p>" for line in verdicts(info)))
        parts.append(_img(png_bytes(cooperativity_figure(table)), f"{label} cooperativity"))
    parts.append("</section>")
    return "".join(parts)


#: audit.tsv columns shown in the report, and their headers.
_AUDIT_COLUMNS = {
    "arch": "architecture",
    "method": "method",
    "n_sequences": "sequences",
    "interpretation_auroc": "interpretation AUROC",
    "interpretation_auprc": "interpretation AUPRC",
    "agreement": "agreement",
    "hit_fraction": "in motif hits",
    "seconds_per_1000": "s / 1000 seq",
}


def _audit_section(store) -> str:
    """Each dataset's attribution audits (``deepmotif audit``): the table with chance levels
    and the figure."""
    from deepmotif.dashboard.static import png_bytes
    from deepmotif.plots.audit import audit_figure

    parts = []
    for dataset in store.datasets():
        try:
            table = store.audit_table(dataset)
        except DeepMotifError as exc:
            parts.append(f"<h3>{_esc(dataset)}</h3><p class='note'>{_esc(exc)}</p>")
            continue
        if not len(table):
            continue
        parts.append(f"<h3>{_esc(dataset)}</h3>")
        chance = []
        for col, name in (
            ("auroc_chance", "interpretation AUROC"),
            ("auprc_chance", "interpretation AUPRC"),
            ("hit_fraction_chance", "in motif hits"),
        ):
            level = table[col].dropna() if col in table else []
            if len(level):
                chance.append(f"{name} {float(level.iloc[0]):.3f}")
        parts.append(
            "<p class='note'>Chance: "
            + _esc(", ".join(chance) or "no planted sites or motif hits known")
            + ". Scores: |attribution of the base present| on the runs' test "
            "positives, both strands averaged.</p>"
        )
        cols = [c for c in _AUDIT_COLUMNS if c in table.columns]
        numeric = {c for c in cols if c not in ("arch", "method", "n_sequences")}
        parts.append(_table(table[cols], numeric=numeric, integer={"n_sequences"},
                            names=_AUDIT_COLUMNS))  # fmt: skip
        plot = table.rename(columns={"run": "_key", "arch": "run"})
        parts.append(_img(png_bytes(audit_figure(plot)), f"{dataset} attribution audit"))
    if not parts:
        return ""
    return "<section><h2>Attribution audit</h2>" + "".join(parts) + "</section>"


def render_report(
    store,
    *,
    sequences=None,
    n_sequences: int = 2,
    motif_rows: int = 15,
    title: str = "deepmotif report",
) -> str:
    """The report's HTML text for the runs in ``store`` (see :func:`write_report`)."""
    from deepmotif import __version__

    datasets = store.datasets()
    when = _dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    n_runs = len([r for r in store.runs if r.status != "broken"])
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>{_esc(title)}</title><style>{_CSS}</style></head><body>",
        f"<header><h1>{_esc(title)}</h1><p>{n_runs} run(s) · {len(datasets)} dataset(s) · "
        f"deepmotif {_esc(__version__)} · {when}</p></header><main>",
    ]
    if len(datasets) > 1:
        parts.append(
            "<nav>" + "".join(f"<a href='#{_anchor(d)}'>{_esc(d)}</a>" for d in datasets) + "</nav>"
        )
    if store.problems:
        parts.append(
            "<div class='warn'><b>Problems reading the run directories:</b><ul>"
            + "".join(f"<li>{_esc(p)}</li>" for p in store.problems)
            + "</ul></div>"
        )
    parts.append(_overview(store))
    for dataset in datasets:
        parts.append(_dataset_section(store, dataset, sequences, n_sequences, motif_rows))
    parts.append(_dependencies_section(store))
    parts.append(_audit_section(store))
    parts.append("</main></body></html>")
    text = "\n".join(parts)
    if re.search(r"https?://", text, flags=re.I):  # pragma: no cover - guarded by _esc
        raise DeepMotifError("internal error: the report would contain a web address")
    return text


#: Files of a run directory a report must never replace, even with ``force``.
_RUN_FILES = {
    rundir.CONFIG, rundir.WEIGHTS, rundir.METRICS, rundir.HISTORY, rundir.TEST_TABLE,
    rundir.CHECKPOINT, "roc.csv", "pr.csv", "roc.png", "pr.png",
}  # fmt: skip


def write_report(
    paths,
    out,
    *,
    sequences=None,
    n_sequences: int = 2,
    compute: bool = True,
    motif_rows: int = 15,
    title: str = "deepmotif report",
    force: bool = False,
) -> Path:
    """Write a self-contained HTML report of the runs under ``paths``.

    Parameters
    ----------
    paths : path or sequence of paths
        Run directories or folders of runs (a ``deepmotif benchmark`` output).
    out : path
        The HTML file to write (replaced atomically).
    sequences : sequence of str, optional
        Test-sequence ids to show (in every dataset that has them); default: per dataset the
        highest-scoring bound sequence and the most wrong one (``n_sequences`` in all).
    n_sequences : int
        How many sequences per dataset when ``sequences`` is not given.
    compute : bool
        Compute missing explanations and class optimizations (else show only precomputed ones).
    motif_rows : int
        Rows of each run's motif-match table.
    force : bool
        Replace an existing ``out`` (never a file of a run directory).

    Returns
    -------
    Path
        ``out``.
    """
    from deepmotif.atomic import atomic_path
    from deepmotif.dashboard.data import RunStore

    out = Path(out)
    if out.is_dir():
        raise DeepMotifError(f"--out {out}: is a directory; give a file name such as report.html")
    if not out.parent.exists():
        raise DeepMotifError(f"--out {out}: the folder {out.parent} does not exist")
    if (out.parent / rundir.CONFIG).is_file() and out.name in _RUN_FILES:
        raise DeepMotifError(
            f"--out {out}: is a file of the run {out.parent}; refusing to replace it"
        )
    if out.exists() and not force:
        raise DeepMotifError(f"--out {out}: already exists; pass --force to replace it")
    store = RunStore(paths, compute=compute)
    if sequences:
        _check_sequences(store, sequences)
    text = render_report(
        store, sequences=sequences, n_sequences=n_sequences, motif_rows=motif_rows, title=title
    )
    with atomic_path(out) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return out
