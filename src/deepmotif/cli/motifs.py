"""``deepmotif motifs``: extract a run's motifs and match them to JASPAR with Tomtom."""

from __future__ import annotations

from deepmotif.cli._common import nonneg_int, positive_float, positive_int

ORDER = 50


def register(sub) -> None:
    p = sub.add_parser(
        "motifs",
        help="extract motifs from a trained run and match them to JASPAR (Tomtom)",
        description="Extract motifs from a trained run by class optimisation, saliency seqlets "
        "and first-layer filters, match them with Tomtom to JASPAR (offline) or a MEME file, and "
        "write DIR/matches.tsv, DIR/motifs.meme, DIR/motifs.json and a logo per motif (DIR/*.png).",
    )
    p.add_argument("run_dir", metavar="RUN", help="a run directory written by 'deepmotif train'")
    p.add_argument("--out", required=True, metavar="DIR", help="output directory")
    p.add_argument(
        "--data",
        metavar="SEQS",
        help="labelled sequences for the saliency and filters sources (default: the run's test set)",
    )
    p.add_argument(
        "--source",
        metavar="LIST",
        help="comma-separated sources among optimize, saliency, filters (default: all; filters "
        "only for models with convolutions)",
    )
    from deepmotif.explain.registry import attribution_methods

    p.add_argument(
        "--attribution",
        default="auto",
        choices=("auto", *attribution_methods()),
        help="the attribution method whose map the saliency source cuts into seqlets "
        f"(one of {', '.join(attribution_methods())}; default auto: saliency for the cnn, "
        "integrated-gradients for the rnn and cnn-rnn, the best against planted sites in "
        "'deepmotif audit', docs/audit.md)",
    )
    p.add_argument(
        "--no-signal-check",
        action="store_true",
        help="let the saliency and filters sources look for motifs even when the model does "
        "not separate the sequences beyond chance (by default they then say 'no motif beyond "
        "chance'; docs/motifs.md)",
    )
    p.add_argument(
        "--objective",
        choices=("softmax", "paper", "logit"),
        default="softmax",
        help="class optimization objective of the optimize source (default softmax; paper = "
        "the original method; see 'deepmotif explain --help'). Its motif is kept only when it "
        "beats the same architecture untrained, else 'no motif beyond chance'",
    )
    p.add_argument(
        "--temperature",
        type=positive_float,
        help="softmax objective: the optimised logits are divided by it (default 0.5 for the "
        "RNN, 1 for the others; 0.5 also when every restart of a CNN stays at the uniform "
        "input's score; docs/explain.md)",
    )
    p.add_argument(
        "--restarts",
        type=positive_int,
        help="restarts of the optimize source, for the model and its untrained null alike "
        "(default 32 with softmax; more make the kept motif depend less on the optimisation "
        "seed and cost time; docs/explain.md)",
    )
    p.add_argument(
        "--samples",
        type=nonneg_int,
        help="softmax objective: one-hot sequences drawn per restart and step and scored by the "
        "model instead of the distributions (default: 1 for a CNN-RNN, 0 otherwise; "
        "docs/explain.md)",
    )
    p.add_argument("--device", help="cpu, cuda or cuda:N (default: CUDA when available)")
    p.add_argument(
        "--top-k", type=positive_int, default=5, help="matches kept per motif (default 5)"
    )
    p.add_argument(
        "--jaspar-release",
        metavar="R",
        help="JASPAR release, e.g. 2024 or JASPAR2024 (default: the newest bundled)",
    )
    p.add_argument("--collection", default="CORE", help="JASPAR collection (default CORE)")
    p.add_argument(
        "--tax-group", default="vertebrates", help="JASPAR taxonomic group (default vertebrates)"
    )
    p.add_argument(
        "--db", metavar="FILE.meme", help="match against this MEME file instead of JASPAR"
    )
    p.add_argument("--force", action="store_true", help="overwrite results already in DIR")
    p.add_argument("--quiet", action="store_true", help="print only the best match per source")
    from deepmotif.cli._data import add_data_arguments

    add_data_arguments(p)
    p.set_defaults(run=run)


def run(args) -> int:
    from deepmotif.motifs.run import run_motifs
    from deepmotif.rundir import read_config

    config = read_config(args.run_dir)
    data = None
    if args.data:
        from deepmotif.cli._data import dataset_from_args

        length = args.length or (config.get("data") or {}).get("length")
        data = dataset_from_args(args, args.data, length=length)
    result = run_motifs(
        args.run_dir,
        data,
        sources=args.source,
        top_k=args.top_k,
        out=args.out,
        release=args.jaspar_release,
        collection=args.collection,
        tax_group=args.tax_group,
        db=args.db,
        force=args.force,
        verbose=not args.quiet,
        attribution=args.attribution,
        device=args.device,
        objective=args.objective,
        temperature=args.temperature,
        restarts=args.restarts,
        samples=args.samples,
        require_signal=not args.no_signal_check,
    )
    if args.quiet:
        for source, row in result["best"].items():
            if source in result["no_motif"]:
                print(f"{source}\t-\t{result['no_motif'][source]}")
            elif row is None:
                print(f"{source}\t-")
            else:
                print(
                    f"{source}\t{row['query']}\t{row['target_id']}\t{row['target_name']}\tq={row['q_value']:.2g}"
                )
    return 0
