"""``deepmotif inspect DATA``: what a data file holds, as read for training."""

from __future__ import annotations

import json

from deepmotif.cli._data import add_data_arguments, dataset_from_args

ORDER = 5


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "inspect",
        help="summarise a sequence file: counts, generated negatives, lengths, GC, Ns",
        description="Read a sequence file the way training would and summarise it: format, "
        "positives and negatives (and how many were generated), lengths, GC per class, "
        "N letters and duplicate sequences.",
    )
    parser.add_argument("data", metavar="DATA", help="a FASTA, DeepBind .seq, Zeng .data, "
                        "CSV/TSV, BED/narrowPeak or plain sequence file (gzip or not)")  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--unlabelled",
        action="store_true",
        help="accept sequences without labels (as explain does)",
    )
    add_data_arguments(parser)
    parser.set_defaults(run=run)


def _pct(x) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def format_summary(s: dict) -> str:
    """The human-readable form of :func:`deepmotif.data.inspect.inspect_dataset`'s dict."""
    gen = ""
    if s["n_generated"]:
        gen = f" ({s['n_generated']} generated: {s['negatives'] or 'generated'})"
    lines = [
        f"file        {s['path']}",
        f"format      {s['format']}",
        f"sequences   {s['n']}",
        f"positives   {s['n_positive']}",
        f"negatives   {s['n_negative']}{gen}",
    ]
    if s["n_unlabelled"]:
        lines.append(f"unlabelled  {s['n_unlabelled']}")
    lines += [
        f"length      {s['length']} bp (in the file: min {s['length_min']}, max "
        f"{s['length_max']}, mean {s['length_mean']:.1f})",
        "lengths     " + ", ".join(f"{n} bp x {c}" for n, c in s["length_counts"].items()),
        f"resized     {s['n_resized']} (cropped {s['n_cropped']}, N-padded {s['n_padded']})",
        f"GC          positives {_pct(s['gc_positive'])}, negatives {_pct(s['gc_negative'])}",
        f"N letters   {s['n_N_bases']} in {s['n_with_N']} sequences",
        f"duplicates  {s['n_duplicates']}",
    ]
    return "\n".join(lines)


def run(args) -> int:
    from deepmotif.data.inspect import inspect_dataset

    overrides = {"require_labels": False} if args.unlabelled else {}
    summary = inspect_dataset(dataset_from_args(args, args.data, **overrides))
    if args.json:
        print(json.dumps(summary, default=str))
    else:
        print(format_summary(summary))
    return 0
