"""Sequence explorer: pick a test sequence (or paste one) and see every model's explanation.

The attribution method is chosen among :func:`deepmotif.explain.registry.attribution_methods`
(or all of them, the default for a pasted sequence); the known-motif hits of the sequence
(:meth:`RunStore.sequence_hits`: the dataset's TF and the run's top motifs, FIMO) are drawn as a
track under the maps.
"""

from __future__ import annotations

import re

import numpy as np

from deepmotif.dashboard import explorer_figures, figures, ids
from deepmotif.dashboard._safe import guarded
from deepmotif.errors import DeepMotifError

ORDERS = [
    ("index", "test-set order"),
    ("score-desc", "highest score first"),
    ("score-asc", "lowest score first"),
    ("confident", "most confident first"),
    ("wrong", "most wrong first"),
]
MAX_OPTIONS = 5000
_FIGURE_CONFIG = {
    "displaylogo": False,
    "scrollZoom": False,
    "modeBarButtonsToRemove": ["lasso2d", "select2d", "autoScale2d"],
    "toImageButtonOptions": {"format": "png", "scale": 2, "filename": "deepmotif-explanation"},
}
_DOWNLOAD_JS = """
function(n, name) {
    if (!n) { return window.dash_clientside.no_update; }
    var gd = document.querySelector('#%(graph)s .js-plotly-plot');
    if (gd && window.Plotly) {
        window.Plotly.downloadImage(gd, {format: '%(fmt)s', filename: 'deepmotif-' + (name || 'explanation'),
            width: gd._fullLayout.width, height: gd._fullLayout.height, scale: %(scale)s});
    }
    return '';
}
"""


def sequence_options(store, dataset, arch, order="index", label="all"):
    """Dropdown options for the test sequences of ``dataset`` in the chosen order.

    Returns
    -------
    options : list of dict
        ``{"label": "#12 · s11 · bound · 0.931", "value": "s11"}``; at most :data:`MAX_OPTIONS`.
    reference : RunInfo
        The run whose test set and scores are listed.
    """
    ref = store.reference_run(dataset, arch)
    table = store.sequence_order(ref.key, order, label)
    out = []
    for idx, sid, lab, score in zip(
        table["index"].to_numpy()[:MAX_OPTIONS],
        table["id"][:MAX_OPTIONS],
        table["label"][:MAX_OPTIONS],
        table["score"][:MAX_OPTIONS],
    ):
        state = "bound" if int(lab) == 1 else "unbound"
        out.append(
            {"label": f"#{idx + 1} · {sid} · {state} · {float(score):.3f}", "value": str(sid)}
        )
    return out, ref


def _chip(p: float | None):
    from dash import html

    if p is None or not np.isfinite(p):
        return html.Span("—", className="dm-chip")
    # white at 0.5, blue towards 0, red towards 1
    t = abs(p - 0.5) * 2
    base = (178, 34, 34) if p >= 0.5 else (37, 99, 235)
    rgb = tuple(int(255 + (c - 255) * t) for c in base)
    color = "#fff" if t > 0.55 else "#1f2933"
    return html.Span(
        f"{p:.3f}", className="dm-chip", style={"backgroundColor": f"rgb{rgb}", "color": color}
    )


def predictions_table(explanations: dict, label: int | None = None):
    """The predictions panel: one row per architecture (probability, call, explanation source)."""
    from dash import html

    head = (
        ["architecture", "P(bound)", "call"]
        + (["true label", ""] if label is not None else [])
        + ["explanations"]
    )
    rows = []
    for arch, ex in explanations.items():
        call = None if ex.score is None else ("bound" if ex.score >= 0.5 else "unbound")
        cells = [html.Td(html.B(arch)), html.Td(_chip(ex.score)), html.Td(call or "—")]
        if label is not None:
            right = call is not None and (call == "bound") == (label == 1)
            cells += [
                html.Td("bound" if label == 1 else "unbound"),
                html.Td(
                    "✓" if right else "✗",
                    style={"color": "#2b8a3e" if right else "#c92a2a", "fontWeight": 700},
                ),
            ]
        cells.append(html.Td(ex.source or "—", style={"color": "#616e7c"}))
        rows.append(html.Tr(cells))
    return html.Table(
        [html.Thead(html.Tr([html.Th(h) for h in head])), html.Tbody(rows)], className="dm-table"
    )


def method_options() -> list[dict]:
    """The method selector's options: every registered attribution method, then all of them."""
    from deepmotif.explain.registry import attribution_methods, get_method

    opts = [
        {"label": name, "value": name, "title": get_method(name).description}
        for name in attribution_methods()
    ]
    return opts + [{"label": "all methods", "value": explorer_figures.ALL_METHODS}]


def _methods(method: str | None) -> list[str]:
    """The attribution methods to compute for the selector's value."""
    from deepmotif.explain.registry import attribution_methods

    if method == explorer_figures.ALL_METHODS:
        return list(attribution_methods())
    return [method or "saliency"]


def _field(label, child, **kw):
    from dash import html

    return html.Div([html.Label(label), child], className="dm-field", **kw)


def layout(store):
    from dash import dcc, html

    return html.Div(
        [
            html.Div(
                [
                    html.H3("Choose a sequence"),
                    _field(
                        "Sequence from",
                        dcc.RadioItems(
                            id=ids.EX_SOURCE,
                            value="test",
                            inline=True,
                            options=[
                                {"label": " test set", "value": "test"},
                                {"label": " paste your own", "value": "paste"},
                            ],
                            inputStyle={"marginRight": "4px"},
                            labelStyle={"marginRight": "14px"},
                        ),
                    ),
                    html.Div(
                        [
                            _field(
                                "Order",
                                dcc.Dropdown(
                                    id=ids.EX_ORDER,
                                    value="index",
                                    clearable=False,
                                    searchable=False,
                                    options=[{"label": lab, "value": v} for v, lab in ORDERS],
                                ),
                            ),
                            _field(
                                "Label",
                                dcc.RadioItems(
                                    id=ids.EX_LABEL,
                                    value="all",
                                    inline=True,
                                    options=[
                                        {"label": " all", "value": "all"},
                                        {"label": " bound", "value": "1"},
                                        {"label": " unbound", "value": "0"},
                                    ],
                                    inputStyle={"marginRight": "4px"},
                                    labelStyle={"marginRight": "12px"},
                                ),
                            ),
                            _field(
                                "Sequence (type to search by id)",
                                dcc.Dropdown(
                                    id=ids.EX_SEQUENCE,
                                    clearable=False,
                                    searchable=True,
                                    placeholder="choose a test sequence",
                                    optionHeight=32,
                                ),
                            ),
                            html.Div(
                                [
                                    html.Button(
                                        "◀ previous",
                                        id=ids.EX_PREV,
                                        className="dm-button dm-secondary",
                                    ),
                                    html.Button(
                                        "next ▶", id=ids.EX_NEXT, className="dm-button dm-secondary"
                                    ),
                                    dcc.Input(
                                        id=ids.EX_INDEX,
                                        type="number",
                                        min=1,
                                        step=1,
                                        debounce=True,
                                        placeholder="go to #",
                                        style={"width": "90px", "padding": "6px"},
                                    ),
                                ],
                                className="dm-row",
                            ),
                            html.P(
                                "Scores and orders come from the selected architecture's test set "
                                "(\u201cmost wrong\u201d: misclassified with the largest error first).",
                                className="dm-note",
                            ),
                        ],
                        id=ids.EX_TEST_PANEL,
                    ),
                    html.Div(
                        [
                            dcc.Textarea(
                                id=ids.EX_PASTE,
                                className="dm-textarea",
                                placeholder=">my_sequence\nACGTTGCA...",
                                spellCheck=False,
                            ),
                            html.P(
                                f"A, C, G, T or N; 10 to {store.max_length} bp; line breaks and one "
                                "FASTA header line are fine.",
                                className="dm-note",
                            ),
                            html.Button("Explain", id=ids.EX_EXPLAIN, className="dm-button"),
                        ],
                        id=ids.EX_PASTE_PANEL,
                        style={"display": "none"},
                    ),
                    html.Hr(
                        style={
                            "border": "none",
                            "borderTop": "1px solid #e4e7eb",
                            "margin": "14px 0",
                        }
                    ),
                    _field(
                        "Attribution method",
                        dcc.Dropdown(
                            id=ids.EX_METHOD,
                            value="saliency",
                            clearable=False,
                            searchable=False,
                            options=method_options(),
                        ),
                    ),
                    _field(
                        "Map view",
                        dcc.RadioItems(
                            id=ids.EX_MODE,
                            value="saliency",
                            options=[
                                {
                                    "label": " the base present (saliency: |gradient| × input)",
                                    "value": "saliency",
                                },
                                {
                                    "label": " all four bases (saliency: the gradient)",
                                    "value": "gradient",
                                },
                            ],
                            inputStyle={"marginRight": "4px"},
                            labelStyle={"display": "block", "marginBottom": "3px"},
                        ),
                    ),
                ],
                className="dm-card",
            ),
            html.Div(
                [
                    html.Div(id=ids.EX_MESSAGE),
                    html.Div(
                        [html.H3("Predictions"), html.Div(id=ids.EX_PREDICTIONS)],
                        className="dm-card",
                    ),
                    html.Div(
                        [
                            html.Div(
                                [
                                    html.H3("Explanations", style={"margin": 0, "flex": 1}),
                                    html.Button(
                                        "PNG",
                                        id=ids.EX_PNG_BUTTON,
                                        className="dm-button dm-secondary",
                                        title="download the figure as PNG",
                                    ),
                                    html.Button(
                                        "SVG",
                                        id=ids.EX_SVG_BUTTON,
                                        className="dm-button dm-secondary",
                                        title="download the figure as SVG",
                                    ),
                                    html.Button(
                                        "CSV",
                                        id=ids.EX_CSV_BUTTON,
                                        className="dm-button dm-secondary",
                                        title="download the values as CSV",
                                    ),
                                    html.Span(id=ids.EX_DOWNLOAD_DUMMY, style={"display": "none"}),
                                ],
                                className="dm-row",
                            ),
                            html.P(
                                "Drag across the heatmaps to zoom (all rows zoom together); double-click "
                                "to zoom out. Hover a cell for its value.",
                                className="dm-note",
                            ),
                            dcc.Loading(
                                dcc.Graph(
                                    id=ids.EX_FIGURE,
                                    config=_FIGURE_CONFIG,
                                    figure=figures.empty_figure("choose a sequence"),
                                ),
                                custom_spinner=html.Div(
                                    [
                                        html.Div(className="dm-spinner"),
                                        html.Div("Explaining the sequence with every model…"),
                                    ],
                                    className="dm-working",
                                ),
                                delay_show=250,
                            ),
                            dcc.Download(id=ids.EX_CSV),
                        ],
                        className="dm-card",
                    ),
                ]
            ),
        ],
        className="dm-explorer",
    )


def explain(store, source, dataset, arch, seq_id, pasted_text, method="saliency"):
    """What the explorer shows: ``(explanations, label, name)``; raises DeepMotifError.

    ``source`` is ``"test"`` (``seq_id`` from ``dataset``'s test set) or ``"paste"``;
    ``method`` an attribution method or ``"all"``.
    """
    if not dataset:
        raise DeepMotifError("choose a dataset")
    methods = _methods(method)
    if source == "paste":
        exps = store.explain_sequence(dataset, pasted_text, methods=methods)
        return exps, None, "pasted"
    if not seq_id:
        raise DeepMotifError("choose a test sequence")
    ref = store.reference_run(dataset, arch)
    table = store.test_table(ref.key)
    hit = np.nonzero(table["id"].to_numpy() == str(seq_id))[0]
    if len(hit) == 0:
        raise DeepMotifError(f"{dataset}: no test sequence {seq_id!r}")
    label = int(table["label"].iloc[hit[0]])
    exps = store.explain_test(dataset, seq_id, reference_arch=arch, methods=methods)
    return exps, label, str(seq_id)


def sequence_hits(store, source, dataset, arch, seq_id, sequence):
    """The known-motif hits of the shown sequence, or ``(None, problem)``."""
    try:
        hits = store.sequence_hits(
            dataset, sequence, seq_id=seq_id if source == "test" else None, arch=arch
        )
    except DeepMotifError as exc:
        return None, f"known-motif hits: {exc}"
    return hits, None


def register(app, store) -> None:
    from dash import Input, Output, State, callback_context, dcc, html, no_update

    @app.callback(
        Output(ids.EX_TEST_PANEL, "style"),
        Output(ids.EX_PASTE_PANEL, "style"),
        Output(ids.EX_METHOD, "value"),
        Input(ids.EX_SOURCE, "value"),
        prevent_initial_call=True,
    )
    def _panels(source):
        hide = {"display": "none"}
        if source == "paste":  # a pasted sequence gets every method
            return hide, {}, explorer_figures.ALL_METHODS
        return {}, hide, "saliency"

    @app.callback(
        Output(ids.EX_SEQUENCE, "options"),
        Output(ids.EX_SEQUENCE, "value"),
        Input(ids.DATASET, "value"),
        Input(ids.ARCH, "value"),
        Input(ids.EX_ORDER, "value"),
        Input(ids.EX_LABEL, "value"),
        State(ids.EX_SEQUENCE, "value"),
    )
    @guarded(lambda message: ([], None))
    def _options(dataset, arch, order, label, current):
        if not dataset:
            return [], None
        try:
            options, _ = sequence_options(store, dataset, arch, order or "index", label or "all")
        except DeepMotifError:
            return [], None
        values = [o["value"] for o in options]
        trigger = callback_context.triggered[0]["prop_id"] if callback_context.triggered else ""
        keep = current in values and not trigger.startswith((ids.EX_ORDER, ids.EX_LABEL))
        return options, (current if keep else (values[0] if values else None))

    @app.callback(
        Output(ids.EX_SEQUENCE, "value", allow_duplicate=True),
        Input(ids.EX_PREV, "n_clicks"),
        Input(ids.EX_NEXT, "n_clicks"),
        Input(ids.EX_INDEX, "value"),
        State(ids.EX_SEQUENCE, "value"),
        State(ids.EX_SEQUENCE, "options"),
        prevent_initial_call=True,
    )
    def _step(_prev, _next, number, current, options):
        if not options:
            return no_update
        values = [o["value"] for o in options]
        trigger = callback_context.triggered[0]["prop_id"] if callback_context.triggered else ""
        if trigger.startswith(ids.EX_INDEX):
            if number is None:
                return no_update
            for o in options:
                m = re.match(r"#(\d+) ", o["label"])
                if m and int(m.group(1)) == int(number):
                    return o["value"]
            return no_update
        i = values.index(current) if current in values else -1
        step = -1 if trigger.startswith(ids.EX_PREV) else 1
        return values[(i + step) % len(values)]

    def _error(message):
        return figures.empty_figure(message), None, html.Div(message, className="dm-alert dm-error")

    @app.callback(
        Output(ids.EX_FIGURE, "figure"),
        Output(ids.EX_PREDICTIONS, "children"),
        Output(ids.EX_MESSAGE, "children"),
        Input(ids.EX_SOURCE, "value"),
        Input(ids.EX_SEQUENCE, "value"),
        Input(ids.EX_MODE, "value"),
        Input(ids.EX_EXPLAIN, "n_clicks"),
        Input(ids.DATASET, "value"),
        Input(ids.EX_METHOD, "value"),
        State(ids.EX_PASTE, "value"),
        State(ids.ARCH, "value"),
    )
    @guarded(_error)
    def _render(source, seq_id, mode, n_clicks, dataset, method, pasted, arch):
        if source == "paste" and not n_clicks:
            return (
                figures.empty_figure("paste a sequence and press Explain"),
                None,
                html.Div(
                    "Paste a DNA sequence on the left and press Explain.",
                    className="dm-alert dm-info",
                ),
            )
        try:
            exps, label, _ = explain(store, source, dataset, arch, seq_id, pasted, method)
        except DeepMotifError as exc:
            return (
                figures.empty_figure(str(exc)),
                None,
                html.Div(str(exc), className="dm-alert dm-error"),
            )
        problems = [p for ex in exps.values() for p in ex.problems]
        seq = next(iter(exps.values())).sequence
        hits, problem = sequence_hits(store, source, dataset, arch, seq_id, seq)
        if problem:
            problems.append(problem)
        header = html.Div(
            [
                html.Div(
                    [
                        html.B(seq_id if source == "test" else "pasted sequence"),
                        f" · {len(seq)} bp",
                    ],
                    style={"marginBottom": "6px"},
                ),
                html.Div(seq, className="dm-seq"),
            ],
            style={"marginBottom": "10px"},
        )
        message = (
            html.Div(
                [html.B("Some explanations are missing:"), html.Ul([html.Li(p) for p in problems])],
                className="dm-alert dm-warn",
            )
            if problems
            else None
        )
        fig = explorer_figures.explanation_figure(
            exps, mode=mode or "saliency", method=method or "saliency", hits=hits
        )
        return fig, [header, predictions_table(exps, label)], message

    @app.callback(
        Output(ids.EX_CSV, "data"),
        Input(ids.EX_CSV_BUTTON, "n_clicks"),
        State(ids.EX_SOURCE, "value"),
        State(ids.DATASET, "value"),
        State(ids.ARCH, "value"),
        State(ids.EX_SEQUENCE, "value"),
        State(ids.EX_PASTE, "value"),
        State(ids.EX_METHOD, "value"),
        prevent_initial_call=True,
    )
    @guarded(lambda message: no_update)
    def _csv(n, source, dataset, arch, seq_id, pasted, method):
        if not n:
            return no_update
        try:
            exps, _, name = explain(store, source, dataset, arch, seq_id, pasted, method)
        except DeepMotifError:
            return no_update
        seq = next(iter(exps.values())).sequence
        hits, _ = sequence_hits(store, source, dataset, arch, seq_id, seq)
        table = explorer_figures.explanation_table(exps, hits=hits)
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{dataset}_{name}")
        return dcc.send_data_frame(table.to_csv, f"deepmotif_{safe}.csv", index=False)

    for button, fmt, prop, scale in (
        (ids.EX_SVG_BUTTON, "svg", "children", 1),
        (ids.EX_PNG_BUTTON, "png", "title", 2),
    ):
        app.clientside_callback(
            _DOWNLOAD_JS % {"graph": ids.EX_FIGURE, "fmt": fmt, "scale": scale},
            Output(ids.EX_DOWNLOAD_DUMMY, prop),
            Input(button, "n_clicks"),
            State(ids.EX_SEQUENCE, "value"),
            prevent_initial_call=True,
        )
