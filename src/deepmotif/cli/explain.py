"""``deepmotif explain``: attribution maps, temporal output scores or class optimization of a run."""

from __future__ import annotations

from deepmotif.cli._common import nonneg_int, positive_int

ORDER = 40
#: Baselines of integrated gradients (as in :mod:`deepmotif.explain._references`, kept here so
#: ``--help`` loads no torch).
BASELINES = ("zeros", "shuffle")


def register(sub) -> None:
    p = sub.add_parser(
        "explain",
        help="explain a trained run: saliency, ISM, integrated gradients, DeepLIFT-SHAP, "
        "temporal output scores, class optimization",
        description="Explain the sequences of SEQS (or the run's own test set) with the model of "
        "RUN and write the results to OUT.npz (readable with numpy.load(..., allow_pickle=False)); "
        "with --figures, also draw PNG and SVG figures of the first 10 sequences (--max-figures). "
        "'optimize' needs no sequences: it writes the class-optimization PWM of the run.",
    )
    p.add_argument("run_dir", metavar="RUN", help="a run directory written by 'deepmotif train'")
    p.add_argument(
        "data",
        metavar="SEQS",
        nargs="?",
        default=None,
        help="sequences to explain (any supported format); omit (or give --run-data) to use the "
        "run's own test set",
    )
    from deepmotif.explain.registry import get_method, method_names

    names = method_names()
    p.add_argument(
        "--method",
        required=True,
        choices=names,
        help="what to compute: " + "; ".join(f"{n}: {get_method(n).description}" for n in names),
    )
    p.add_argument("--out", required=True, metavar="OUT.npz", help="the .npz file to write")
    p.add_argument("--figures", metavar="DIR", help="also write figures (PNG and SVG) into DIR")
    p.add_argument(
        "--max-figures",
        type=nonneg_int,
        default=10,
        metavar="K",
        help="with --figures: draw the first K sequences (default: 10)",
    )
    which = p.add_mutually_exclusive_group()
    which.add_argument(
        "--select", metavar="START:STOP", help="sequences by position: 0:10, 5, or 3,7,9"
    )
    which.add_argument("--ids", metavar="ID,ID", help="sequences by id, comma-separated")
    p.add_argument(
        "--run-data",
        action="store_true",
        help="explain the run's own test set (the default without SEQS)",
    )
    p.add_argument(
        "--batch-size",
        type=positive_int,
        default=None,
        help="sequences per batch (default: per architecture)",
    )
    p.add_argument("--device", help="cpu, cuda or cuda:N (default: CUDA when available)")
    p.add_argument(
        "--objective",
        choices=("softmax", "paper", "logit"),
        default="softmax",
        help="optimize: softmax (default: every position a distribution over the bases, Adam, "
        "32 restarts x 300 steps); paper (the original: NLL of the bound class + 0.009 ||X||^2, "
        "RMSprop lr 0.05, 1000 steps, one torch.rand start, the Lua PWM transform); logit (the "
        "earlier default: raw logit - 0.009 ||X||^2, RMSprop lr 0.01). See docs/explain.md",
    )
    p.add_argument(
        "--restarts",
        type=positive_int,
        default=None,
        help="optimize: restarts run as one batch (default: 32; 16 for --objective logit, 1 for "
        "paper)",
    )
    p.add_argument(
        "--steps",
        type=positive_int,
        default=None,
        help="optimize: optimiser steps (default: 300 for softmax, 1000 for paper and logit); "
        "integrated-gradients: points along the path (default: 50)",
    )
    p.add_argument(
        "--baseline",
        choices=BASELINES,
        default=None,
        help="integrated-gradients: all-N baseline (zeros, the default) or dinucleotide "
        "shuffles of each sequence (shuffle)",
    )
    p.add_argument(
        "--n-shuffles",
        type=positive_int,
        default=None,
        help="shuffled references per sequence: integrated-gradients with --baseline shuffle "
        "(default: 8), deepliftshap (default: 20)",
    )
    p.add_argument(
        "--seed",
        type=nonneg_int,
        default=0,
        help="optimize: seed of the random starts; integrated-gradients, deepliftshap: seed of "
        "the shuffles (default: 0)",
    )
    p.add_argument("--force", action="store_true", help="overwrite OUT and existing figures")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    from deepmotif.cli._data import add_data_arguments

    add_data_arguments(p)
    p.set_defaults(run=run)


def run(args) -> int:
    from deepmotif.errors import DeepMotifError
    from deepmotif.explain.registry import get_method
    from deepmotif.explain.run import explain_run
    from deepmotif.rundir import read_config

    config = read_config(args.run_dir)
    if args.data is not None and args.run_data:
        raise DeepMotifError("give SEQS or --run-data, not both")
    data = None
    needs_sequences = get_method(args.method).kind != "input"
    if not needs_sequences:
        given = [
            name
            for name, value in (
                ("SEQS", args.data),
                ("--select", args.select),
                ("--ids", args.ids),
                ("--run-data", args.run_data),
            )
            if value
        ]
        if given:
            raise DeepMotifError(
                f"--method {args.method} explains no sequences; {given[0]} does not apply to it"
            )
    if args.data is not None and needs_sequences:
        from deepmotif.cli._data import dataset_from_args

        length = args.length or (config.get("data") or {}).get("length")
        # Explaining is not training: add no shuffled negatives unless asked (--negatives shuffle),
        # and accept unlabelled sequences.
        negatives = "none" if args.negatives == "auto" else args.negatives
        data = dataset_from_args(
            args, args.data, length=length, negatives=negatives, require_labels=False
        )
    result = explain_run(
        args.run_dir,
        data,
        method=args.method,
        out=args.out,
        figures=args.figures,
        max_figures=args.max_figures,
        select=args.select,
        ids=args.ids,
        batch_size=args.batch_size,
        device=args.device,
        force=args.force,
        verbose=not args.quiet,
        n_restarts=args.restarts,
        steps=args.steps,
        random_state=args.seed,
        baseline=args.baseline,
        n_shuffles=args.n_shuffles,
        objective=args.objective,
    )
    if needs_sequences:
        what = f"{result['n']} sequences"
    else:
        what = f"objective {args.objective}"
    print(f"{args.method}: {what} ({result['seconds']:.1f} s) written to {result['out']}")
    summary = result.get("summary") or []
    for line in [summary] if isinstance(summary, str) else summary:
        print(line)
    if result["figures"]:
        print(f"{len(result['figures'])} figure files written to {args.figures}")
    return 0
