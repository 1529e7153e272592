"""Class optimization page: each architecture's optimised input as a logo beside its best JASPAR matches."""

from __future__ import annotations

import hashlib

import numpy as np

from deepmotif.dashboard import figures, ids
from deepmotif.dashboard._safe import guarded
from deepmotif.errors import DeepMotifError
from deepmotif.motifs.base import NoMotifFound


def logo_uri(store, pwm: np.ndarray, *, col_width: float = 0.24, height: float = 1.5) -> str:
    """A PNG data URI of the logo of ``pwm`` (4, L), rendered once and cached in the store."""
    from deepmotif.dashboard.static import data_uri, logo_png

    pwm = np.ascontiguousarray(pwm, dtype=np.float32)
    key = ("logo", hashlib.sha1(pwm.tobytes()).hexdigest(), pwm.shape, col_width, height)
    return store.cached(key, lambda: data_uri(logo_png(pwm, col_width=col_width, height=height)))


def oriented(pwm: np.ndarray, orientation: str) -> np.ndarray:
    """``pwm`` reverse-complemented when ``orientation`` is ``"-"`` (rows A, C, G, T)."""
    pwm = np.asarray(pwm)
    return pwm[::-1, ::-1] if str(orientation).strip() == "-" else pwm


def _logo_box(src, caption, **style):
    from dash import html

    return html.Div(
        [html.Img(src=src, alt=caption), html.Div(caption, className="dm-caption")],
        className="dm-logo",
        style=style,
    )


def matched_logos(store, query: np.ndarray, query_caption: str, matches) -> list:
    """Logo boxes of ``query`` and its matches (a Tomtom table), padded so the columns line up."""
    from dash import html

    from deepmotif.motifs.align import align_logos

    targets, captions, problems = [], [], []
    for _, m in matches.iterrows() if matches is not None else []:
        try:
            name, pwm = store.jaspar_pwm(m["target_id"])
        except DeepMotifError as exc:
            problems.append(html.Div(str(exc), className="dm-alert dm-warn"))
            continue
        strand = str(m.get("orientation", "+"))
        offset = int(m["offset"]) if "offset" in m and m["offset"] == m["offset"] else 0
        targets.append((oriented(pwm, strand), offset))
        p = float(m["p_value"])
        q = m.get("q_value")
        stats = f"p = {p:.2g}" + (f", q = {float(q):.2g}" if q is not None and q == q else "")
        captions.append(f"JASPAR {m['target_id']} {name} · {stats} · strand {strand}")
    q_frame, t_frames = align_logos(query, targets)
    boxes = [_logo_box(logo_uri(store, q_frame), query_caption)]
    boxes += [_logo_box(logo_uri(store, t), c) for t, c in zip(t_frames, captions)]
    return [html.Div(boxes, className="dm-logo-stack"), *problems]


#: Shown beside JASPAR matches of an optimised input that no null has vetted.
UNCHECKED = (
    "not checked against chance: these matches are of the raw optimised input; "
    "'deepmotif motifs' keeps an optimization motif only when it beats the same architecture "
    "untrained, and says 'no motif beyond chance' otherwise"
)


def sequence_line(opt) -> str:
    """The best discrete sequence's logit beside the best real positive's (when known)."""
    if opt.sequence_score is None:
        return ""
    line = f"best discrete sequence: logit {opt.sequence_score:.2f}"
    if opt.best_positive is not None:
        line += f" (best real positive: {opt.best_positive:.2f})"
    if opt.objective:
        line += f" · objective {opt.objective}"
    return line


def arch_card(store, run):
    """One architecture's card: the optimised input's informative window above its aligned
    JASPAR matches, and the whole optimised input (a heatmap) on request."""
    from dash import dcc, html

    try:
        opt = store.optimization(run.key)
    except DeepMotifError as exc:
        return html.Div(
            [html.H4(run.name), html.Div(str(exc), className="dm-alert dm-error")],
            className="dm-card",
        )
    L = opt.pwm.shape[1]
    score = "" if opt.score is None else f" · best logit {opt.score:.2f}"
    children = [
        html.H4(f"{run.name}{score}"),
        html.P(
            f"optimised input of {L} bp ({opt.source}); its most informative part above "
            "the JASPAR motifs it matches best, aligned column by column",
            className="dm-note",
        ),
    ]
    line = sequence_line(opt)
    if line:
        children.append(html.P(line, className="dm-note"))
    try:
        matches = store.optimization_matches(run.key)
        query, label = matches.attrs["query_pwm"], matches.attrs["query_label"]
    except NoMotifFound as exc:
        matches, query, label = None, opt.pwm, "optimised input (no motif found in it)"
        children.append(html.Div(str(exc), className="dm-alert dm-info"))
    except DeepMotifError as exc:
        matches, query, label = None, opt.pwm, "optimised input"
        children.append(html.Div(f"no JASPAR matches: {exc}", className="dm-alert dm-warn"))
    if matches is not None and matches.attrs.get("unchecked"):
        children.append(html.Div(UNCHECKED, className="dm-alert dm-warn"))
    children += matched_logos(store, query, label, matches)
    if query.shape[1] < L:
        children.append(
            html.Details(
                [
                    html.Summary(
                        "the whole optimised input", style={"cursor": "pointer", "marginTop": "8px"}
                    ),
                    dcc.Graph(
                        figure=figures.pwm_figure(opt.pwm, title=f"{run.name}: optimised input"),
                        config={"displaylogo": False},
                    ),
                ]
            )
        )
    return html.Div(children, className="dm-card")


def layout(store):
    from dash import dcc, html

    return html.Div(
        [
            html.Div(
                [
                    html.H3("Class optimization"),
                    html.P(
                        "The input each model scores highest as \u201cbound\u201d, found by gradient ascent "
                        "from random starts, shown as a logo beside the JASPAR motifs it resembles most "
                        "(Tomtom). Missing results are computed when this tab opens; that can take a while.",
                        className="dm-note",
                    ),
                ],
                className="dm-card",
            ),
            dcc.Loading(
                html.Div(id=ids.OPT_CONTENT),
                custom_spinner=html.Div(
                    [
                        html.Div(className="dm-spinner"),
                        html.Div(
                            "Working: reading optimize.npz, or optimising inputs for the models "
                            "without one, and matching them to JASPAR (kept for the next visit)."
                        ),
                    ],
                    className="dm-working",
                ),
                delay_show=200,
            ),
        ]
    )


def register(app, store) -> None:
    from dash import Input, Output, html, no_update

    @app.callback(
        Output(ids.OPT_CONTENT, "children"),
        Input(ids.TABS, "value"),
        Input(ids.DATASET, "value"),
    )
    @guarded(lambda message: html.Div(message, className="dm-alert dm-error"))
    def _content(tab, dataset):
        if tab != ids.TAB_OPTIMIZATION:
            return no_update
        if not dataset:
            return html.Div("choose a dataset", className="dm-alert dm-info")
        runs = store.runs_for(dataset, finished=True)
        if not runs:
            return html.Div(f"{dataset}: no finished run", className="dm-alert dm-warn")
        return [arch_card(store, run) for run in runs]
