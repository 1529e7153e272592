"""``deepmotif dependencies``: marginalise a motif pair on trained runs (RQ4)."""

from __future__ import annotations

from deepmotif.cli._common import positive_float, positive_int

ORDER = 55


def register(sub) -> None:
    p = sub.add_parser(
        "dependencies",
        help="does a model score a motif pair as more than its parts? (order, orientation, spacing)",
        description="Plant motifs A and B into background sequences at every order, relative "
        "orientation and spacing, and measure the cooperativity logit(A+B) - logit(A) - logit(B) "
        "+ logit(background) with a bootstrap interval, judged against a null with B's columns "
        "shuffled. Several runs (e.g. the three architectures on one dataset) are compared side "
        "by side. Writes DIR/dependencies.tsv, DIR/dependencies.json and figures.",
    )
    p.add_argument("runs", nargs="+", metavar="RUN", help="run directories (one sequence length)")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    p.add_argument(
        "--motifs",
        metavar="A,B",
        help="two JASPAR names or ids, or names of motifs in the first run's motifs/motifs.meme "
        "(default: the first run's two best-matched extracted motifs)",
    )
    p.add_argument(
        "--spacing",
        default="0-20",
        metavar="LO-HI",
        help="bases between the end of the first motif and the start of the second "
        "(default %(default)s)",
    )
    p.add_argument(
        "--n", type=positive_int, default=500, help="backgrounds per run (default %(default)s)"
    )
    p.add_argument(
        "--background",
        choices=("shuffle", "negatives"),
        default="shuffle",
        help="dinucleotide shuffles of the run's test positives, or its test negatives "
        "(default %(default)s)",
    )
    p.add_argument(
        "--min-effect",
        type=positive_float,
        default=0.5,
        help="smallest cooperativity, in logits, called a dependency (default %(default)s)",
    )
    p.add_argument(
        "--n-boot", type=positive_int, default=1000, help="bootstrap samples (default 1000)"
    )
    p.add_argument("--seed", type=int, default=0, help="seed of shuffles and bootstrap")
    p.add_argument(
        "--batch-size",
        type=positive_int,
        help="sequences per batch (default: the prediction batch)",
    )
    p.add_argument("--device", help="cpu, cuda or cuda:N (default: CUDA when available)")
    p.add_argument(
        "--truth",
        metavar="SITES.tsv",
        help="planted sites of simulated data, for the temporal view of the grammar and the "
        "verdict on the planted grammar (default: the one recorded in the run, when present)",
    )
    p.add_argument(
        "--maps",
        type=int,
        default=0,
        metavar="K",
        help="also the pairwise dependency maps (ISM) of each run's K most confident test "
        "positives (about 3L x 4L forward passes per sequence; default 0)",
    )
    p.add_argument("--no-figures", action="store_true", help="write only the TSV and JSON")
    p.add_argument("--force", action="store_true", help="overwrite results already in DIR")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(run=run)


def run(args) -> int:
    from deepmotif.dependencies.run import dependencies

    res = dependencies(
        args.runs,
        motifs=args.motifs,
        spacing=args.spacing,
        n=args.n,
        background=args.background,
        out=args.out,
        force=args.force,
        n_boot=args.n_boot,
        min_effect=args.min_effect,
        batch_size=args.batch_size,
        device=args.device,
        random_state=args.seed,
        figures=not args.no_figures,
        truth=args.truth,
        maps=args.maps,
        verbose=not args.quiet,
    )
    from deepmotif.dependencies.run import verdict_line

    for label, run in res["summary"]["runs"].items():
        print(verdict_line(label, run))
    print(f"written to {args.out} in {res['seconds']:.0f} s")
    return 0
