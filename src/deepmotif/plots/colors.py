"""The colours every figure shares (matplotlib here, Plotly on the dashboard): one per
architecture and one per base. Importing this module imports no plotting library."""

from __future__ import annotations

#: One colour per architecture, used by every figure, the dashboard and the static report.
ARCH_COLORS = {"cnn": "#4C78A8", "rnn": "#F58518", "cnn-rnn": "#54A24B"}
_EXTRA_COLORS = ["#B279A2", "#E45756", "#72B7B2", "#9D755D", "#BAB0AC"]
#: Letter colours of the dashboard's and the report's sequence logos.
BASE_COLORS = {"A": "#2f9e44", "C": "#1c7ed6", "G": "#f59f00", "T": "#e03131"}

__all__ = ["ARCH_COLORS", "BASE_COLORS", "arch_color"]


def arch_color(arch: str, i: int = 0) -> str:
    """The colour of an architecture (a stable fallback for unknown names)."""
    return ARCH_COLORS.get(arch, _EXTRA_COLORS[i % len(_EXTRA_COLORS)])
