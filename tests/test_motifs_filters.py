"""Filter motifs on a toy CNN whose first-layer weights are set by hand."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from deepmotif.data.encoding import one_hot
from deepmotif.errors import DeepMotifError
from deepmotif.models import build_model
from deepmotif.motifs.from_filters import filter_activations, filter_motifs
from deepmotif.motifs.pwm import normalize


def _toy_cnn():
    """Filter 0 fires (activation 1) only on an exact GATTA; filter 1 only on CCCCCC... of width 5."""
    model = build_model("cnn", widths=[5], filters=2, conv_dropout=0.0, dropout=0.0)
    conv = model.first_conv
    with torch.no_grad():
        conv.weight.fill_(-1.0)
        for f, word in enumerate(("GATTA", "CCCCC")):
            for j, c in enumerate(word):
                conv.weight[f, "ACGT".index(c), j] = 1.0
        conv.bias.fill_(-4.0)  # exact match: 5 - 4 = 1; one mismatch: 4 - 1 - 4 < 0
    return model.eval()


def _data(rng, n=40, length=30):
    def background():
        while True:
            s = "".join(rng.choice(list("ACGT"), size=length))
            if "GATTA" not in s and "CCCCC" not in s:
                return s

    pos, neg = [], []
    for i in range(n):
        s = background()
        at = 0 if i == 0 else int(rng.integers(0, length - 5 + 1))  # one site at the very start
        s = s[:at] + "GATTA" + s[at + 5 :]
        if s.count("GATTA") != 1 or "CCCCC" in s:
            s = s.replace("CCCCC", "CCACC")
        pos.append(s)
        neg.append(background())
    seqs = pos + neg
    return one_hot(seqs), np.array([1] * n + [0] * n), seqs


def test_filter_motif_is_the_planted_word():
    rng = np.random.default_rng(0)
    X, y, seqs = _data(rng)
    n_sites = sum(s.count("GATTA") for s in seqs[: int(y.sum())])
    motifs = filter_motifs(_toy_cnn(), X, y, min_sites=1, min_ic=0.5, min_length=4)
    assert [m.name for m in motifs] == ["cnn-filters-1"]  # filter 1 never fires: not reported
    m = motifs[0]
    assert m.stats["filter"] == 0
    assert m.consensus == "GATTA"
    np.testing.assert_allclose(m.pwm, normalize(one_hot("GATTA"), 0.01))
    assert m.n_sites == n_sites
    assert m.stats["fire_pos"] == 1.0 and m.stats["fire_neg"] == 0.0
    assert m.stats["auroc"] == 1.0
    assert m.stats["mean_max_pos"] == pytest.approx(1.0) and m.stats["mean_max_neg"] == 0.0
    assert m.stats["threshold"] == pytest.approx(0.5)
    assert m.source == "filters" and m.arch == "cnn"


def test_filter_activations_match_a_direct_scan():
    rng = np.random.default_rng(1)
    X, y, seqs = _data(rng, n=5)
    act = filter_activations(_toy_cnn(), X)
    assert act.shape == (10, 2, 30)
    for i, s in enumerate(seqs):
        # same padding (2): output position p looks at s[p - 2 : p + 3]
        hits = [p for p in range(30) if s[max(p - 2, 0) : p + 3] == "GATTA" and p >= 2]
        assert list(np.nonzero(act[i, 0] > 0.5)[0]) == hits


def test_filters_need_convolutions():
    rnn = build_model("rnn", hidden=4)
    X = one_hot(["ACGTACGTAC", "TTTTACGTAC"])
    with pytest.raises(DeepMotifError, match="needs convolutions, and the rnn model has none"):
        filter_motifs(rnn, X, np.array([1, 0]))
