"""Training settings: one source of defaults, a config-file merge, and validation."""

from __future__ import annotations

import json
import os

from deepmotif.errors import DeepMotifError, check_positive_int
from deepmotif.training.schedule import SCHEDULES

#: Every training setting and its default. ``dtype="auto"`` trains under bfloat16 autocast on
#: CPU (evaluation is always float32) and float32 elsewhere. ``threads="auto"`` trains the
#: recurrent models with one intra-op thread on CPU (see ``deepmotif._device.training_threads``).
#: ``"auto"`` for ``epochs``, ``batch_size``, ``lr``, ``weight_decay``, ``lr_schedule``,
#: ``warmup_epochs``, ``grad_clip``, ``min_epochs``, ``plateau_epochs``, ``lr_drops`` and
#: ``drop_rewind`` is the architecture's value in :data:`AUTO`. ``drop_rewind``: each drop of
#: ``lr_drops`` also goes back to the best epoch's weights and optimiser state, so the lower
#: rate starts from the best model rather than from where the run had drifted or collapsed.
TRAIN_DEFAULTS: dict = {
    "epochs": "auto",
    "batch_size": "auto",
    "lr": "auto",
    "weight_decay": "auto",
    "lr_schedule": "auto",
    "lr_decay": 0.95,
    "warmup_epochs": "auto",
    "grad_clip": "auto",
    "patience": 5,
    "min_epochs": "auto",
    "plateau_epochs": "auto",
    "lr_drops": "auto",
    "drop_rewind": "auto",
    "rc_augment": True,
    "valid_fraction": 0.1,
    "test_fraction": 0.1,
    "seed": 0,
    "dtype": "auto",
    "threads": "auto",
}


#: What ``"auto"`` means per architecture. The CNN keeps Adam at 1e-3 with a per-epoch
#: exponential decay and plain patience. The recurrent models (peak rate 1e-2, the Deep Motif
#: Dashboard reference's) warm up over one epoch and then follow a cosine decay, run at least
#: ``min_epochs`` epochs, and count no patience while their validation AUROC is still at chance
#: before epoch ``plateau_epochs``. The CNN-RNN adds an L2 penalty (Adam ``weight_decay``
#: 1e-4): without it, it overfitted the simulated grammars (training loss falling, validation
#: AUROC flat near 0.77-0.79 while the CNN reached 0.93). The RNN clips its gradient norm at 1
#: (5 for the others): with bf16 autocast it raised the mean validation AUROC over seven
#: simulated tasks and three seeds from 0.863 to 0.882 and the lowest test AUROC from 0.57 to
#: 0.73. The recurrent models may train 60 epochs (30 for the CNN): the cosine schedule stretched
#: over 60 epochs, ended by early stopping as before, raised the mean validation AUROC over seven
#: simulated tasks (docs/training.md, "The RNN's epoch budget", "The CNN-RNN's budget"). When
#: patience would end a recurrent run whose rate is still above half its base, the rate is halved
#: instead, up to twice (``lr_drops``; docs/training.md, "Runs that stall above chance"); the
#: RNN's drops also go back to its best epoch (``drop_rewind``): a run that collapsed at its peak
#: rate then goes on from its best weights, not from the collapse (docs/training.md, "Going back
#: to the best epoch at a drop"). Chosen on simulated tasks and validation splits
#: (docs/training.md, benchmarks/bench_recurrent.py).
AUTO: dict[str, dict] = {
    "epochs": {"cnn": 30, "rnn": 60, "cnn-rnn": 60},
    "batch_size": {"cnn": 256, "rnn": 128, "cnn-rnn": 128},
    "lr": {"cnn": 1e-3, "rnn": 1e-2, "cnn-rnn": 1e-2},
    "weight_decay": {"cnn": 0.0, "rnn": 0.0, "cnn-rnn": 1e-4},
    "lr_schedule": {"cnn": "exponential", "rnn": "cosine", "cnn-rnn": "cosine"},
    "warmup_epochs": {"cnn": 0.0, "rnn": 1.0, "cnn-rnn": 1.0},
    "grad_clip": {"cnn": 5.0, "rnn": 1.0, "cnn-rnn": 5.0},
    "min_epochs": {"cnn": 0, "rnn": 10, "cnn-rnn": 10},
    "plateau_epochs": {"cnn": 0, "rnn": 15, "cnn-rnn": 15},
    "lr_drops": {"cnn": 0, "rnn": 2, "cnn-rnn": 2},
    "drop_rewind": {"cnn": False, "rnn": True, "cnn-rnn": False},
}

#: Settings added after runs were already being made, with the value a run made before had in
#: effect (resuming such a run compares against it).
ADDED_SETTINGS: dict = {"lr_drops": 0, "drop_rewind": False}


def check_resumable(saved: dict, resolved: dict, out) -> None:
    """Refuse to resume the run in ``out`` (its ``config.json``: ``saved``) under settings
    ``resolved`` that differ from it, naming the settings that differ; a setting added since
    the run was made counts at its :data:`ADDED_SETTINGS` value."""
    if isinstance(saved.get("training"), dict):
        saved = {**saved, "training": {**ADDED_SETTINGS, **saved["training"]}}
    for key in ("arch", "model", "training"):
        was, now = saved.get(key), resolved[key]
        if was == now:
            continue
        which = ""
        if isinstance(was, dict) and isinstance(now, dict):
            diff = [
                f"{k}: {was.get(k)!r} in the run, {now.get(k)!r} now"
                for k in sorted(set(was) | set(now)) if was.get(k) != now.get(k)
            ]  # fmt: skip
            which = f" ({'; '.join(diff)})"
        raise DeepMotifError(
            f"--resume: the {key} settings differ from the run in {out}{which}; resume with the "
            "same command that started it, setting any default that changed since in a --config "
            "file"
        )
    before, now = saved.get("autocast", resolved["autocast"]), resolved["autocast"]
    if before != now:  # e.g. a default precision that changed since the run started
        raise DeepMotifError(
            f"--resume: the run in {out} trained under {before} autocast and this command "
            f"would go on under {now}; resume it with the deepmotif version that started it, "
            "or start again with --force"
        )


#: The learning rate ``lr="auto"`` gives each architecture.
AUTO_LR: dict[str, float] = AUTO["lr"]


def resolve_auto(config: dict, arch: str) -> dict:
    """``config`` with every ``"auto"`` of :data:`AUTO` replaced by the value for ``arch``
    (``warmup_epochs`` at most a quarter of ``epochs``), then validated (a ``warmup_epochs``
    below ``epochs``)."""
    if config.get("epochs") == "auto":  # first: the warm-up below depends on it
        config = {**config, "epochs": AUTO["epochs"][arch]}
    if config.get("warmup_epochs") == "auto":  # a short run warms up over a quarter of it
        config = {**config, "warmup_epochs": min(AUTO["warmup_epochs"][arch], config["epochs"] / 4)}
    config = {k: (AUTO[k][arch] if k in AUTO and v == "auto" else v) for k, v in config.items()}
    w = config["warmup_epochs"]
    if isinstance(w, bool) or not isinstance(w, int | float) or not 0 <= w < config["epochs"]:
        raise DeepMotifError(
            f"warmup_epochs must be a number in [0, epochs={config['epochs']}), got {w!r}"
        )
    return config


def resolve_lr(config: dict, arch: str) -> dict:
    """``config`` with its ``"auto"`` settings resolved for ``arch`` (see :func:`resolve_auto`)."""
    return resolve_auto(config, arch)


def load_config_file(path: str | os.PathLike) -> dict:
    """Read a JSON or TOML config file: training keys, ``arch`` and a ``model`` table."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise DeepMotifError(f"{path}: config file not found")
    try:
        if path.endswith(".toml"):
            try:
                import tomllib
            except ImportError:  # Python 3.10
                raise DeepMotifError(
                    f"{path}: TOML config files need Python 3.11+; use JSON"
                ) from None

            with open(path, "rb") as fh:
                data = tomllib.load(fh)
        else:
            with open(path, encoding="utf-8") as fh:
                data = json.load(fh)
    except json.JSONDecodeError as exc:
        raise DeepMotifError(f"line {exc.lineno} of {path}: not valid JSON ({exc.msg})") from exc
    except (ValueError, UnicodeDecodeError) as exc:  # tomllib.TOMLDecodeError is a ValueError
        raise DeepMotifError(f"{path}: not a valid config file ({exc})") from exc
    if not isinstance(data, dict):
        raise DeepMotifError(f"{path}: expected a JSON object / TOML table at the top")
    allowed = set(TRAIN_DEFAULTS) | {"arch", "model"}
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise DeepMotifError(
            f"{path}: unknown config key {unknown[0]!r} (expected one of {', '.join(sorted(allowed))})"
        )
    if "model" in data and not isinstance(data["model"], dict):
        raise DeepMotifError(f"{path}: 'model' must be a table of model settings")
    return data


def resolve_train_config(overrides: dict | None = None) -> dict:
    """Merge ``overrides`` into :data:`TRAIN_DEFAULTS` and validate every value."""
    config = dict(TRAIN_DEFAULTS)
    for key, value in (overrides or {}).items():
        if key not in config:
            raise DeepMotifError(f"unknown training setting {key!r}")
        if value is not None:
            config[key] = value
    if config["epochs"] != "auto":
        config["epochs"] = check_positive_int("epochs", config["epochs"])
    if config["batch_size"] != "auto":
        config["batch_size"] = check_positive_int("batch_size", config["batch_size"])
    config["patience"] = check_positive_int("patience", config["patience"])
    for key in ("min_epochs", "plateau_epochs"):
        if config[key] != "auto":
            config[key] = check_positive_int(key, config[key], allow_zero=True)
    if config["lr_drops"] != "auto":
        config["lr_drops"] = check_positive_int("lr_drops", config["lr_drops"], allow_zero=True)
    if config["lr_schedule"] not in (*SCHEDULES, "auto"):
        raise DeepMotifError(
            f"lr_schedule must be auto or one of {', '.join(SCHEDULES)}, "
            f"got {config['lr_schedule']!r}"
        )
    w = config["warmup_epochs"]
    if w != "auto" and (isinstance(w, bool) or not isinstance(w, int | float) or w < 0):
        raise DeepMotifError(f"warmup_epochs must be auto or a number >= 0, got {w!r}")
    config["seed"] = check_positive_int("seed", config["seed"], allow_zero=True)
    for key in ("lr", "grad_clip"):
        if config[key] == "auto":
            continue
        if not isinstance(config[key], int | float) or not config[key] > 0:
            raise DeepMotifError(f"{key} must be a number above 0, got {config[key]!r}")
    if not 0 < float(config["lr_decay"]) <= 1:
        raise DeepMotifError(f"lr_decay must be in (0, 1], got {config['lr_decay']!r}")
    wd = config["weight_decay"]
    if wd != "auto" and (isinstance(wd, bool) or not isinstance(wd, int | float) or wd < 0):
        raise DeepMotifError(f"weight_decay must be auto or a number >= 0, got {wd!r}")
    for key in ("valid_fraction", "test_fraction"):
        if not 0 <= float(config[key]) < 1:
            raise DeepMotifError(f"{key} must be in [0, 1), got {config[key]!r}")
    if config["dtype"] not in ("auto", "fp32", "bf16", "fp16"):
        raise DeepMotifError(f"dtype must be auto, fp32, bf16 or fp16, got {config['dtype']!r}")
    if config["drop_rewind"] not in ("auto", True, False):
        raise DeepMotifError(
            f"drop_rewind must be auto, true or false, got {config['drop_rewind']!r}"
        )
    config["rc_augment"] = bool(config["rc_augment"])
    if config["threads"] != "auto":
        config["threads"] = check_positive_int("threads", config["threads"])
    return config
