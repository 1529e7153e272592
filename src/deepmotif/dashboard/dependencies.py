"""The Dependencies page: motif-pair cooperativity per architecture (``deepmotif dependencies``).

Results are found as folders holding ``dependencies.json`` and ``dependencies.tsv`` below the
dashboard's folders (the quickstart writes ``OUT/dependencies/``). The page shows, for a chosen
result set, cooperativity against spacing (one line per run, one panel per order and
orientation, significant configurations marked), a spacing x orientation heatmap of one run,
the verdict per run, and links to the TSV and the figures.
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path

from deepmotif.dashboard import ids
from deepmotif.dashboard._safe import guarded
from deepmotif.errors import DeepMotifError

__all__ = ["curves_figure", "find_results", "heatmap_figure", "layout", "read_result", "register"]

RESULT_JSON = "dependencies.json"
RESULT_TSV = "dependencies.tsv"
#: Files of a result set a browser may download.
DOWNLOADS = (RESULT_TSV, RESULT_JSON, "cooperativity.png", "cooperativity.svg")
_ORDERS = ("AB", "BA")
_ORIENTATIONS = ("++", "+-", "-+", "--")
_MAX_DEPTH = 4


def find_results(roots) -> dict[str, Path]:
    """``label -> folder`` of every result set below ``roots`` (a few levels deep)."""
    found: dict[str, Path] = {}
    for root in roots:
        root = Path(root)
        if not root.is_dir():
            continue
        base = len(root.parts)
        for dirpath, dirnames, filenames in os.walk(root):
            depth = len(Path(dirpath).parts) - base
            if depth >= _MAX_DEPTH:
                dirnames[:] = []
            if RESULT_JSON in filenames and RESULT_TSV in filenames:
                folder = Path(dirpath)
                label = folder.relative_to(root).as_posix()
                label = root.name if label == "." else f"{root.name}/{label}"
                found[label] = folder
        # deterministic order
    return dict(sorted(found.items()))


def read_result(folder: Path):
    """``(info, table)`` of a result set, with a DeepMotifError naming a broken file.

    Read once per version of the files (their modification times), not at every callback."""
    folder = Path(folder)
    try:
        stamp = tuple((folder / n).stat().st_mtime_ns for n in (RESULT_JSON, RESULT_TSV))
    except OSError as exc:
        raise DeepMotifError(f"{folder}: not readable ({exc})") from exc
    return _read_result(folder, stamp)


@functools.lru_cache(maxsize=32)
def _read_result(folder: Path, stamp: tuple):
    import pandas as pd

    try:
        info = json.loads((folder / RESULT_JSON).read_text())
    except (OSError, ValueError) as exc:
        raise DeepMotifError(f"{folder / RESULT_JSON}: not readable JSON ({exc})") from exc
    try:
        table = pd.read_csv(folder / RESULT_TSV, sep="\t")
    except (OSError, ValueError) as exc:
        raise DeepMotifError(f"{folder / RESULT_TSV}: not a readable table ({exc})") from exc
    need = {"run", "order", "orientation", "spacing", "cooperativity", "ci_low", "ci_high"}
    missing = sorted(need - set(table.columns))
    if missing or not isinstance(info, dict) or not isinstance(info.get("runs"), dict):
        what = f"missing column(s) {', '.join(missing)}" if missing else "no 'runs' in the JSON"
        raise DeepMotifError(f"{folder}: not a dependency result ({what})")
    if "significant" not in table.columns:
        table["significant"] = False
    return info, table


def curves_figure(table, info: dict | None = None):
    """Plotly: cooperativity against spacing, 2 x 4 panels (order x orientation), one line
    (with its 95% band) per run; significant configurations as dots; hover shows the values."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    a = str(table["motif_a"].iloc[0]) if "motif_a" in table else "A"
    b = str(table["motif_b"].iloc[0]) if "motif_b" in table else "B"
    titles = []
    for order in _ORDERS:
        for orient in _ORIENTATIONS:
            first, second = (a, b) if order == "AB" else (b, a)
            titles.append(f"{first}{orient[0]} then {second}{orient[1]}")
    fig = make_subplots(
        rows=2, cols=4, shared_xaxes=True, shared_yaxes=True, subplot_titles=titles,
        horizontal_spacing=0.03, vertical_spacing=0.12,
    )  # fmt: skip
    palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]
    runs = list(dict.fromkeys(table["run"]))
    for k, run in enumerate(runs):
        color = palette[k % len(palette)]
        for i, order in enumerate(_ORDERS):
            for j, orient in enumerate(_ORIENTATIONS):
                sub = table[
                    (table["run"] == run)
                    & (table["order"] == order)
                    & (table["orientation"] == orient)
                ].sort_values("spacing")
                x = sub["spacing"].tolist()
                band_x = x + x[::-1]
                band_y = sub["ci_high"].tolist() + sub["ci_low"].tolist()[::-1]
                fig.add_trace(
                    go.Scatter(
                        x=band_x, y=band_y, fill="toself", line={"width": 0},
                        fillcolor=color, opacity=0.2, hoverinfo="skip", showlegend=False,
                        legendgroup=run,
                    ),
                    row=i + 1, col=j + 1,
                )  # fmt: skip
                fig.add_trace(
                    go.Scatter(
                        x=x, y=sub["cooperativity"].tolist(), mode="lines", name=run,
                        line={"color": color}, legendgroup=run, showlegend=(i == 0 and j == 0),
                        customdata=sub[["ci_low", "ci_high"]].to_numpy().tolist(),
                        hovertemplate=f"{run}<br>spacing %{{x}} bp<br>cooperativity %{{y:.2f}}"
                        "<br>95% CI [%{customdata[0]:.2f}, %{customdata[1]:.2f}]<extra></extra>",
                    ),
                    row=i + 1, col=j + 1,
                )  # fmt: skip
                sig = sub[sub["significant"].astype(bool)]
                if len(sig):
                    fig.add_trace(
                        go.Scatter(
                            x=sig["spacing"].tolist(), y=sig["cooperativity"].tolist(),
                            mode="markers", marker={"color": color, "size": 6},
                            legendgroup=run, showlegend=False, hoverinfo="skip",
                        ),
                        row=i + 1, col=j + 1,
                    )  # fmt: skip
    fig.update_xaxes(title_text="spacing (bp)", row=2)
    fig.update_yaxes(title_text="cooperativity (logit)", col=1)
    fig.update_layout(
        height=520, margin={"l": 60, "r": 20, "t": 60, "b": 50},
        legend={"orientation": "h", "y": -0.15},
        title=f"{a} and {b}: logit(both) - logit({a}) - logit({b}) + logit(background)",
    )  # fmt: skip
    return fig


def heatmap_figure(table, run: str):
    """Plotly: one run's cooperativity, rows order x orientation, columns spacing."""
    import plotly.graph_objects as go

    sub = table[table["run"] == run]
    spacings = sorted(sub["spacing"].unique().tolist())
    labels, z = [], []
    for order in _ORDERS:
        for orient in _ORIENTATIONS:
            part = sub[(sub["order"] == order) & (sub["orientation"] == orient)]
            values = part.set_index("spacing")["cooperativity"].reindex(spacings)
            z.append([None if v != v else float(v) for v in values])
            labels.append(f"{order} {orient}")
    top = max((abs(v) for row in z for v in row if v is not None), default=1.0) or 1.0
    fig = go.Figure(
        go.Heatmap(
            z=z, x=spacings, y=labels, zmin=-top, zmax=top, colorscale="RdBu", reversescale=True,
            colorbar={"title": "logit"},
            hovertemplate="%{y}<br>spacing %{x} bp<br>cooperativity %{z:.2f}<extra></extra>",
        )
    )  # fmt: skip
    fig.update_layout(
        height=320, margin={"l": 70, "r": 20, "t": 40, "b": 50}, title=f"{run}",
        xaxis_title="spacing (bp)", yaxis={"autorange": "reversed"},
    )  # fmt: skip
    return fig


def verdicts(info: dict) -> list[str]:
    """The verdict lines of every run (the ones ``deepmotif dependencies`` prints)."""
    from deepmotif.dependencies.run import verdict_line

    lines = []
    for label, run in info["runs"].items():
        try:
            lines += verdict_line(label, run).splitlines()
        except (KeyError, TypeError, ValueError):
            lines.append(f"{label}: incomplete result (dependencies.json lacks its verdict)")
    return lines


def _roots(store):
    return getattr(store, "paths", [])


def layout(store):
    from dash import dcc, html

    results = find_results(_roots(store))
    options = [{"label": k, "value": k} for k in results]
    return html.Div(
        [
            html.Div(
                [
                    html.H3("Dependencies between motifs"),
                    html.P(
                        "Does a model score two motifs together as more than the sum of their "
                        "parts? Cooperativity = logit(both) \u2212 logit(A) \u2212 logit(B) + "
                        "logit(background), planted at every order, orientation and spacing "
                        "(deepmotif dependencies). Bands are 95% bootstrap intervals; dots are "
                        "configurations beyond the shuffled-motif null.",
                        className="dm-note",
                    ),
                    dcc.Dropdown(
                        id=ids.DEP_RESULT,
                        options=options,
                        value=options[0]["value"] if options else None,
                        clearable=False,
                        placeholder="no dependency results found (run 'deepmotif dependencies')",
                    ),
                    html.Div(id=ids.DEP_MESSAGE),
                    html.Div(id=ids.DEP_LINKS, className="dm-links"),
                ],
                className="dm-card",
            ),
            html.Div(
                dcc.Graph(id=ids.DEP_CURVES, config={"displaylogo": False}), className="dm-card"
            ),
            html.Div(
                [
                    dcc.Dropdown(id=ids.DEP_RUN, clearable=False),
                    dcc.Graph(id=ids.DEP_HEATMAP, config={"displaylogo": False}),
                ],
                className="dm-card",
            ),
        ]
    )


def register(app, store) -> None:
    from urllib.parse import urlencode

    from dash import Input, Output, html, no_update

    def empty(message, kind="dm-info"):
        return {}, html.Div(message, className=f"dm-alert {kind}"), None, [], None

    @app.callback(
        Output(ids.DEP_CURVES, "figure"),
        Output(ids.DEP_MESSAGE, "children"),
        Output(ids.DEP_LINKS, "children"),
        Output(ids.DEP_RUN, "options"),
        Output(ids.DEP_RUN, "value"),
        Input(ids.DEP_RESULT, "value"),
    )
    @guarded(lambda m: empty(m, "dm-error"))
    def _result(label):
        if not isinstance(label, str) or not label:
            return empty("no dependency results below the dashboard's folders")
        results = find_results(_roots(store))
        if label not in results:
            return empty(f"unknown result set {label!r}", "dm-warn")
        try:
            info, table = read_result(results[label])
        except DeepMotifError as exc:
            return empty(str(exc), "dm-warn")
        runs = list(dict.fromkeys(table["run"]))
        links = [
            html.A(
                f"\u2b07 {name}",
                href="/download-dependencies?" + urlencode({"result": label, "file": name}),
            )
            for name in DOWNLOADS
            if (results[label] / name).is_file()
        ]
        message = html.Div(
            [html.Div(line) for line in verdicts(info)], className="dm-alert dm-info"
        )
        return curves_figure(table, info), message, links, runs, runs[0] if runs else no_update

    @app.callback(
        Output(ids.DEP_HEATMAP, "figure"),
        Input(ids.DEP_RESULT, "value"),
        Input(ids.DEP_RUN, "value"),
    )
    @guarded(lambda m: {})
    def _heatmap(label, run):
        if not isinstance(label, str) or not isinstance(run, str):
            return {}
        results = find_results(_roots(store))
        if label not in results:
            return {}
        _, table = read_result(results[label])
        if run not in set(table["run"]):
            return {}
        return heatmap_figure(table, run)


def serve_download(store, label: str, name: str):
    """``(folder, name)`` of a downloadable file of a result set, or None (allow-list only)."""
    if not isinstance(label, str) or not isinstance(name, str) or name not in DOWNLOADS:
        return None
    folder = find_results(_roots(store)).get(label)
    if folder is None or not (folder / name).is_file():
        return None
    return folder, name
