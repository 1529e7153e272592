"""Training, run directories and evaluation of trained runs."""

from deepmotif.rundir import LoadedRun, load_run, read_run_data, run_is_finished
from deepmotif.training.config import TRAIN_DEFAULTS, load_config_file, resolve_train_config
from deepmotif.training.train import TrainResult, train

__all__ = [
    "TRAIN_DEFAULTS",
    "LoadedRun",
    "TrainResult",
    "load_config_file",
    "load_run",
    "read_run_data",
    "resolve_train_config",
    "run_is_finished",
    "train",
]
