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
    """Training curves: training loss (left) and validation AUROC (right) per epoch; hovering a
    point also shows the epoch's learning rate when ``history.csv`` has it (where ``lr_drops``
    halved it, the drop is visible there).

    Parameters
    ----------
    histories : dict
        ``arch -> DataFrame`` of ``history.csv`` (``epoch, train_loss, valid_auroc, lr, ...``).
    """
    if not histories:
        return empty_figure("no training history")
    traces = []
    for i, (arch, h) in enumerate(histories.items()):
        has_lr = "lr" in h.columns
        lr_hover = "<br>learning rate %{customdata:.3g}" if has_lr else ""
        lr = h["lr"].to_numpy(dtype=float) if has_lr else None
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
                    "customdata": lr,
                    "hovertemplate": (
                        f"{arch}<br>epoch %{{x}}<br>{col} %{{y:.4f}}{lr_hover}<extra></extra>"
                    ),
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


def explanation_figure(explanations: dict, **options) -> go.Figure:
    """The sequence explorer's figure: see
    :func:`deepmotif.dashboard.explorer_figures.explanation_figure`."""
    from deepmotif.dashboard.explorer_figures import explanation_figure as build

    return build(explanations, **options)


def explanation_table(explanations: dict, **options) -> pd.DataFrame:
    """The explorer's values as a table: see
    :func:`deepmotif.dashboard.explorer_figures.explanation_table`."""
    from deepmotif.dashboard.explorer_figures import explanation_table as build

    return build(explanations, **options)
