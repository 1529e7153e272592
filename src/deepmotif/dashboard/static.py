"""Static images as PNG bytes for the pages and the report: sequence logos and the report's
figures. The drawing lives in :mod:`deepmotif.plots` (:mod:`~deepmotif.plots.logos`,
:mod:`~deepmotif.plots.report`); this module only renders its figures to PNG.

PNG bytes are written without the ``Software`` text chunk, and :func:`data_uri` embeds them,
so a page or report holding them makes no network request and names no web address.
"""

from __future__ import annotations

import base64
import io

import numpy as np
import pandas as pd

from deepmotif.plots.colors import ARCH_COLORS, BASE_COLORS


def png_bytes(fig, dpi: int = 110) -> bytes:
    """Render a matplotlib figure to PNG (no metadata) and close it."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    try:
        fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", metadata={"Software": None})
    finally:
        plt.close(fig)
    return buf.getvalue()


def data_uri(png: bytes) -> str:
    """``data:image/png;base64,...`` for an ``<img src>``."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def logo_png(
    pwm: np.ndarray,
    *,
    title: str | None = None,
    height: float = 1.5,
    col_width: float = 0.24,
    min_width: float = 2.4,
    dpi: int = 110,
) -> bytes:
    """A sequence logo (information content, bits) of a PWM ``(4, L)``, as PNG bytes."""
    from deepmotif.plots.logos import logo_figure

    fig = logo_figure(pwm, title=title, height=height, col_width=col_width, min_width=min_width)
    return png_bytes(fig, dpi=dpi)


def auroc_png(summary: pd.DataFrame) -> bytes:
    """Grouped bars of test AUROC per dataset and architecture, DeepBind* as black diamonds."""
    from deepmotif.plots.report import auroc_figure

    return png_bytes(auroc_figure(summary))


def curves_png(curves: dict, metrics: dict, histories: dict) -> bytes:
    """ROC, precision-recall and validation-AUROC curves of one dataset, side by side."""
    from deepmotif.plots.report import curves_figure

    return png_bytes(curves_figure(curves, metrics, histories))


def explanation_png(explanations: dict, title: str = "") -> bytes:
    """Saliency and temporal scores of every architecture (see
    :func:`deepmotif.plots.report.explanation_figure`)."""
    from deepmotif.plots.report import explanation_figure

    return png_bytes(explanation_figure(explanations, title), dpi=120)


__all__ = [
    "ARCH_COLORS",
    "BASE_COLORS",
    "auroc_png",
    "curves_png",
    "data_uri",
    "explanation_png",
    "logo_png",
    "png_bytes",
]
