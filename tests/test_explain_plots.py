"""Explanation figures: what is drawn where (letters, colour scales, information content)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

from deepmotif.plots.curves import save_figure
from deepmotif.plots.explain import (
    architecture_panel,
    information_heights,
    optimization_logo,
    saliency_heatmap,
    saliency_logo,
    temporal_heatmap,
)

SEQ = "ACGTNACGGT"


def tick_letters(ax) -> str:
    return "".join(t.get_text() for t in ax.get_xticklabels())


def test_saliency_heatmap_letters_values_and_colour_bar():
    values = np.arange(40, dtype=float).reshape(4, 10) / 10
    fig = saliency_heatmap(values, SEQ.lower(), title="t")
    ax, cbar_ax = fig.axes
    assert tick_letters(ax) == SEQ
    np.testing.assert_allclose(ax.images[0].get_array(), values)
    assert ax.images[0].get_clim() == (0.0, 3.9)  # non-negative: a sequential scale from 0
    assert [t.get_text() for t in ax.get_yticklabels()] == list("ACGT")
    signed = saliency_heatmap(values - 2, SEQ)
    lo, hi = signed.axes[0].images[0].get_clim()
    assert lo == -hi == -2.0  # signed: symmetric around 0
    plt.close("all")


def test_saliency_heatmap_rejects_mismatched_sequence():
    with pytest.raises(ValueError, match="10 positions"):
        saliency_heatmap(np.zeros((4, 10)), "ACGT")
    with pytest.raises(ValueError, match=r"shape \(4, length\)"):
        saliency_heatmap(np.zeros((3, 10)))


def test_saliency_logo_heights_are_the_attributions():
    values = np.zeros((4, 10))
    values[0, 0], values[3, 3] = 0.7, -0.4
    fig = saliency_logo(values, SEQ)
    ax = fig.axes[0]
    assert tick_letters(ax) == SEQ
    lo, hi = ax.get_ylim()
    assert lo <= -0.4 and hi >= 0.7
    plt.close(fig)


def test_temporal_heatmap_rows_and_diverging_scale():
    fwd, bwd = np.linspace(0, 1, 10), np.linspace(1, 0, 10)
    fig = temporal_heatmap(fwd, bwd, SEQ)
    ax = fig.axes[0]
    img = ax.images[0]
    np.testing.assert_allclose(img.get_array(), np.vstack([fwd, bwd]))
    assert img.norm.vcenter == 0.5 and img.norm.vmin == 0 and img.norm.vmax == 1
    assert [t.get_text() for t in ax.get_yticklabels()] == ["forward", "backward"]
    assert tick_letters(ax) == SEQ
    plt.close(fig)
    with pytest.raises(ValueError, match="differ"):
        temporal_heatmap(fwd, bwd[:5])


def test_optimization_logo_is_information_content(tmp_path):
    pwm = np.array([[1.0, 0.25, 0.5], [0.0, 0.25, 0.5], [0.0, 0.25, 0.0], [0.0, 0.25, 0.0]])
    np.testing.assert_allclose(
        information_heights(pwm), [[2, 0, 0.5], [0, 0, 0.5], [0, 0, 0], [0, 0, 0]], atol=1e-9
    )
    fig = optimization_logo(pwm)
    assert fig.axes[0].get_ylim() == (0, 2)
    written = save_figure(fig, tmp_path / "logo", formats=("png", "svg"))
    assert (
        all((tmp_path / f"logo.{ext}").stat().st_size > 1000 for ext in ("png", "svg"))
        and len(written) == 2
    )


def test_architecture_panel_layout():
    rng = np.random.default_rng(0)
    panels = {
        arch: {
            "saliency": rng.random((4, 10)),
            "forward": rng.random(10),
            "backward": rng.random(10),
        }
        for arch in ("cnn-rnn", "cnn", "rnn")
    }
    fig = architecture_panel(SEQ, panels, title="one sequence")
    main_axes = [ax for ax in fig.axes if ax.images]
    assert len(main_axes) == 6  # per architecture: saliency, then temporal
    assert [ax.get_ylabel() for ax in main_axes[::2]] == ["cnn", "rnn", "cnn-rnn"]
    assert all(tick_letters(ax) == SEQ for ax in main_axes)
    np.testing.assert_allclose(main_axes[1].images[0].get_array()[0], panels["cnn"]["forward"])
    plt.close(fig)
    with pytest.raises(ValueError, match="at least one"):
        architecture_panel(SEQ, {"cnn": {}})


def test_long_sequences_get_numbered_ticks():
    fig = saliency_heatmap(np.zeros((4, 500)), "A" * 500)
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert labels[:3] == ["0", "50", "100"]
    plt.close(fig)
