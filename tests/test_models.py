"""Models: shapes for any length, hand-computed toy outputs, an independent LSTM reference."""

import numpy as np
import pytest
import torch

from deepmotif.data.encoding import one_hot
from deepmotif.errors import DeepMotifError
from deepmotif.models import build_model, resolve_model_config


@pytest.mark.parametrize("arch", ["cnn", "rnn", "cnn-rnn"])
@pytest.mark.parametrize("length", [1, 2, 9, 50, 101, 203])
def test_forward_shape_any_length(arch, length):
    torch.manual_seed(0)
    model = build_model(arch).eval()
    out = model(torch.rand(5, 4, length))
    assert out.shape == (5,)
    assert torch.isfinite(out).all()


def test_paper_defaults():
    cnn = build_model("cnn")
    convs = [m for m in cnn.trunk.convs if isinstance(m, torch.nn.Conv1d)]
    assert [c.kernel_size[0] for c in convs] == [9, 5, 3]
    assert [c.out_channels for c in convs] == [128, 128, 128]
    rnn = build_model("rnn")
    assert rnn.trunk.lstm.hidden_size == 32 and rnn.trunk.lstm.bidirectional
    crnn = build_model("cnn-rnn")
    assert crnn.trunk.conv.kernel_size == (9,) and crnn.trunk.conv.out_channels == 128
    assert crnn.trunk.lstm.input_size == 128
    # the three share one head type and differ only in their trunk
    assert type(cnn.head) is type(rnn.head) is type(crnn.head)


def test_conv_dropout_defaults():
    """The CNN-RNN drops its convolution's features (0.2, chosen on simulated validation
    AUROC); the CNN does not."""
    assert build_model("cnn-rnn").trunk.dropout.p == 0.2
    cnn_drops = [m.p for m in build_model("cnn").trunk.modules() if isinstance(m, torch.nn.Dropout)]
    assert cnn_drops and set(cnn_drops) == {0.0}


def test_docs_table_lists_the_defaults():
    """docs/training.md's table of model settings is MODEL_DEFAULTS, value for value."""
    from pathlib import Path

    from deepmotif.models import MODEL_DEFAULTS

    text = (Path(__file__).resolve().parents[1] / "docs" / "training.md").read_text()
    for arch, defaults in MODEL_DEFAULTS.items():
        row = next(line for line in text.splitlines() if line.startswith(f"| `{arch}` | `"))
        documented = {}
        for item in row.split("|")[2].split(", `"):
            key, value = item.strip().strip("`").split("` ", 1)
            documented[key] = value.strip()
        shown = {
            k: str(v).lower() if isinstance(v, bool) else ("none" if v is None else str(v))
            for k, v in defaults.items()
        }
        assert documented == shown, arch


def test_unknown_setting_and_arch():
    with pytest.raises(DeepMotifError, match="unknown model setting 'hiden'"):
        resolve_model_config("rnn", {"hiden": 3})
    with pytest.raises(DeepMotifError, match="unknown architecture"):
        build_model("transformer")


def test_toy_cnn_known_output():
    """One width-3 filter that scores the word ACG: output = max over positions of relu(match) * w + b."""
    model = build_model("cnn", widths=[3], filters=1, conv_dropout=0.0, dropout=0.0).eval()
    conv = model.trunk.first_conv
    with torch.no_grad():
        conv.weight.zero_()
        conv.weight[0, 0, 0] = 1.0  # A at offset 0
        conv.weight[0, 1, 1] = 1.0  # C at offset 1
        conv.weight[0, 2, 2] = 1.0  # G at offset 2
        conv.bias.fill_(-1.0)
        model.head.linear.weight.fill_(2.0)
        model.head.linear.bias.fill_(0.5)
    X = torch.from_numpy(one_hot(["TTACGTT", "TTTTTTT", "ACTTTTT"]))
    # ACG present: 3 matches - 1 = 2 -> 2*2 + 0.5; none: relu(<=0)=0 -> 0.5; AC only: 2-1 = 1 -> 2.5
    np.testing.assert_allclose(model(X).detach().numpy(), [4.5, 0.5, 2.5], atol=1e-6)


def _np_lstm(x, W_ih, W_hh, b_ih, b_hh):
    """A plain numpy LSTM (gate order i, f, g, o as in torch): x (L, C) -> outputs (L, H)."""
    H = W_hh.shape[1]
    h, c, outs = np.zeros(H), np.zeros(H), []
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    for t in range(len(x)):
        z = W_ih @ x[t] + b_ih + W_hh @ h + b_hh
        i, f, g, o = sig(z[:H]), sig(z[H : 2 * H]), np.tanh(z[2 * H : 3 * H]), sig(z[3 * H :])
        c = f * c + i * g
        h = o * np.tanh(c)
        outs.append(h)
    return np.array(outs)


@pytest.mark.parametrize("arch", ["rnn", "cnn-rnn"])
def test_bilstm_matches_numpy_reference(arch):
    torch.manual_seed(1)
    model = build_model(
        arch, hidden=5, dropout=0.0, **({"filters": 6} if arch == "cnn-rnn" else {})
    ).eval()
    X = torch.from_numpy(one_hot(["ACGTTGCAAGT", "GGGCCCATATN"]))
    lstm = model.trunk.lstm
    p = {k: v.detach().double().numpy() for k, v in lstm.named_parameters()}
    F = model.trunk.features(X).detach().double().numpy()  # (n, C, L)
    expected = []
    for f in F:
        seq = f.T
        fwd = _np_lstm(seq, p["weight_ih_l0"], p["weight_hh_l0"], p["bias_ih_l0"], p["bias_hh_l0"])
        bwd = _np_lstm(
            seq[::-1],
            p["weight_ih_l0_reverse"],
            p["weight_hh_l0_reverse"],
            p["bias_ih_l0_reverse"],
            p["bias_hh_l0_reverse"],
        )[::-1]
        h = np.concatenate([fwd.mean(0), bwd.mean(0)])
        w = model.head.linear.weight.detach().double().numpy()[0]
        expected.append(h @ w + model.head.linear.bias.item())
    np.testing.assert_allclose(model(X).detach().double().numpy(), expected, atol=1e-5)


@pytest.mark.parametrize("arch", ["rnn", "cnn-rnn"])
def test_pool_recurrent_lengths_equal_truncation(arch):
    torch.manual_seed(2)
    model = build_model(arch).eval()
    X = torch.from_numpy(one_hot(["ACGTAGGCTAGCTAGGATCGA"] * 3))
    F = model.trunk.features(X)
    lengths = torch.tensor([21, 7, 1])
    pooled = model.trunk.pool_recurrent(F, lengths)
    for i, n in enumerate(lengths.tolist()):
        ref = model.trunk.pool_recurrent(model.trunk.features(X[i : i + 1, :, :n]))
        # the CNN-RNN's convolution sees the whole sequence in the batched call, so compare on features
        ref_f = model.trunk.pool_recurrent(F[i : i + 1, :, :n])
        torch.testing.assert_close(pooled[i], ref_f[0], atol=1e-6, rtol=1e-5)
        if arch == "rnn":
            torch.testing.assert_close(pooled[i], ref[0], atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("arch, inputs", [("rnn", 4), ("cnn-rnn", 128)])
def test_lstm_starts_as_the_reference_lstm(arch, inputs):
    """Forget-gate bias 1, all other biases 0, weights N(0, 1/sqrt(inputs + hidden)) (the RNN's
    default input weights are N(0, 1) instead; ``input_std=None`` gives the reference's)."""
    torch.manual_seed(3)
    lstm = build_model(arch, input_std=None).trunk.lstm
    H = 32
    for suffix in ("_l0", "_l0_reverse"):
        b_ih = getattr(lstm, "bias_ih" + suffix).detach()
        b_hh = getattr(lstm, "bias_hh" + suffix).detach()
        expected = torch.zeros(4 * H)
        expected[H : 2 * H] = 1.0  # gate order: input, forget, cell, output
        assert torch.equal(b_ih, expected) and torch.equal(b_hh, torch.zeros(4 * H))
        w = torch.cat(
            [
                getattr(lstm, "weight_ih" + suffix).flatten(),
                getattr(lstm, "weight_hh" + suffix).flatten(),
            ]
        )
        assert abs(w.mean().item()) < 0.01
        # 4H * (inputs + H) draws: the sample std is within a few percent of the target
        assert w.std().item() == pytest.approx(1 / np.sqrt(inputs + H), rel=0.05)


def test_dropout_placement():
    """CNN: dropout on the pooled features. RNN / CNN-RNN: on every LSTM output, before the mean."""
    assert build_model("cnn").head.dropout.p == 0.5
    for arch in ("rnn", "cnn-rnn"):
        model = build_model(arch, dropout=0.3)
        assert model.head.dropout.p == 0.0 and model.trunk.out_dropout.p == 0.3


def test_recurrent_dropout_is_applied_before_the_mean():
    """In training mode the pooled features equal the mean of the dropped-out LSTM outputs."""
    model = build_model("rnn").train()
    X = torch.from_numpy(one_hot(["ACGTACGTAC", "TTTTGGGGCC"]))
    torch.manual_seed(7)
    pooled = model.trunk(X)
    out, _ = model.trunk.lstm(X.transpose(1, 2))
    torch.manual_seed(7)
    mask = torch.nn.functional.dropout(torch.ones_like(out), 0.5, training=True)
    torch.testing.assert_close(pooled, (out * mask).mean(dim=1))
    # and a fresh draw differs: the noise is there in training mode
    assert not torch.allclose(model.trunk(X), pooled)


@pytest.mark.parametrize("arch", ["rnn", "cnn-rnn"])
def test_max_pool_option_matches_truncation(arch):
    """pool='max': the per-direction maximum over time, each row read up to its own length."""
    torch.manual_seed(4)
    model = build_model(arch, pool="max", layers=2).eval()
    X = torch.from_numpy(one_hot(["ACGTAGGCTAGCTAGGATCGA"] * 3))
    F = model.trunk.features(X)
    out, _ = model.trunk.lstm(F.transpose(1, 2))
    torch.testing.assert_close(model.trunk.pool_recurrent(F), out.amax(dim=1))
    lengths = torch.tensor([21, 7, 1])
    pooled = model.trunk.pool_recurrent(F, lengths)
    for i, n in enumerate(lengths.tolist()):
        ref = model.trunk.pool_recurrent(F[i : i + 1, :, :n])
        torch.testing.assert_close(pooled[i], ref[0], atol=1e-6, rtol=1e-5)


def test_recurrent_init_options():
    torch.manual_seed(5)
    assert build_model("rnn").trunk.lstm.weight_ih_l0.std().item() == pytest.approx(1, rel=0.15)
    lstm = build_model("rnn", recurrent_init="orthogonal", input_std=1.0).trunk.lstm
    H = 32
    w_hh = lstm.weight_hh_l0.detach()
    for k in range(4):  # every gate's block is orthogonal
        block = w_hh[k * H : (k + 1) * H]
        torch.testing.assert_close(block @ block.T, torch.eye(H), atol=1e-5, rtol=0)
    assert lstm.weight_ih_l0.std().item() == pytest.approx(1.0, rel=0.15)
    assert lstm.bias_ih_l0[H : 2 * H].eq(1).all()
    cnn_rnn = build_model("cnn-rnn", conv_norm=True).eval()
    assert isinstance(cnn_rnn.trunk.norm, torch.nn.BatchNorm1d)
    X = torch.from_numpy(one_hot(["ACGTAGGCTAGCTAGGATCGA"]))
    # in evaluation mode a fresh batch norm is the identity (running mean 0, variance 1)
    plain = build_model("cnn-rnn", conv_norm=False).eval()
    plain.load_state_dict(
        {k: v for k, v in cnn_rnn.state_dict().items() if not k.startswith("trunk.norm")}
    )
    expected = plain.trunk.conv(X).relu()
    torch.testing.assert_close(
        cnn_rnn.trunk.features(X), expected * (1 / (1 + 1e-5) ** 0.5), atol=1e-6, rtol=1e-5
    )


def test_runs_written_before_the_new_settings_still_load(tmp_path):
    """A run directory whose config lacks conv_norm / input_std loads as it was built."""
    import json

    from safetensors.torch import save_file

    from deepmotif.rundir import load_run

    old = build_model("cnn-rnn", conv_norm=False)
    cfg = {k: v for k, v in old.config.items() if k not in ("conv_norm", "input_std")}
    (tmp_path / "config.json").write_text(json.dumps({"arch": "cnn-rnn", "model": cfg, "data": {}}))
    (tmp_path / "metrics.json").write_text(json.dumps({"test": {"auroc": 0.5}}))
    save_file(
        {k: v.contiguous() for k, v in old.state_dict().items()}, tmp_path / "model.safetensors"
    )
    model, _ = load_run(tmp_path)
    assert isinstance(model.trunk.norm, torch.nn.Identity)
    X = torch.from_numpy(one_hot(["ACGTAGGCTAGCTAGGATCGA"]))
    torch.testing.assert_close(model(X), old.eval()(X))
    # a new run builds the normalisation
    assert isinstance(build_model("cnn-rnn").trunk.norm, torch.nn.BatchNorm1d)
