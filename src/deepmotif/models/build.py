"""Building models from an architecture name and hyperparameters (one source of defaults)."""

from __future__ import annotations

from deepmotif.archs import ARCHS
from deepmotif.errors import DeepMotifError
from deepmotif.limits import check_memory
from deepmotif.models.heads import ClassificationHead
from deepmotif.models.network import DeepMotifModel
from deepmotif.models.trunks import BiLSTMTrunk, CNNTrunk, ConvBiLSTMTrunk

#: Defaults from Lanchantin et al. (PSB 2017). The RNN's LSTM reads one-hot bases, so its
#: input weights start at N(0, 1) (``input_std``): a base then moves the gates by about one
#: unit, where the reference's N(0, 1/sqrt(4 + 32)) left the LSTM in its linear range and the
#: mean over time close to the base composition (docs/training.md). The CNN-RNN batch-normalises
#: its convolution's output (``conv_norm``) so that the LSTM's 128 inputs start on a unit scale.
#: ``dropout`` (0.5, the paper's) is the head's;
#: ``conv_dropout`` is an extra dropout after each pooled convolution block. The CNN's is off: at
#: 0.5 it slowed learning several-fold (simulated CTCF, 6 epochs: test AUROC 0.79 vs 0.95). The
#: CNN-RNN's is 0.2: it overfitted without (training AUROC above the CNN's, validation below),
#: and 0.2 raised its mean validation AUROC on seven simulated tasks at seeds 1-3 from 0.926 to
#: 0.935 (docs/training.md, "Where the CNN-RNN still trails the CNN: it overfits").
MODEL_DEFAULTS: dict[str, dict] = {
    "cnn": {"widths": [9, 5, 3], "filters": 128, "pool": 2, "conv_dropout": 0.0, "dropout": 0.5},
    "rnn": {
        "hidden": 32,
        "dropout": 0.5,
        "pool": "mean",
        "layers": 1,
        "recurrent_init": "normal",
        "input_std": 1.0,
    },
    "cnn-rnn": {
        "width": 9,
        "filters": 128,
        "hidden": 32,
        "conv_dropout": 0.2,
        "dropout": 0.5,
        "conv_norm": True,
        "pool": "mean",
        "layers": 1,
        "recurrent_init": "normal",
        "input_std": 1.0,
    },
}


#: Model settings that a run directory written before the setting existed was built with
#: (:func:`deepmotif.rundir.load_run` fills them in, so such runs still load).
LEGACY_MODEL_DEFAULTS: dict[str, dict] = {
    "rnn": {"input_std": None},
    "cnn-rnn": {"conv_norm": False},
}


def resolve_model_config(arch: str, overrides: dict | None = None) -> dict:
    """Merge ``overrides`` into the defaults of ``arch``; unknown keys are an error."""
    if arch not in MODEL_DEFAULTS:
        raise DeepMotifError(f"unknown architecture {arch!r} (expected one of {', '.join(ARCHS)})")
    config = dict(MODEL_DEFAULTS[arch])
    for key, value in (overrides or {}).items():
        if key not in config:
            raise DeepMotifError(
                f"unknown model setting {key!r} for {arch} (expected one of {', '.join(sorted(config))})"
            )
        config[key] = value
    for key, value in config.items():
        _check_setting(arch, key, value)
    return config


def _check_setting(arch: str, key: str, value) -> None:
    """Type and range of one model setting (ints >= 1, dropouts in [0, 1), widths a list,
    the recurrent options their choices)."""

    def whole(v) -> bool:
        return isinstance(v, int) and not isinstance(v, bool) and v >= 1

    if key == "widths":
        ok = isinstance(value, list) and len(value) > 0 and all(whole(v) for v in value)
        expected = "a non-empty list of whole numbers of at least 1"
    elif key in ("dropout", "conv_dropout"):
        ok = isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value < 1
        expected = "a number in [0, 1)"
    elif key == "pool" and arch != "cnn":  # pooling over time; the CNN's is a window size
        ok = value in ("mean", "max")
        expected = "'mean' or 'max'"
    elif key == "recurrent_init":
        ok = value in ("normal", "orthogonal")
        expected = "'normal' or 'orthogonal'"
    elif key == "input_std":
        number = isinstance(value, int | float) and not isinstance(value, bool)
        ok = value is None or (number and 0 < value < float("inf"))
        expected = "a positive number (or null: PyTorch's own initialisation)"
    elif key == "conv_norm":
        ok = isinstance(value, bool)
        expected = "true or false"
    else:
        ok = whole(value)
        expected = "a whole number of at least 1"
    if not ok:
        raise DeepMotifError(f"model setting {key!r} of {arch} must be {expected}, got {value!r}")


def check_model_memory(arch: str, config: dict) -> None:
    """Refuse a model whose weights, gradients and optimiser state (float32) would not fit."""
    n_params = parameter_count(arch, config)
    check_memory(16 * n_params, f"a {arch} model of {n_params:,} parameters")


def parameter_count(arch: str, config: dict) -> int:
    """How many parameters :func:`build_model` would create (without creating them)."""
    c = resolve_model_config(arch, config)
    if arch == "cnn":
        n, c_in = 0, 4
        for w in c["widths"]:
            n += c_in * c["filters"] * w + c["filters"]
            c_in = c["filters"]
        return n + c_in + 1
    lstm_in = 4
    n = 0
    if arch == "cnn-rnn":
        n += 4 * c["filters"] * c["width"] + c["filters"]
        n += 2 * c["filters"] if c.get("conv_norm") else 0  # batch norm's scale and shift
        lstm_in = c["filters"]
    h = c["hidden"]
    for layer in range(c.get("layers", 1)):  # later layers read both directions' outputs
        n += 2 * 4 * h * ((lstm_in if layer == 0 else 2 * h) + h + 2)
    return n + 2 * h + 1


def build_model(arch: str = "cnn", **hparams) -> DeepMotifModel:
    """Build an untrained model.

    Parameters
    ----------
    arch : {"cnn", "rnn", "cnn-rnn"}
    **hparams
        Overrides of :data:`MODEL_DEFAULTS` for that architecture.

    Returns
    -------
    DeepMotifModel
        Maps ``X`` of shape (n, 4, length) to logits of shape (n,).
    """
    c = resolve_model_config(arch, hparams)
    check_model_memory(arch, c)
    try:
        if arch == "cnn":
            trunk = CNNTrunk(c["widths"], c["filters"], c["pool"], c["conv_dropout"])
        else:
            lstm = {k: c[k] for k in ("pool", "layers", "recurrent_init", "input_std")}
            if arch == "rnn":
                trunk = BiLSTMTrunk(4, c["hidden"], c["dropout"], **lstm)
            else:
                trunk = ConvBiLSTMTrunk(
                    c["width"],
                    c["filters"],
                    c["hidden"],
                    c["conv_dropout"],
                    c["dropout"],
                    conv_norm=c["conv_norm"],
                    **lstm,
                )
    except (TypeError, ValueError) as exc:
        raise DeepMotifError(f"invalid model settings for {arch}: {exc}") from exc
    # The recurrent trunks apply ``dropout`` to the LSTM outputs before the mean; the CNN's
    # head applies it to the pooled features.
    head = ClassificationHead(trunk.out_features, c["dropout"] if arch == "cnn" else 0.0)
    return DeepMotifModel(arch, trunk, head, c)
