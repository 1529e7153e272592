"""'deepmotif explain --method ism | integrated-gradients | deepliftshap': npz, figures, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from deepmotif.cli import main
from deepmotif.explain.deepliftshap import deep_lift_shap
from deepmotif.explain.integrated_gradients import integrated_gradients
from deepmotif.explain.ism import ism
from deepmotif.explain.registry import attribution_methods
from deepmotif.training import load_run


@pytest.fixture(scope="module")
def runs(planted_runs):
    return planted_runs


def test_registered_as_attribution_methods():
    assert {"ism", "integrated-gradients", "deepliftshap"} <= set(attribution_methods())


def _explain(run, method, out, *extra):
    return main(["explain", str(run), "--method", method, "--out", str(out), "--quiet", *extra])


def test_ism_npz_and_figures(runs, tmp_path, capsys):
    out, figs = tmp_path / "ism.npz", tmp_path / "figs"
    assert _explain(runs["cnn"], "ism", out, "--select", "0:3", "--figures", str(figs)) == 0
    model, _ = load_run(runs["cnn"])
    with np.load(out, allow_pickle=False) as z:
        assert str(z["method"]) == "ism" and len(z["ids"]) == 3
        X = _run_onehot(runs["cnn"], 3)
        ref = ism(model, X, device="cpu")
        np.testing.assert_allclose(z["delta"], ref.delta, atol=1e-6)
        np.testing.assert_allclose(z["attributions"], ref.attributions, atol=1e-6)
    assert len(list(figs.iterdir())) == 3 * 2 * 2  # heatmap and logo, PNG and SVG


def _run_onehot(run, n):
    from deepmotif.rundir import read_run_data

    return read_run_data(run).one_hot()[:n]


def test_integrated_gradients_options_and_summary(runs, tmp_path, capsys):
    out = tmp_path / "ig.npz"
    extra = ("--select", "0:4", "--baseline", "shuffle", "--steps", "8", "--n-shuffles", "2")
    assert _explain(runs["rnn"], "integrated-gradients", out, *extra, "--seed", "3") == 0
    text = capsys.readouterr().out
    assert "completeness delta" in text and "median" in text
    model, _ = load_run(runs["rnn"])
    ref = integrated_gradients(
        model,
        _run_onehot(runs["rnn"], 4),
        baseline="shuffle",
        steps=8,
        n_shuffles=2,
        random_state=3,
        device="cpu",
    )
    with np.load(out, allow_pickle=False) as z:
        np.testing.assert_allclose(z["attributions"], ref.attributions, atol=1e-6)
        np.testing.assert_allclose(z["delta"], ref.delta, atol=1e-6)


@pytest.mark.parametrize(
    ("arch", "algorithm"), [("cnn", "deeplift"), ("rnn", "expected-gradients")]
)
def test_deepliftshap_says_which_algorithm(runs, tmp_path, capsys, arch, algorithm):
    out = tmp_path / "d.npz"
    assert _explain(runs[arch], "deepliftshap", out, "--select", "0:3", "--n-shuffles", "3") == 0
    text = capsys.readouterr().out
    assert f"algorithm {algorithm}" in text and "convergence delta" in text
    model, _ = load_run(runs[arch])
    ref = deep_lift_shap(model, _run_onehot(runs[arch], 3), n_shuffles=3, device="cpu")
    with np.load(out, allow_pickle=False) as z:
        assert str(z["algorithm"]) == algorithm
        np.testing.assert_allclose(z["attributions"], ref.attributions, atol=1e-6)
        assert z["delta"].shape == (3,)


@pytest.mark.parametrize(
    ("method", "extra", "message"),
    [
        ("integrated-gradients", ["--steps", "0"], "--steps"),
        ("integrated-gradients", ["--steps", "many"], "--steps"),
        ("integrated-gradients", ["--baseline", "ones"], "--baseline"),
        ("deepliftshap", ["--n-shuffles", "-2"], "--n-shuffles"),
        ("ism", ["--baseline", "shuffle"], "--baseline does not apply to the ism method"),
        ("ism", ["--n-shuffles", "3"], "--n-shuffles does not apply"),
    ],
)
def test_bad_options_give_one_line(runs, tmp_path, capsys, method, extra, message):
    out = tmp_path / "x.npz"
    code = _explain(runs["cnn"], method, out, *extra)
    err = capsys.readouterr().err
    assert code != 0 and message in err and err.count("\n") == 1 and "Traceback" not in err
    assert not out.exists()
