"""Metrics against hand-computed cases, and predict's batch-size invariance."""

import numpy as np
import pytest
import torch

from deepmotif.evaluation import binary_metrics, predict
from deepmotif.models import build_model


def test_auroc_auprc_hand_computed():
    # pairs (pos, neg): (0.35 vs 0.1) win, (0.35 vs 0.4) loss, (0.8 vs both) win -> 3/4
    # ranking 0.8(+) 0.4(-) 0.35(+) 0.1(-): AP = 0.5 * 1/1 + 0.5 * 2/3
    m = binary_metrics([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    assert m["auroc"] == pytest.approx(0.75)
    assert m["auprc"] == pytest.approx(0.5 + 1 / 3)
    assert m["accuracy"] == pytest.approx(0.75)  # only the positive at 0.35 falls below 0.5
    assert (m["n"], m["n_positive"], m["n_negative"]) == (4, 2, 2)


def test_ties_count_half():
    assert binary_metrics([0, 1], [0.5, 0.5])["auroc"] == pytest.approx(0.5)


def test_single_class_is_nan():
    assert np.isnan(binary_metrics([1, 1], [0.2, 0.9])["auroc"])


@pytest.mark.parametrize("arch", ["cnn", "rnn", "cnn-rnn"])
def test_predict_batch_size_invariant(arch):
    torch.manual_seed(0)
    model = build_model(arch)
    X = (torch.rand(37, 4, 60) > 0.7).float()
    a = predict(model, X, batch_size=1, device="cpu")
    b = predict(model, X, batch_size=64, device="cpu")
    np.testing.assert_allclose(a, b, atol=1e-6)
    assert model.training  # mode restored
