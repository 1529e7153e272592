"""Motifs page: a run's extracted motifs and their Tomtom matches, filterable, sortable, with logos."""

from __future__ import annotations

from urllib.parse import urlencode

import numpy as np
import pandas as pd

from deepmotif.dashboard import figures, ids
from deepmotif.dashboard._safe import guarded
from deepmotif.dashboard.optimization import matched_logos
from deepmotif.errors import DeepMotifError

COLUMNS = [
    "query",
    "rank",
    "target_id",
    "target_name",
    "p_value",
    "e_value",
    "q_value",
    "offset",
    "orientation",
]
_NUMERIC = {"p_value", "e_value", "q_value", "offset"}
#: Shown only on request (the table's "Toggle Columns" button).
HIDDEN = ["score", "database"]


def table_data(store, key: str) -> tuple[list[dict], list[dict]]:
    """Rows and columns of the matches table of run ``key`` (row ``id`` = row number)."""
    from dash.dash_table.Format import Format, Scheme

    matches = store.motif_matches(key)
    cols = [c for c in COLUMNS if c in matches.columns] + [
        c for c in matches.columns if c not in COLUMNS
    ]
    rows = []
    for i, rec in enumerate(matches[cols].to_dict("records")):
        row = {"id": str(i)}
        for c, v in rec.items():
            row[c] = (
                None
                if isinstance(v, float) and not np.isfinite(v)
                else (v.item() if hasattr(v, "item") else v)
            )
        rows.append(row)
    columns = []
    for c in cols:
        col = {"name": c.replace("_", " "), "id": c, "hideable": True}
        if c in _NUMERIC or pd.api.types.is_numeric_dtype(matches[c]):
            col["type"] = "numeric"
            if c in ("p_value", "e_value", "q_value"):
                col["format"] = Format(precision=2, scheme=Scheme.exponent)
        columns.append(col)
    return rows, columns


def no_motif_lines(reasons: dict) -> list[str]:
    """One sentence per motif source that found nothing: ``"saliency: no motif found (why)"``."""
    return [f"{source}: no motif found ({why})" for source, why in reasons.items()]


def download_links(key: str):
    """Links to the run's ``motifs.meme`` and ``matches.tsv`` (served by the ``/download`` route)."""
    from dash import html

    def href(name):
        return "/download?" + urlencode({"run": key, "file": name})

    return html.Div(
        [
            html.A("⬇ motifs.meme", href=href("motifs/motifs.meme")),
            html.A("⬇ matches.tsv", href=href("motifs/matches.tsv")),
        ],
        className="dm-links",
    )


def detail(store, key: str, row: dict | None):
    """Logos of one match: the extracted motif above the JASPAR motif, aligned as Tomtom found."""
    from dash import html

    if not row:
        return html.P(
            "Click a row to see the extracted motif above its JASPAR match.", className="dm-note"
        )
    query = str(row.get("query", ""))
    try:
        pwms = store.motif_pwms(key)
    except DeepMotifError as exc:
        return html.Div(str(exc), className="dm-alert dm-warn")
    if query not in pwms:
        return html.Div(f"motif {query!r} is not in motifs.meme", className="dm-alert dm-warn")
    match = pd.DataFrame([row]) if row.get("target_id") else None
    return matched_logos(store, pwms[query], f"extracted: {query}", match)


def layout(store):
    from dash import dash_table, html

    return html.Div(
        [
            html.Div(id=ids.MO_MESSAGE),
            html.Div(
                [
                    html.Div(
                        [
                            html.H3(
                                "Extracted motifs and their JASPAR matches",
                                style={"flex": 1, "margin": 0},
                            ),
                            html.Div(id=ids.MO_LINKS),
                        ],
                        className="dm-row",
                        style={"marginBottom": "8px"},
                    ),
                    html.P(
                        "Filter with the boxes under the headers (e.g. \u201c< 0.05\u201d under q value, "
                        "\u201cCTCF\u201d under target name); click a header to sort.",
                        className="dm-note",
                    ),
                    dash_table.DataTable(
                        id=ids.MO_TABLE,
                        data=[],
                        columns=[],
                        filter_action="native",
                        sort_action="native",
                        sort_mode="multi",
                        hidden_columns=HIDDEN,
                        page_size=12,
                        style_cell={
                            "fontFamily": figures.FONT,
                            "fontSize": 13,
                            "padding": "5px 10px",
                            "textAlign": "left",
                            "border": "none",
                            "borderBottom": "1px solid #eef1f4",
                        },
                        style_header={
                            "fontWeight": 600,
                            "backgroundColor": "#f8f9fa",
                            "color": "#52606d",
                            "borderBottom": "1px solid #d9dee4",
                        },
                        style_filter={"backgroundColor": "#fff"},
                        style_table={"overflowX": "auto"},
                    ),
                ],
                className="dm-card",
            ),
            html.Div(html.Div(id=ids.MO_DETAIL), className="dm-card"),
        ]
    )


def register(app, store) -> None:
    from dash import Input, Output, State, html

    @app.callback(
        Output(ids.MO_TABLE, "data"),
        Output(ids.MO_TABLE, "columns"),
        Output(ids.MO_TABLE, "active_cell"),
        Output(ids.MO_LINKS, "children"),
        Output(ids.MO_MESSAGE, "children"),
        Input(ids.DATASET, "value"),
        Input(ids.ARCH, "value"),
    )
    @guarded(lambda m: ([], [], None, None, html.Div(m, className="dm-alert dm-error")))
    def _table(dataset, arch):
        run = store.run_named(dataset, arch)
        runs = [run] if run is not None else []
        if not runs:
            return (
                [],
                [],
                None,
                None,
                html.Div("choose a dataset and an architecture", className="dm-alert dm-info"),
            )
        key = runs[0].key
        try:
            rows, columns = table_data(store, key)
        except DeepMotifError as exc:
            return [], [], None, None, html.Div(str(exc), className="dm-alert dm-warn")
        lines = no_motif_lines(store.no_motif(key))
        if not rows and not lines:
            lines = ["no motif found"]
        message = (
            html.Div([html.Div(line) for line in lines], className="dm-alert dm-info")
            if lines
            else None
        )
        return rows, columns, None, download_links(key), message

    @app.callback(
        Output(ids.MO_DETAIL, "children"),
        Input(ids.MO_TABLE, "active_cell"),
        State(ids.MO_TABLE, "data"),
        State(ids.DATASET, "value"),
        State(ids.ARCH, "value"),
    )
    @guarded(lambda message: html.Div(message, className="dm-alert dm-error"))
    def _detail(cell, data, dataset, arch):
        run = store.run_named(dataset, arch)
        runs = [run] if run is not None else []
        if not runs:
            return None
        row = None
        if isinstance(cell, dict) and isinstance(data, list):
            rid = cell.get("row_id")
            row = next((r for r in data if isinstance(r, dict) and r.get("id") == rid), None)
        return detail(store, runs[0].key, row)
