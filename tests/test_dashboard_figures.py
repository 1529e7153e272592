"""Figure builders: given known inputs, the figures hold the right values (no files, no Dash)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from deepmotif.dashboard import figures
from deepmotif.dashboard.data import Explanation

SEQ = "ACGTNACGTA"


def _ex(arch, scale, score=0.8, temporal=True):
    L = len(SEQ)
    onehot = np.array([[c == b for c in SEQ] for b in "ACGT"], dtype=np.float32)
    grad = np.outer([1, -2, 3, -4], np.arange(1, L + 1)).astype(np.float32) * scale
    fwd = np.linspace(0, 1, L) if temporal else None
    bwd = np.linspace(1, 0, L) if temporal else None
    return Explanation(arch, SEQ, score, grad, np.abs(grad) * onehot, fwd, bwd, "precomputed")


def _by_name(fig, name):
    return [t for t in fig.data if t.name == name]


def test_saliency_rows_hold_the_value_at_the_base_present():
    exps = {"cnn": _ex("cnn", 1.0), "rnn": _ex("rnn", 0.5, score=None)}
    fig = figures.explanation_figure(exps, mode="saliency", normalise=True)
    (heat,) = _by_name(fig, "saliency")
    raw = np.asarray(heat.customdata, dtype=float)
    # by hand: position j (1-based) holds |g[b, j]| for the base b present; 0 at N
    rows = {"A": 1, "C": 2, "G": 3, "T": 4}
    expected = np.array(
        [rows[c] * (j + 1) if c in rows else 0 for j, c in enumerate(SEQ)], dtype=float
    )
    np.testing.assert_allclose(raw[0], expected)
    np.testing.assert_allclose(raw[1], expected * 0.5)
    np.testing.assert_allclose(np.asarray(heat.z, dtype=float)[0], expected / expected.max())
    assert list(heat.y) == ["cnn (0.80)", "rnn"]
    assert np.asarray(heat.text)[0].tolist() == list(SEQ)
    assert list(heat.x) == list(range(1, len(SEQ) + 1))


def test_saliency_without_normalising_shows_raw_values():
    fig = figures.explanation_figure({"cnn": _ex("cnn", 2.0)}, normalise=False)
    (heat,) = _by_name(fig, "saliency")
    np.testing.assert_allclose(
        np.asarray(heat.z, dtype=float), np.asarray(heat.customdata, dtype=float)
    )


def test_temporal_rows_forward_then_backward_per_arch():
    exps = {"cnn": _ex("cnn", 1.0), "rnn": _ex("rnn", 1.0)}
    fig = figures.explanation_figure(exps)
    (heat,) = _by_name(fig, "temporal")
    z = np.asarray(heat.z, dtype=float)
    assert list(heat.y) == ["cnn →", "cnn ←", "rnn →", "rnn ←"]
    np.testing.assert_allclose(z[0], np.linspace(0, 1, len(SEQ)))
    np.testing.assert_allclose(z[3], np.linspace(1, 0, len(SEQ)))
    assert fig.layout.coloraxis2.cmin == 0 and fig.layout.coloraxis2.cmax == 1
    # every panel shares the x axis (zooming one zooms all)
    assert fig.layout.xaxis.matches == "x2" and fig.layout.xaxis2.matches is None


def test_gradient_mode_one_heatmap_per_arch_with_four_rows():
    fig = figures.explanation_figure(
        {"cnn": _ex("cnn", 1.0), "rnn": _ex("rnn", 3.0)}, mode="gradient"
    )
    heat = _by_name(fig, "rnn gradient")[0]
    raw = np.asarray(heat.customdata, dtype=float)
    assert list(heat.y) == ["A", "C", "G", "T"]
    np.testing.assert_allclose(raw, _ex("rnn", 3.0).gradient)
    np.testing.assert_allclose(np.asarray(heat.z, dtype=float), raw / np.abs(raw).max())
    # the present base is written in its row only
    text = np.asarray(heat.text)
    assert text[0, 0] == "A" and text[1, 0] == "" and text[:, 4].tolist() == ["", "", "", ""]
    assert fig.layout.coloraxis.cmid == 0


def test_missing_temporal_leaves_only_saliency_and_empty_shows_problem():
    fig = figures.explanation_figure({"cnn": _ex("cnn", 1.0, temporal=False)})
    assert [t.name for t in fig.data] == ["saliency"]
    ex = Explanation("cnn", SEQ, problems=["cnn: on-demand saliency is not available"])
    fig = figures.explanation_figure({"cnn": ex})
    assert fig.layout.annotations[0].text == "cnn: on-demand saliency is not available"


def test_letters_are_dropped_for_long_sequences():
    long = Explanation("cnn", "A" * 300, 0.5, np.ones((4, 300)), np.ones((4, 300)), None, None)
    (heat,) = figures.explanation_figure({"cnn": long}).data
    assert heat.texttemplate is None


def test_explanation_table_columns_and_values():
    table = figures.explanation_table({"cnn": _ex("cnn", 1.0)})
    assert list(table.columns[:4]) == ["position", "base", "cnn_score", "cnn_saliency"]
    assert table["base"].tolist() == list(SEQ)
    assert table["cnn_gradient_C"].tolist() == [-2.0 * (j + 1) for j in range(len(SEQ))]
    assert table.loc[4, "cnn_saliency"] == 0  # N
    np.testing.assert_allclose(table["cnn_backward"], np.linspace(1, 0, len(SEQ)))


def _summary():
    return pd.DataFrame(
        {
            "dataset": ["A", "A", "B"],
            "arch": ["cnn", "rnn", "cnn"],
            "status": ["finished", "finished", "finished"],
            "auroc": [0.9, 0.8, 0.7],
            "auprc": [0.85, 0.75, 0.65],
            "deepbind_star": [0.95, 0.95, np.nan],
            "deepbind": [0.93, 0.93, np.nan],
        }
    )


def test_auroc_bars_and_deepbind_markers():
    fig = figures.auroc_figure(_summary())
    bars = {t.name: t for t in fig.data if t.type == "bar"}
    assert list(bars["cnn"].x) == ["A", "B"] and list(bars["cnn"].y) == [0.9, 0.7]
    assert bars["rnn"].y[0] == 0.8 and np.isnan(bars["rnn"].y[1])
    assert [list(c) for c in bars["cnn"].customdata] == [["A", "cnn"], ["B", "cnn"]]
    star = next(t for t in fig.data if t.name == "DeepBind* (published)")
    assert star.y[0] == 0.95 and np.isnan(star.y[1])
    auprc = figures.auroc_figure(_summary(), metric="auprc")
    assert all(t.type == "bar" for t in auprc.data)


def test_auroc_figure_without_finished_runs():
    s = _summary().assign(status="unfinished")
    fig = figures.auroc_figure(s)
    assert fig.layout.annotations[0].text == "no finished runs yet"


def test_curves_and_history():
    roc = pd.DataFrame({"fpr": [0, 0.5, 1], "tpr": [0, 0.9, 1]})
    fig = figures.curve_figure({"cnn": roc}, "roc", {"cnn": 0.875})
    assert fig.data[0].name == "cnn (0.875)" and list(fig.data[0].y) == [0, 0.9, 1]
    h = pd.DataFrame({"epoch": [1, 2], "train_loss": [0.7, 0.5], "valid_auroc": [0.6, 0.8]})
    fig = figures.history_figure({"rnn": h})
    loss, auc = fig.data
    assert list(loss.y) == [0.7, 0.5] and list(auc.y) == [0.6, 0.8]
    assert loss.xaxis == "x" and auc.xaxis == "x2"
    assert loss.line.color == figures.ARCH_COLORS["rnn"]
    assert loss.customdata is None and "learning rate" not in loss.hovertemplate
    # with history.csv's lr column, hovering shows each epoch's rate (a drop is visible there)
    fig = figures.history_figure({"rnn": h.assign(lr=[1e-2, 5e-3])})
    for trace in fig.data:
        assert list(trace.customdata) == [1e-2, 5e-3]
        assert "learning rate %{customdata:.3g}" in trace.hovertemplate


@pytest.mark.parametrize(
    "builder", [figures.history_figure, lambda d: figures.curve_figure(d, "pr")]
)
def test_empty_inputs_give_a_message(builder):
    assert builder({}).layout.annotations[0].text


def test_pwm_figure_holds_the_matrix():
    pwm = np.array([[0.7, 0.1], [0.1, 0.1], [0.1, 0.7], [0.1, 0.1]])
    (heat,) = figures.pwm_figure(pwm, title="t").data
    np.testing.assert_allclose(np.asarray(heat.z, dtype=float), pwm)
    assert list(heat.y) == ["A", "C", "G", "T"] and list(heat.x) == [1, 2]
