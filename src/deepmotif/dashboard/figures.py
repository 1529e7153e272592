"""The dashboard's Plotly figures: one function per figure, data in, ``go.Figure`` out.

Nothing here reads files or knows about Dash; the pages pass in what :class:`RunStore` returns.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from deepmotif.plots.colors import ARCH_COLORS, arch_color  # noqa: F401 (ARCH_COLORS re-exported)

FONT = "Inter, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"
#: Above this length the sequence letters are not written into the heatmap cells.
MAX_LETTERS = 200


_AXIS = {"showline": True, "linecolor": "#9aa5b1", "gridcolor": "#eef1f4", "zeroline": False}


def _figure(
    traces: list, *, height: int, title: str | None = None, axes: dict | None = None, **layout
) -> go.Figure:
    """A figure from plain dicts (one validation pass: much faster than update_* calls).

    ``axes`` maps ``"xaxis"``, ``"yaxis2"``... to their settings, merged over the house style.
    """
    base = {
        "height": height,
        "margin": {"l": 60, "r": 20, "t": 40 if title else 24, "b": 44},
        "font": {"family": FONT, "size": 12, "color": "#1f2933"},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "hoverlabel": {"font": {"family": FONT}},
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
    }
    if title:
        base["title"] = {"text": title, "x": 0.01, "font": {"size": 14}}
    for name, settings in (axes or {"xaxis": {}, "yaxis": {}}).items():
        base[name] = {**_AXIS, **settings}
    base.update(layout)
    return go.Figure({"data": traces, "layout": base})


def empty_figure(message: str, height: int = 260) -> go.Figure:
    """A blank figure that shows ``message`` (used when there is nothing to plot)."""
    note = {
        "text": message,
        "x": 0.5,
        "y": 0.5,
        "xref": "paper",
        "yref": "paper",
        "showarrow": False,
        "font": {"size": 13, "color": "#52606d"},
    }
    return _figure(
        [],
        height=height,
        axes={"xaxis": {"visible": False}, "yaxis": {"visible": False}},
        annotations=[note],
    )


# ------------------------------------------------------------------------------------ overview


def auroc_figure(summary: pd.DataFrame, metric: str = "auroc") -> go.Figure:
    """Grouped bars: test AUROC (or AUPRC) per dataset and architecture, DeepBind as markers.

    Parameters
    ----------
    summary : pandas.DataFrame
        :meth:`RunStore.seed_summary` (or :meth:`RunStore.summary`): columns ``dataset, arch,
        status, auroc, auprc, deepbind_star, deepbind``, optionally ``auroc_sd`` /
        ``auprc_sd`` (drawn as error bars) and ``n_seeds``. Several rows of one dataset and
        architecture are averaged.
    metric : {"auroc", "auprc"}

    Returns
    -------
    plotly.graph_objects.Figure
        One bar trace per architecture (``customdata`` = ``[dataset, arch]`` for click
        selection) and, where known, one marker trace per DeepBind variant.
    """
    done = summary[summary["status"] == "finished"]
    if done.empty:
        return empty_figure("no finished runs yet")
    datasets = sorted(done["dataset"].unique())
    traces = []
    for i, arch in enumerate(dict.fromkeys(done["arch"])):
        part = done[done["arch"] == arch].groupby("dataset", sort=False)
        mean = part[metric].mean()
        trace = {
            "type": "bar",
            "name": arch,
            "x": datasets,
            "y": [float(mean.get(d, np.nan)) for d in datasets],
            "marker": {"color": arch_color(arch, i)},
            "customdata": [[d, arch] for d in datasets],
            "hovertemplate": f"%{{x}}<br>{arch}: {metric.upper()} %{{y:.3f}}<extra></extra>",
        }
        if f"{metric}_sd" in done.columns and done[f"{metric}_sd"].notna().any():
            sd = part[f"{metric}_sd"].first()
            trace["error_y"] = {
                "type": "data",
                "array": [float(sd.get(d, np.nan)) for d in datasets],
                "visible": True,
            }
            trace["hovertemplate"] = (
                f"%{{x}}<br>{arch}: {metric.upper()} %{{y:.3f}} ± %{{error_y.array:.3f}} "
                "(mean ± sd over seeds)<extra></extra>"
            )
        traces.append(trace)
    if metric == "auroc":
        for col, label, symbol in (
            ("deepbind_star", "DeepBind*", "diamond"),
            ("deepbind", "DeepBind", "diamond-open"),
        ):
            ref = done.groupby("dataset")[col].first().reindex(datasets)
            if ref.notna().any():
                traces.append(
                    {
                        "type": "scatter",
                        "name": f"{label} (published)",
                        "x": datasets,
                        "y": ref.to_numpy(dtype=float),
                        "mode": "markers",
                        "marker": {
                            "symbol": symbol,
                            "size": 11,
                            "color": "#1f2933",
                            "line": {"width": 1.5, "color": "#1f2933"},
                        },
                        "hovertemplate": f"%{{x}}<br>{label}: AUROC %{{y:.3f}}<extra></extra>",
                    }
                )
    values = done[metric].to_numpy(dtype=float)
    low = np.nanmin(values) if np.isfinite(values).any() else 0.5
    return _figure(
        traces,
        height=340,
        barmode="group",
        bargap=0.25 if len(datasets) > 2 else 0.55,
        axes={
            "xaxis": {"showgrid": False},
            "yaxis": {
                "title": {"text": f"test {metric.upper()}"},
                "range": [min(0.5, max(0.0, low - 0.05)), 1.0],
            },
        },
    )


def curve_figure(curves: dict, kind: str = "roc", metrics: dict | None = None) -> go.Figure:
    """ROC or precision-recall curves of several architectures on one dataset's test set.

    Parameters
    ----------
    curves : dict
        ``arch -> DataFrame`` with ``fpr, tpr`` (``kind="roc"``) or ``recall, precision``.
    kind : {"roc", "pr"}
    metrics : dict, optional
        ``arch -> AUROC / AUPRC`` for the legend.
    """
    if not curves:
        return empty_figure("no curves")
    xcol, ycol = ("fpr", "tpr") if kind == "roc" else ("recall", "precision")
    traces = []
    for i, (arch, table) in enumerate(curves.items()):
        value = (metrics or {}).get(arch)
        label = arch if value is None or not np.isfinite(value) else f"{arch} ({value:.3f})"
        traces.append(
            {
                "type": "scatter",
                "name": label,
                "mode": "lines",
                "x": table[xcol].to_numpy(dtype=float),
                "y": table[ycol].to_numpy(dtype=float),
                "line": {
                    "color": arch_color(arch, i),
                    "width": 2,
                    "shape": "hv" if kind == "pr" else "linear",
                },
                "hovertemplate": f"{arch}<br>{xcol} %{{x:.3f}}<br>{ycol} %{{y:.3f}}<extra></extra>",
            }
        )
    if kind == "roc":
        traces.append(
            {
                "type": "scatter",
                "x": [0, 1],
                "y": [0, 1],
                "mode": "lines",
                "showlegend": False,
                "hoverinfo": "skip",
                "line": {"color": "#bcccdc", "dash": "dash", "width": 1},
            }
        )
        xt, yt, title = "false positive rate", "true positive rate", "ROC (test)"
    else:
        xt, yt, title = "recall", "precision", "Precision-recall (test)"
    return _figure(
        traces,
        height=330,
        title=title,
        axes={
            "xaxis": {"title": {"text": xt}, "range": [0, 1]},
            "yaxis": {"title": {"text": yt}, "range": [0, 1.02]},
        },
        legend={
            "orientation": "v",
            "x": 0.98,
            "xanchor": "right",
            "y": 0.02,
            "yanchor": "bottom",
            "bgcolor": "rgba(255,255,255,0.8)",
        },
    )


def history_figure(histories: dict) -> go.Figure:
    """Training curves: training loss (left) and validation AUROC (right) per epoch.

    Parameters
    ----------
    histories : dict
        ``arch -> DataFrame`` of ``history.csv`` (``epoch, train_loss, valid_auroc, ...``).
    """
    if not histories:
        return empty_figure("no training history")
    traces = []
    for i, (arch, h) in enumerate(histories.items()):
        for col, axis in (("train_loss", ""), ("valid_auroc", "2")):
            if col not in h.columns:
                continue
            traces.append(
                {
                    "type": "scatter",
                    "name": arch,
                    "legendgroup": arch,
                    "showlegend": axis == "",
                    "x": h["epoch"].to_numpy(),
                    "y": h[col].to_numpy(dtype=float),
                    "mode": "lines+markers",
                    "line": {"color": arch_color(arch, i), "width": 2},
                    "marker": {"size": 5},
                    "xaxis": f"x{axis}",
                    "yaxis": f"y{axis}",
                    "hovertemplate": f"{arch}<br>epoch %{{x}}<br>{col} %{{y:.4f}}<extra></extra>",
                }
            )
    dtick = max(1, int(np.ceil(max(len(h) for h in histories.values()) / 10)))
    return _figure(
        traces,
        height=330,
        title="Training curves",
        axes={
            "xaxis": {
                "domain": [0, 0.42],
                "anchor": "y",
                "title": {"text": "epoch"},
                "dtick": dtick,
            },
            "yaxis": {"anchor": "x", "title": {"text": "training loss"}},
            "xaxis2": {
                "domain": [0.58, 1],
                "anchor": "y2",
                "title": {"text": "epoch"},
                "dtick": dtick,
            },
            "yaxis2": {"anchor": "x2", "title": {"text": "validation AUROC"}},
        },
        legend={"orientation": "h", "x": 0.5, "xanchor": "center", "y": -0.3, "yanchor": "top"},
        margin={"l": 60, "r": 20, "t": 40, "b": 70},
    )


def pwm_figure(pwm: np.ndarray, title: str | None = None) -> go.Figure:
    """A position weight matrix (4, L) as a heatmap: rows A, C, G, T, columns positions 1..L.

    ``z`` holds the probabilities as given (hover shows them).
    """
    pwm = np.asarray(pwm, dtype=float)
    L = pwm.shape[1]
    trace = {
        "type": "heatmap",
        "z": pwm,
        "x": np.arange(1, L + 1),
        "y": list("ACGT"),
        "zmin": 0,
        "zmax": 1,
        "colorscale": "Blues",
        "xgap": 0.5,
        "ygap": 0.5,
        "name": "pwm",
        "colorbar": {"title": {"text": "probability", "side": "right"}, "thickness": 12},
        "hovertemplate": "position %{x}, base %{y}<br>probability %{z:.3f}<extra></extra>",
    }
    return _figure(
        [trace],
        height=210,
        title=title,
        axes={
            "xaxis": {"title": {"text": "position"}, "showgrid": False},
            "yaxis": {"autorange": "reversed", "showgrid": False},
        },
    )


# ------------------------------------------------------------------------------------ explorer


def _position_values(ex) -> np.ndarray:
    """The saliency at each position (the value at the base present; 0 at N)."""
    return np.asarray(ex.saliency, dtype=float).sum(axis=0)


def explanation_figure(
    explanations: dict, *, mode: str = "saliency", normalise: bool = True
) -> go.Figure:
    """Saliency and temporal output scores of every architecture, aligned base by base.

    Parameters
    ----------
    explanations : dict
        ``arch -> Explanation`` (:meth:`RunStore.explain_test` / ``explain_sequence``), all of
        the same sequence of length ``L``.
    mode : {"saliency", "gradient"}
        ``"saliency"``: one row per architecture, ``|gradient| x input`` at the base present
        (the sequence written in the cells). ``"gradient"``: four rows (A, C, G, T) per
        architecture, the signed gradient.
    normalise : bool
        Divide each architecture's values by its largest absolute value, so the colours compare
        positions within a model; the hover text always gives the raw values.

    Returns
    -------
    plotly.graph_objects.Figure
        Heatmaps sharing one x axis (positions 1..L). Saliency heatmap: ``z`` (n_arch, L),
        ``customdata`` the raw values. Temporal heatmap: rows ``arch →`` (forward) and
        ``arch ←`` (backward), ``z`` the probabilities.
    """
    if not explanations:
        return empty_figure("nothing to show")
    archs = list(explanations)
    seq = next(iter(explanations.values())).sequence
    L = len(seq)
    x = np.arange(1, L + 1)
    letters = np.array(list(seq))
    show_letters = L <= MAX_LETTERS
    sal = [
        a
        for a in archs
        if explanations[a].saliency is not None and explanations[a].gradient is not None
    ]
    tmp = [
        a
        for a in archs
        if explanations[a].forward is not None and explanations[a].backward is not None
    ]
    panels: list[tuple[str, str | None, int]] = []  # (kind, arch, n_rows)
    if sal:
        if mode == "gradient":
            panels += [("gradient", a, 4) for a in sal]
        else:
            panels.append(("saliency", None, len(sal)))
    if tmp:
        panels.append(("temporal", None, 2 * len(tmp)))
    if not panels:
        problems = [p for a in archs for p in explanations[a].problems]
        return empty_figure(problems[0] if problems else "no explanations for this sequence")

    # The figure is built as one dict (about 3x faster than make_subplots and update calls):
    # panels stacked top to bottom, each with its own y axis, all x axes matching the last one.
    row_px = {"saliency": 30, "gradient": 16, "temporal": 22}
    heights = [max(row_px[k] * n, 44) for k, _, n in panels]
    gap_px, top_px, bottom_px = 46, 36, 44
    plot_px = sum(heights) + gap_px * (len(panels) - 1)
    total = plot_px + top_px + bottom_px
    n = len(panels)
    layout: dict = {
        "height": int(total),
        "margin": {"l": 90, "r": 20, "t": top_px, "b": bottom_px},
        "font": {"family": FONT, "size": 12, "color": "#1f2933"},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "hoverlabel": {"font": {"family": FONT}},
        "annotations": [],
    }
    traces: list[dict] = []
    domains = []
    top = 1.0
    for i, ((kind, arch, _), h) in enumerate(zip(panels, heights), start=1):
        lo = top - h / plot_px
        domains.append((max(lo, 0.0), top))
        suffix = "" if i == 1 else str(i)
        layout[f"xaxis{suffix}"] = {
            "anchor": f"y{suffix}",
            "domain": [0.0, 1.0],
            "range": [0.5, L + 0.5],
            "showgrid": False,
            "zeroline": False,
            "showline": True,
            "linecolor": "#9aa5b1",
            "constrain": "domain",
            "showticklabels": i == n,
            **({"matches": f"x{n}"} if i < n else {"title": {"text": "position"}}),
        }
        layout[f"yaxis{suffix}"] = {
            "anchor": f"x{suffix}",
            "domain": [max(lo, 0.0), top],
            "autorange": "reversed",
            "showgrid": False,
            "zeroline": False,
            "showline": True,
            "linecolor": "#9aa5b1",
            "tickfont": {"size": 11},
        }
        if kind == "saliency":
            title = "Saliency  |gradient| × input" + (
                "  (each row scaled to its maximum)" if normalise else ""
            )
        elif kind == "gradient":
            title = f"{arch}: gradient of the logit for each base" + (
                "  (scaled to its largest |value|)" if normalise else ""
            )
        else:
            title = "Temporal output scores  P(bound) after reading forward (→) or backward (←) to each position"
        layout["annotations"].append(
            {
                "text": title,
                "x": 0,
                "xref": "paper",
                "xanchor": "left",
                "y": top,
                "yref": "paper",
                "yanchor": "bottom",
                "showarrow": False,
                "font": {"size": 12, "color": "#3e4c59"},
            }
        )
        axes = {"xaxis": f"x{suffix}", "yaxis": f"y{suffix}"}
        if kind == "saliency":
            raw = np.vstack([_position_values(explanations[a]) for a in sal])
            z = _scale_rows(raw) if normalise else raw
            traces.append(
                {
                    "type": "heatmap",
                    "name": "saliency",
                    "z": z,
                    "x": x,
                    "y": [_arch_label(explanations[a]) for a in sal],
                    "customdata": raw,
                    "coloraxis": "coloraxis",
                    "text": np.tile(letters, (len(sal), 1)),
                    "texttemplate": "%{text}" if show_letters else None,
                    "textfont": {
                        "size": 10
                    },  # colour: plotly picks one that contrasts with the cell
                    "hovertemplate": "%{y}<br>position %{x}, base %{text}<br>saliency %{customdata:.4g}"
                    + ("<br>scaled %{z:.2f}" if normalise else "")
                    + "<extra></extra>",
                    "xgap": 0.5,
                    "ygap": 2,
                    **axes,
                }
            )
        elif kind == "gradient":
            raw = np.asarray(explanations[arch].gradient, dtype=float)
            peak = np.abs(raw).max()
            scale = peak if normalise and peak > 0 else 1.0
            onehot = np.asarray([[b == c for b in seq] for c in "ACGT"])
            traces.append(
                {
                    "type": "heatmap",
                    "name": f"{arch} gradient",
                    "z": raw / scale,
                    "x": x,
                    "y": list("ACGT"),
                    "customdata": raw,
                    "text": np.where(onehot, np.tile(letters, (4, 1)), ""),
                    "texttemplate": "%{text}" if show_letters else None,
                    "textfont": {"size": 9},
                    "coloraxis": "coloraxis",
                    "xgap": 0.5,
                    "ygap": 0.5,
                    "hovertemplate": f"{arch}<br>position %{{x}}, base %{{y}}<br>gradient %{{customdata:.4g}}<extra></extra>",
                    **axes,
                }
            )
        else:
            z, labels, text = [], [], []
            for a in tmp:
                ex = explanations[a]
                z += [np.asarray(ex.forward, dtype=float), np.asarray(ex.backward, dtype=float)]
                labels += [f"{a} →", f"{a} ←"]
                text += [[f"bases 1–{j}" for j in x], [f"bases {j}–{L}" for j in x]]
            traces.append(
                {
                    "type": "heatmap",
                    "name": "temporal",
                    "z": np.vstack(z),
                    "x": x,
                    "y": labels,
                    "text": text,
                    "coloraxis": "coloraxis2",
                    "xgap": 0.5,
                    "ygap": 1,
                    "hovertemplate": "%{y}<br>position %{x}: reading %{text}<br>P(bound) %{z:.3f}<extra></extra>",
                    **axes,
                }
            )
        top = lo - gap_px / plot_px
    # Colour bars beside their panels.
    sal_panels = [i for i, p in enumerate(panels) if p[0] in ("saliency", "gradient")]
    tmp_panels = [i for i, p in enumerate(panels) if p[0] == "temporal"]
    if sal_panels:
        lo, hi = domains[sal_panels[-1]][0], domains[sal_panels[0]][1]
        if mode == "gradient":
            layout["coloraxis"] = {
                "colorscale": "RdBu_r",
                "cmid": 0,
                **({"cmin": -1, "cmax": 1} if normalise else {}),
                "colorbar": _colorbar("gradient" + (" (scaled)" if normalise else ""), lo, hi),
            }
        else:
            layout["coloraxis"] = {
                "colorscale": [[0, "#ffffff"], [0.15, "#fde0c5"], [0.5, "#f59e5b"], [1, "#b42318"]],
                "cmin": 0,
                **({"cmax": 1} if normalise else {}),
                "colorbar": _colorbar("saliency" + (" (scaled)" if normalise else ""), lo, hi),
            }
    if tmp_panels:
        lo, hi = domains[tmp_panels[0]]
        layout["coloraxis2"] = {
            "colorscale": "RdBu_r",
            "cmin": 0,
            "cmax": 1,
            "colorbar": _colorbar("P(bound)", lo, hi),
        }
    return go.Figure({"data": traces, "layout": layout})


def _arch_label(ex) -> str:
    return ex.arch if ex.score is None else f"{ex.arch} ({ex.score:.2f})"


def _scale_rows(raw: np.ndarray) -> np.ndarray:
    peak = np.abs(raw).max(axis=1, keepdims=True)
    return np.divide(raw, peak, out=np.zeros_like(raw), where=peak > 0)


def _colorbar(title: str, lo: float, hi: float) -> dict:
    return {
        "title": {"text": title, "side": "right", "font": {"size": 11}},
        "y": (lo + hi) / 2,
        "len": max(hi - lo, 0.12),
        "yanchor": "middle",
        "thickness": 12,
        "x": 1.01,
        "tickfont": {"size": 10},
    }


def explanation_table(explanations: dict) -> pd.DataFrame:
    """The values behind :func:`explanation_figure`, one row per position (for the CSV download).

    Columns: ``position`` (1-based), ``base``, then for every architecture ``<arch>_saliency``,
    ``<arch>_gradient_A`` .. ``_T``, ``<arch>_forward``, ``<arch>_backward`` where available, and
    ``<arch>_score`` (the sequence's predicted probability, repeated).
    """
    seq = next(iter(explanations.values())).sequence
    table = {"position": np.arange(1, len(seq) + 1), "base": list(seq)}
    for arch, ex in explanations.items():
        if ex.score is not None:
            table[f"{arch}_score"] = np.full(len(seq), ex.score)
        if ex.saliency is not None:
            table[f"{arch}_saliency"] = _position_values(ex)
        if ex.gradient is not None:
            for i, b in enumerate("ACGT"):
                table[f"{arch}_gradient_{b}"] = np.asarray(ex.gradient[i], dtype=float)
        if ex.forward is not None:
            table[f"{arch}_forward"] = np.asarray(ex.forward, dtype=float)
        if ex.backward is not None:
            table[f"{arch}_backward"] = np.asarray(ex.backward, dtype=float)
    return pd.DataFrame(table)
