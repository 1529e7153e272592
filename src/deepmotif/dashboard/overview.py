"""Overview page: datasets x architectures, curves of the chosen dataset, motif recovery."""

from __future__ import annotations

import numpy as np
import pandas as pd

from deepmotif.dashboard import figures, ids
from deepmotif.dashboard._safe import guarded
from deepmotif.dashboard.data import ARCH_ORDER
from deepmotif.errors import DeepMotifError

_GRAPH_CONFIG = {"displaylogo": False, "toImageButtonOptions": {"format": "png", "scale": 2}}


def summary_table(store) -> tuple[list[dict], list[dict]]:
    """Rows and columns of the overview table: one row per dataset, AUROC / AUPRC per architecture.

    Several runs of one architecture (seeds) share its cells: the mean over the seeds, with
    a ``± sd`` (sample standard deviation) and a ``seeds`` column per architecture when any
    dataset has more than one.

    Returns
    -------
    rows, columns
        For ``dash_table.DataTable``. Row ``id`` is the dataset; metric columns are named
        ``"<arch>:auroc"`` / ``"<arch>:auprc"`` (click a cell to select dataset and architecture).
    """
    summary = store.seed_summary()
    archs = sorted(
        summary["arch"].unique(), key=lambda a: (ARCH_ORDER.index(a) if a in ARCH_ORDER else 9, a)
    )
    seeds = bool((summary["n_runs"] > 1).any())
    rows = []
    for dataset, part in summary.groupby("dataset", sort=True):
        row = {"id": dataset, "dataset": dataset}
        for arch in archs:
            hit = part[part["arch"] == arch]
            if hit.empty:
                continue
            r = hit.iloc[0]
            if r["status"] != "finished":
                row[f"{arch}:auroc"] = r["status"]
                continue
            row[f"{arch}:auroc"] = _round(r["auroc"])
            row[f"{arch}:auprc"] = _round(r["auprc"])
            if seeds:
                row[f"{arch}:sd"] = _round(r["auroc_sd"])
                row[f"{arch}:n"] = int(r["n_seeds"])
        row["deepbind_star"] = _round(part["deepbind_star"].iloc[0])
        row["deepbind"] = _round(part["deepbind"].iloc[0])
        rows.append(row)
    columns = [{"name": ["", "dataset"], "id": "dataset"}]
    for arch in archs:
        columns.append({"name": [arch, "AUROC"], "id": f"{arch}:auroc", "type": "numeric"})
        if seeds:
            columns += [
                {"name": [arch, "± sd"], "id": f"{arch}:sd", "type": "numeric"},
                {"name": [arch, "seeds"], "id": f"{arch}:n", "type": "numeric"},
            ]
        columns.append({"name": [arch, "AUPRC"], "id": f"{arch}:auprc", "type": "numeric"})
    if any(r.get("deepbind_star") is not None for r in rows):
        columns += [
            {
                "name": ["DeepBind (published)", "DeepBind* AUROC"],
                "id": "deepbind_star",
                "type": "numeric",
            },
            {
                "name": ["DeepBind (published)", "DeepBind AUROC"],
                "id": "deepbind",
                "type": "numeric",
            },
        ]
    return rows, columns


def _round(x):
    return None if x is None or not np.isfinite(x) else round(float(x), 4)


def recovery_rows(store) -> list[dict]:
    """Rows of the motif-recovery table (see :meth:`RunStore.recovery`)."""
    table = store.recovery()
    rows = []
    for _, r in table.iterrows():
        if pd.isna(r["recovered"]):
            status = "no motifs yet"
        else:
            status = "yes" if r["recovered"] else "no"
        rows.append(
            {
                "dataset": r["dataset"],
                "arch": r["arch"],
                "tf": r["tf"],
                "n_motifs": None if pd.isna(r["n_motifs"]) else int(r["n_motifs"]),
                "n_matched": None if pd.isna(r["n_matched"]) else int(r["n_matched"]),
                "recovered": status,
                "best_q": None if pd.isna(r["best_q"]) else float(f"{r['best_q']:.3g}"),
                "best_match": r["best_match"],
            }
        )
    return rows


def layout(store):
    from dash import dash_table, dcc, html

    rows, columns = summary_table(store)
    table_style = dict(
        style_cell={
            "fontFamily": figures.FONT,
            "fontSize": 13,
            "padding": "6px 10px",
            "textAlign": "right",
            "border": "none",
            "borderBottom": "1px solid #eef1f4",
        },
        style_cell_conditional=[
            {"if": {"column_id": "dataset"}, "textAlign": "left", "fontWeight": 600}
        ],
        style_header={
            "fontWeight": 600,
            "backgroundColor": "#f8f9fa",
            "color": "#52606d",
            "borderBottom": "1px solid #d9dee4",
            "textAlign": "center",
        },
        style_table={"overflowX": "auto"},
    )
    return html.Div(
        [
            html.Div(id=ids.OV_MESSAGE),
            html.Div(
                [
                    html.H3("Test performance"),
                    html.P(
                        "Click a row to choose the dataset shown below and in the other views "
                        "(a metric cell also chooses its architecture).",
                        className="dm-note",
                    ),
                    dash_table.DataTable(
                        id=ids.OV_TABLE,
                        data=rows,
                        columns=columns,
                        merge_duplicate_headers=True,
                        sort_action="native",
                        page_action="none",
                        cell_selectable=True,
                        style_data_conditional=[],
                        **table_style,
                    ),
                    dcc.Graph(
                        id=ids.OV_AUROC,
                        figure=figures.auroc_figure(store.seed_summary()),
                        config=_GRAPH_CONFIG,
                        style={"marginTop": "10px"},
                    ),
                ],
                className="dm-card",
            ),
            html.Div(
                [
                    html.Div(dcc.Graph(id=ids.OV_ROC, config=_GRAPH_CONFIG), className="dm-card"),
                    html.Div(dcc.Graph(id=ids.OV_PR, config=_GRAPH_CONFIG), className="dm-card"),
                    html.Div(
                        dcc.Graph(id=ids.OV_HISTORY, config=_GRAPH_CONFIG), className="dm-card"
                    ),
                ],
                className="dm-grid3",
            ),
            html.Div(
                [
                    html.H3("Motif recovery"),
                    html.P(
                        "Is the dataset's transcription factor among the JASPAR matches (q < 0.05) "
                        "of the motifs extracted from each model's first-layer filters?",
                        className="dm-note",
                    ),
                    dash_table.DataTable(
                        id=ids.OV_RECOVERY,
                        data=recovery_rows(store),
                        columns=[
                            {"name": "dataset", "id": "dataset"},
                            {"name": "architecture", "id": "arch"},
                            {"name": "TF", "id": "tf"},
                            {"name": "motifs", "id": "n_motifs"},
                            {"name": "matched (q<0.05)", "id": "n_matched"},
                            {"name": "TF recovered", "id": "recovered"},
                            {"name": "best q of TF", "id": "best_q"},
                            {"name": "best match overall", "id": "best_match"},
                        ],
                        sort_action="native",
                        page_size=15,
                        style_data_conditional=[
                            {
                                "if": {
                                    "filter_query": '{recovered} = "yes"',
                                    "column_id": "recovered",
                                },
                                "color": "#2b8a3e",
                                "fontWeight": 600,
                            },
                            {
                                "if": {
                                    "filter_query": '{recovered} = "no"',
                                    "column_id": "recovered",
                                },
                                "color": "#c92a2a",
                                "fontWeight": 600,
                            },
                        ],
                        **{
                            **table_style,
                            "style_cell_conditional": [
                                {"if": {"column_id": c}, "textAlign": "left"}
                                for c in ("dataset", "arch", "tf", "recovered", "best_match")
                            ],
                        },
                    ),
                ],
                className="dm-card",
            ),
        ]
    )


def dataset_figures(store, dataset: str | None):
    """The ROC, PR and training-curve figures of one dataset (all its finished runs)."""
    if not dataset:
        empty = figures.empty_figure("choose a dataset")
        return empty, empty, empty, []
    curves, metrics_roc, metrics_pr, histories, problems = {}, {}, {}, {}, []
    for run in store.runs_for(dataset):
        if not run.finished:
            problems.append(f"{run.name}: {run.problem}")
            continue
        test = run.metrics.get("test") or {}
        problems += training_notes(run.arch, run.metrics)
        try:
            curves[run.name] = store.curves(run.key, "test")
            metrics_roc[run.name] = test.get("auroc")
            metrics_pr[run.name] = test.get("auprc")
        except DeepMotifError as exc:
            problems.append(str(exc))
        try:
            histories[run.name] = store.history(run.key)
        except DeepMotifError as exc:
            problems.append(str(exc))
    roc = figures.curve_figure({a: c["roc"] for a, c in curves.items()}, "roc", metrics_roc)
    pr = figures.curve_figure({a: c["pr"] for a, c in curves.items()}, "pr", metrics_pr)
    hist = figures.history_figure(histories)
    return roc, pr, hist, problems


def training_notes(arch: str, metrics: dict) -> list[str]:
    """What a finished run's ``metrics.json`` says about how training went: it never left its
    start-up plateau, or its epoch limit ended it while it was still learning."""
    notes = []
    if metrics.get("plateau"):
        notes.append(plateau_note(arch, metrics))
    if metrics.get("still_learning"):
        cut = metrics["still_learning"]
        note = cut.get("note") if isinstance(cut, dict) else None
        notes.append(f"{arch}: {note or 'still learning when its epoch budget ended'}")
    return notes


def plateau_note(arch: str, metrics: dict) -> str:
    """The warning for a run that never left its start-up plateau, with its advice (from
    ``metrics.json``, written by training)."""
    advice = metrics.get("plateau_advice") or "train longer, or try another --seed or --lr"
    return (
        f"{arch}: never left its start-up plateau (validation AUROC near 0.5 in every epoch): "
        f"the model did not learn; {advice}"
    )


def register(app, store) -> None:
    from dash import Input, Output, html

    def _error(message):
        empty = figures.empty_figure(message)
        return empty, empty, empty, html.Div(message, className="dm-alert dm-error"), []

    @app.callback(
        Output(ids.OV_ROC, "figure"),
        Output(ids.OV_PR, "figure"),
        Output(ids.OV_HISTORY, "figure"),
        Output(ids.OV_MESSAGE, "children"),
        Output(ids.OV_TABLE, "style_data_conditional"),
        Input(ids.DATASET, "value"),
    )
    @guarded(_error)
    def _dataset(dataset):
        try:
            roc, pr, hist, problems = dataset_figures(store, dataset)
        except DeepMotifError as exc:
            empty = figures.empty_figure(str(exc))
            return empty, empty, empty, html.Div(str(exc), className="dm-alert dm-error"), []
        message = (
            html.Div(
                [html.B(f"{dataset}: "), html.Ul([html.Li(p) for p in problems])],
                className="dm-alert dm-warn",
            )
            if problems
            else None
        )
        style = (
            [
                {
                    "if": {"filter_query": f'{{dataset}} = "{_quote(dataset)}"'},
                    "backgroundColor": "#edf2ff",
                }
            ]
            if dataset
            else []
        )
        return roc, pr, hist, message, style


def _quote(text: str) -> str:
    return str(text).replace("\\", "\\\\").replace('"', '\\"')
