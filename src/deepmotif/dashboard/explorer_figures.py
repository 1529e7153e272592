"""The sequence explorer's figure and its CSV: attribution maps of every architecture (one
method or all of them), the known-motif hits under them, and the temporal output scores.

Nothing here reads files or knows about Dash (see :mod:`deepmotif.dashboard.figures`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from deepmotif.dashboard.figures import FONT, MAX_LETTERS, empty_figure

__all__ = ["ALL_METHODS", "explanation_figure", "explanation_table", "methods_shown"]

#: The method selector's value for "every attribution method, one panel each".
ALL_METHODS = "all"
_HIT_COLORS = ("#2b8a3e", "#7048e8", "#d9480f", "#1971c2", "#c2255c", "#5c940d")


def _onehot(seq: str) -> np.ndarray:
    return np.asarray([[b == c for b in seq] for c in "ACGT"], dtype=float)


def _map(ex, method: str) -> np.ndarray | None:
    """The (4, L) map of ``method``: saliency's signed gradient, the others' attributions."""
    if method == "saliency":
        return None if ex.gradient is None else np.asarray(ex.gradient, dtype=float)
    value = (ex.attributions or {}).get(method)
    return None if value is None else np.asarray(value, dtype=float)


def _position_values(ex, method: str = "saliency") -> np.ndarray | None:
    """Per position: saliency's ``|gradient| x input`` at the base present; for another method
    the magnitude of its attribution of the base present (the audit's score); 0 at N."""
    if method == "saliency":
        return None if ex.saliency is None else np.asarray(ex.saliency, dtype=float).sum(axis=0)
    value = _map(ex, method)
    return None if value is None else np.abs((value * _onehot(ex.sequence)).sum(axis=0))


def methods_shown(explanations: dict, method: str = "saliency") -> list[str]:
    """The methods the figure draws: ``method``, or with :data:`ALL_METHODS` every method any
    architecture has a map of (saliency first)."""
    if method != ALL_METHODS:
        return [method]
    found = ["saliency"] if any(e.saliency is not None for e in explanations.values()) else []
    for ex in explanations.values():
        found += [m for m in (ex.attributions or {}) if m not in found]
    return found


def _panel_title(kind: str, method: str | None, arch: str | None, normalise: bool) -> str:
    scaled = "  (each row scaled to its maximum)" if normalise else ""
    if kind == "magnitude":
        if method == "saliency":
            return "Saliency  |gradient| × input" + scaled
        return f"{method}  |attribution of the base present|" + scaled
    if kind == "four":
        what = "gradient of the logit" if method == "saliency" else f"{method} attribution"
        return f"{arch}: {what} for each base" + (
            "  (scaled to its largest |value|)" if normalise else ""
        )
    if kind == "hits":
        return "Known-motif hits (FIMO p < 1e-4; + / − strand)"
    return "Temporal output scores  P(bound) after reading forward (→) or backward (←) to each position"


def explanation_figure(
    explanations: dict,
    *,
    mode: str = "saliency",
    normalise: bool = True,
    method: str = "saliency",
    hits: pd.DataFrame | None = None,
) -> go.Figure:
    """Attribution maps, known-motif hits and temporal scores of every architecture, aligned
    base by base.

    Parameters
    ----------
    explanations : dict
        ``arch -> Explanation`` (:meth:`RunStore.explain_test` / ``explain_sequence``), all of
        the same sequence of length ``L``.
    mode : {"saliency", "gradient"}
        ``"saliency"``: per method one panel with one row per architecture: the value at the
        base present (saliency: ``|gradient| x input``; other methods: ``|attribution|``), the
        sequence written in the cells. ``"gradient"``: four rows (A, C, G, T) per architecture
        and method, the signed map (saliency: the gradient).
    normalise : bool
        Divide each row (each four-row map) by its largest absolute value; hover gives raw values.
    method : str
        A registered attribution method, or :data:`ALL_METHODS`.
    hits : pandas.DataFrame, optional
        Known-motif hits of the sequence (``motif``, ``start``, ``end``, ``strand``, ``score``,
        ``p_value``; 0-based, end exclusive): a track with one row per motif under the maps.

    Returns
    -------
    plotly.graph_objects.Figure
        Heatmaps sharing one x axis (positions 1..L). Magnitude heatmaps are named after the
        method (``"saliency"``), four-row ones ``"<arch> gradient"`` (saliency) or ``"<arch>
        <method>"``; the hits track ``"hits"`` (z 1 on the + strand, -1 on the −, 0 elsewhere);
        temporal ``"temporal"``.
    """
    if not explanations:
        return empty_figure("nothing to show")
    archs = list(explanations)
    seq = next(iter(explanations.values())).sequence
    L = len(seq)
    x = np.arange(1, L + 1)
    letters = np.array(list(seq))
    show_letters = L <= MAX_LETTERS
    panels: list[tuple] = []  # (kind, method, arch, n_rows)
    for m in methods_shown(explanations, method):
        have = [a for a in archs if _map(explanations[a], m) is not None]
        if m == "saliency":
            have = [a for a in have if explanations[a].saliency is not None]
        if not have:
            continue
        if mode == "gradient":
            panels += [("four", m, a, 4) for a in have]
        else:
            panels.append(("magnitude", m, tuple(have), len(have)))
    motifs = []
    if hits is not None and len(hits) and panels:
        motifs = list(dict.fromkeys(hits["motif"].astype(str)))
        panels.append(("hits", None, None, len(motifs)))
    tmp = [
        a
        for a in archs
        if explanations[a].forward is not None and explanations[a].backward is not None
    ]
    if tmp:
        panels.append(("temporal", None, None, 2 * len(tmp)))
    if not panels:
        problems = [p for a in archs for p in explanations[a].problems]
        return empty_figure(problems[0] if problems else "no explanations for this sequence")

    # One dict (about 3x faster than make_subplots and update calls): panels stacked top to
    # bottom, each with its own y axis, all x axes matching the last one.
    row_px = {"magnitude": 30, "four": 16, "hits": 20, "temporal": 22}
    heights = [max(row_px[p[0]] * p[3], 44) for p in panels]
    gap_px, top_px, bottom_px = 46, 36, 44
    plot_px = sum(heights) + gap_px * (len(panels) - 1)
    n = len(panels)
    layout: dict = {
        "height": int(plot_px + top_px + bottom_px),
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
    for i, ((kind, m, arch, _), h) in enumerate(zip(panels, heights), start=1):
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
        layout["annotations"].append(
            {
                "text": _panel_title(kind, m, arch, normalise),
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
        if kind == "magnitude":
            raw = np.vstack([_position_values(explanations[a], m) for a in arch])
            z = _scale_rows(raw) if normalise else raw
            label = "saliency" if m == "saliency" else "|attribution|"
            traces.append(
                {
                    "type": "heatmap",
                    "name": m,
                    "z": z,
                    "x": x,
                    "y": [_arch_label(explanations[a]) for a in arch],
                    "customdata": raw,
                    "coloraxis": "coloraxis",
                    "text": np.tile(letters, (len(arch), 1)),
                    "texttemplate": "%{text}" if show_letters else None,
                    "textfont": {"size": 10},  # plotly picks a colour contrasting with the cell
                    "hovertemplate": f"%{{y}}<br>position %{{x}}, base %{{text}}<br>{label} "
                    "%{customdata:.4g}"
                    + ("<br>scaled %{z:.2f}" if normalise else "")
                    + "<extra></extra>",
                    "xgap": 0.5,
                    "ygap": 2,
                    **axes,
                }
            )
        elif kind == "four":
            raw = _map(explanations[arch], m)
            peak = np.abs(raw).max()
            scale = peak if normalise and peak > 0 else 1.0
            onehot = _onehot(seq).astype(bool)
            what = "gradient" if m == "saliency" else m
            traces.append(
                {
                    "type": "heatmap",
                    "name": f"{arch} {what}",
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
                    "hovertemplate": f"{arch}<br>position %{{x}}, base %{{y}}<br>{what} "
                    "%{customdata:.4g}<extra></extra>",
                    **axes,
                }
            )
        elif kind == "hits":
            traces.append(_hits_trace(hits, motifs, L, x, axes))
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
    _colour_axes(layout, panels, domains, mode, normalise)
    return go.Figure({"data": traces, "layout": layout})


def _hits_trace(hits: pd.DataFrame, motifs: list[str], L: int, x, axes: dict) -> dict:
    """One row per motif: +1 over a hit on the + strand, -1 on the −, hover with its values."""
    z = np.zeros((len(motifs), L))
    text = np.full((len(motifs), L), "", dtype=object)
    for r in hits.itertuples(index=False):
        k = motifs.index(str(r.motif))
        lo, hi = max(int(r.start), 0), min(int(r.end), L)
        z[k, lo:hi] = 1.0 if str(r.strand) == "+" else -1.0
        text[k, lo:hi] = (
            f"{r.motif} {r.strand} at {int(r.start) + 1}–{int(r.end)}<br>score "
            f"{float(r.score):.2f}, p {float(r.p_value):.2g}"
        )
    return {
        "type": "heatmap",
        "name": "hits",
        "z": z,
        "x": x,
        "y": motifs,
        "text": text,
        "zmin": -1,
        "zmax": 1,
        "showscale": False,
        "colorscale": [[0, _HIT_COLORS[1]], [0.5, "#ffffff"], [1, _HIT_COLORS[0]]],
        "xgap": 0,
        "ygap": 3,
        "hovertemplate": "%{y}<br>position %{x}<br>%{text}<extra></extra>",
        **axes,
    }


def _colour_axes(layout: dict, panels, domains, mode: str, normalise: bool) -> None:
    maps = [i for i, p in enumerate(panels) if p[0] in ("magnitude", "four")]
    tmp = [i for i, p in enumerate(panels) if p[0] == "temporal"]
    if maps:
        lo, hi = domains[maps[-1]][0], domains[maps[0]][1]
        if mode == "gradient":
            layout["coloraxis"] = {
                "colorscale": "RdBu_r",
                "cmid": 0,
                **({"cmin": -1, "cmax": 1} if normalise else {}),
                "colorbar": _colorbar("value" + (" (scaled)" if normalise else ""), lo, hi),
            }
        else:
            only_saliency = all(panels[i][1] == "saliency" for i in maps)
            title = "saliency" if only_saliency else "|attribution|"
            layout["coloraxis"] = {
                "colorscale": [[0, "#ffffff"], [0.15, "#fde0c5"], [0.5, "#f59e5b"], [1, "#b42318"]],
                "cmin": 0,
                **({"cmax": 1} if normalise else {}),
                "colorbar": _colorbar(title + (" (scaled)" if normalise else ""), lo, hi),
            }
    if tmp:
        lo, hi = domains[tmp[0]]
        layout["coloraxis2"] = {
            "colorscale": "RdBu_r",
            "cmin": 0,
            "cmax": 1,
            "colorbar": _colorbar("P(bound)", lo, hi),
        }


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


def explanation_table(explanations: dict, hits: pd.DataFrame | None = None) -> pd.DataFrame:
    """The values behind :func:`explanation_figure`, one row per position (for the CSV download).

    Columns: ``position`` (1-based), ``base``, then for every architecture ``<arch>_score``
    (the predicted probability, repeated), ``<arch>_saliency``, ``<arch>_gradient_A`` .. ``_T``,
    ``<arch>_<method>_A`` .. ``_T`` for every other attribution method shown,
    ``<arch>_forward``, ``<arch>_backward`` where available; with ``hits``, ``hits`` (the hit
    motifs covering each position, ``;``-separated, with their strand).
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
        for m, value in (ex.attributions or {}).items():
            for i, b in enumerate("ACGT"):
                table[f"{arch}_{m}_{b}"] = np.asarray(value[i], dtype=float)
        if ex.forward is not None:
            table[f"{arch}_forward"] = np.asarray(ex.forward, dtype=float)
        if ex.backward is not None:
            table[f"{arch}_backward"] = np.asarray(ex.backward, dtype=float)
    if hits is not None:
        cover = [[] for _ in seq]
        for r in hits.itertuples(index=False):
            for j in range(max(int(r.start), 0), min(int(r.end), len(seq))):
                cover[j].append(f"{r.motif}({r.strand})")
        table["hits"] = [";".join(c) for c in cover]
    return pd.DataFrame(table)
