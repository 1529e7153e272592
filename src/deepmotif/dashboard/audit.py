"""The Audit page: which attribution map to believe (``deepmotif audit`` results).

For the selected dataset, every finished run's ``RUN/audit/audit.tsv``: a table (architecture x
method: interpretation AUROC and AUPRC against the planted sites, agreement between methods,
share of the attribution inside known-motif hits, seconds per 1000 sequences) with the chance
levels, and bars of the measures per method and architecture.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from deepmotif.dashboard import figures, ids
from deepmotif.dashboard._safe import guarded
from deepmotif.errors import DeepMotifError

__all__ = ["COLUMNS", "audit_bars", "layout", "register"]

#: (column, header, chance column) of the page's table.
COLUMNS = (
    ("interpretation_auroc", "interpretation AUROC", "auroc_chance"),
    ("interpretation_auprc", "interpretation AUPRC", "auprc_chance"),
    ("agreement", "agreement", None),
    ("hit_fraction", "in motif hits", "hit_fraction_chance"),
    ("seconds_per_1000", "s / 1000 seq", None),
)
_PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf")


def audit_bars(table: pd.DataFrame):
    """Plotly: one panel per measure with values, bars per architecture grouped by method,
    chance levels as dashed lines."""
    from plotly.subplots import make_subplots

    panels = [c for c in COLUMNS[:4] if c[0] in table and table[c[0]].notna().any()]
    if not panels:
        return figures.empty_figure("no measure to plot")
    fig = make_subplots(rows=1, cols=len(panels), subplot_titles=[p[1] for p in panels])
    methods = list(dict.fromkeys(table["method"]))
    for k, arch in enumerate(dict.fromkeys(table["arch"])):
        sub = table[table["arch"] == arch].set_index("method").reindex(methods)
        for j, (col, header, _) in enumerate(panels, start=1):
            fig.add_bar(
                x=methods, y=sub[col].to_numpy(dtype=float), name=arch, legendgroup=arch,
                showlegend=j == 1, marker_color=_PALETTE[k % len(_PALETTE)], row=1, col=j,
                hovertemplate=f"{arch} · %{{x}}<br>{header} %{{y:.3f}}<extra></extra>",
            )  # fmt: skip
    for j, (col, _, chance) in enumerate(panels, start=1):
        if chance and chance in table and table[chance].notna().any():
            level = float(table[chance].dropna().iloc[0])
            fig.add_hline(y=level, line_dash="dash", line_color="#1f2933", row=1, col=j,
                          annotation_text="chance", annotation_font_size=10)  # fmt: skip
        low = float(np.nanmin(table[col].to_numpy(dtype=float)))
        fig.update_yaxes(range=[min(0.0, low - 0.05), 1.02], row=1, col=j)
    fig.update_layout(
        height=330, barmode="group", margin={"l": 50, "r": 20, "t": 50, "b": 40},
        font={"family": figures.FONT, "size": 12}, paper_bgcolor="white", plot_bgcolor="white",
        legend={"orientation": "h", "y": -0.15},
    )  # fmt: skip
    return fig


def _fmt(v) -> str:
    return "—" if v is None or not np.isfinite(float(v)) else f"{float(v):.3f}"


def audit_table(table: pd.DataFrame):
    """The page's table: one row per architecture and method, chance levels in the header."""
    from dash import html

    head = ["architecture", "method", "sequences"]
    for _, header, chance in COLUMNS:
        level = table[chance].dropna() if chance and chance in table else pd.Series(dtype=float)
        head.append(f"{header} (chance {level.iloc[0]:.3f})" if len(level) else header)
    rows = []
    for r in table.to_dict("records"):
        cells = [html.Td(html.B(r["arch"])), html.Td(r["method"]), html.Td(r.get("n_sequences"))]
        cells += [html.Td(_fmt(r.get(col))) for col, _, _ in COLUMNS]
        rows.append(html.Tr(cells))
    return html.Table(
        [html.Thead(html.Tr([html.Th(h) for h in head])), html.Tbody(rows)], className="dm-table"
    )


def layout(store):
    from dash import dcc, html

    return html.Div(
        [
            html.Div(
                [
                    html.H3("Attribution audit"),
                    html.P(
                        "Every attribution method scored on the run's test positives "
                        "(deepmotif audit): interpretation AUROC and AUPRC of |attribution of "
                        "the base present| (both strands averaged) against the planted sites of "
                        "simulated data, agreement between methods (median per-sequence "
                        "Spearman), the share of attribution inside FIMO hits of the known "
                        "motifs, and time.",
                        className="dm-note",
                    ),
                    html.Div(id=ids.AU_MESSAGE),
                    html.Div(id=ids.AU_TABLE),
                ],
                className="dm-card",
            ),
            html.Div(
                dcc.Graph(id=ids.AU_FIGURE, config={"displaylogo": False}), className="dm-card"
            ),
        ]
    )


def register(app, store) -> None:
    from dash import Input, Output, html

    def empty(message, kind="dm-info"):
        return html.Div(message, className=f"dm-alert {kind}"), None, figures.empty_figure(message)

    @app.callback(
        Output(ids.AU_MESSAGE, "children"),
        Output(ids.AU_TABLE, "children"),
        Output(ids.AU_FIGURE, "figure"),
        Input(ids.DATASET, "value"),
    )
    @guarded(lambda m: empty(m, "dm-error"))
    def _show(dataset):
        if not dataset:
            return empty("choose a dataset")
        try:
            table = store.audit_table(dataset)
        except DeepMotifError as exc:
            return empty(str(exc), "dm-error")
        if not len(table):
            return empty(f"{dataset}: no audit yet; run 'deepmotif audit RUN' on its runs")
        note = None
        if table["interpretation_auroc"].isna().all():
            note = html.Div(
                "No planted sites known for these runs: agreement and motif hits only "
                "(deepmotif audit RUN --truth SITES.tsv adds the interpretation scores).",
                className="dm-alert dm-info",
            )
        return note, audit_table(table), audit_bars(table)
