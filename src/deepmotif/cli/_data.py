"""The data options every command that reads sequences shares (train, evaluate, explain, ...).

``add_data_arguments(parser)`` adds them; ``dataset_from_args(args, path)`` reads a file with
them, so all commands read data the same way and with the same defaults as ``read_dataset``.
"""

from __future__ import annotations

import argparse

from deepmotif.cli._common import nonneg_int, positive_int

# Kept in step with deepmotif.data.readers (not imported here so --help stays instant).
FORMATS = ("fasta", "deepbind", "zeng", "table", "peaks", "plain")
NEGATIVES = ("auto", "shuffle", "none")
BACKGROUNDS = ("shuffle", "flank")


def add_data_arguments(parser: argparse.ArgumentParser) -> argparse._ArgumentGroup:
    """Add ``--format --length --genome --negatives --background --data-seed`` to ``parser``."""
    group = parser.add_argument_group("data options")
    group.add_argument(
        "--format",
        choices=FORMATS,
        default=None,
        help="input format (default: from the extension, checked against the content)",
    )
    group.add_argument(
        "--length",
        type=positive_int,
        default=None,
        help="fixed sequence length in bp: longer sequences are centre-cropped, shorter ones "
        "N-padded (default: the most common length in the file; 101 for peaks)",
    )
    group.add_argument(
        "--genome", default=None, help="reference genome FASTA, needed for BED/narrowPeak files"
    )
    group.add_argument(
        "--negatives",
        choices=NEGATIVES,
        default="auto",
        help="auto: one dinucleotide-shuffled negative per positive for positives-only DeepBind "
        "files and peaks; shuffle: always; none: never (default: auto)",
    )
    group.add_argument(
        "--background",
        choices=BACKGROUNDS,
        default="shuffle",
        help="negatives for peaks: dinucleotide shuffles, or GC-matched flanking genomic "
        "windows (default: shuffle)",
    )
    group.add_argument(
        "--data-seed",
        type=nonneg_int,
        default=0,
        help="seed of the shuffled negatives (default: 0)",
    )
    return group


def dataset_from_args(args: argparse.Namespace, path, **overrides):
    """Read ``path`` with the data options in ``args``; ``overrides`` win (e.g. ``negatives``)."""
    from deepmotif.data.readers import read_dataset

    kwargs = dict(
        format=getattr(args, "format", None),
        length=getattr(args, "length", None),
        negatives=getattr(args, "negatives", "auto"),
        genome=getattr(args, "genome", None),
        background=getattr(args, "background", "shuffle"),
        seed=getattr(args, "data_seed", 0),
    )
    kwargs.update(overrides)
    return read_dataset(path, **kwargs)
