"""``deepmotif simulate``: plant JASPAR motifs in random DNA, with the ground truth beside it."""

from __future__ import annotations

from deepmotif.errors import DeepMotifError

ORDER = 10

_DEFAULTS_TEXT = "n 2000, length 101, decoys 2, gc 0.41, seed 0, spacing 2-10"


def register(sub) -> None:
    p = sub.add_parser(
        "simulate",
        help="simulate labelled sequences with JASPAR motifs planted at known sites",
        description="Write a FASTA of simulated sequences (half bound, '>sim00001 1') and a "
        "'.sites.tsv' ground truth of every planted site (FILE with its suffix replaced: "
        f"sim.fa -> sim.sites.tsv). Defaults: {_DEFAULTS_TEXT}. See docs/simulate.md.",
    )
    p.add_argument(
        "--motifs",
        metavar="NAME[,NAME]",
        help="target motifs: JASPAR TF names or matrix ids (e.g. CTCF or MA0139.2); every "
        "positive carries one site of each (optional with --grammar)",
    )
    p.add_argument("--n", metavar="N", help="number of sequences, even; half are positive")
    p.add_argument("--length", metavar="L", help="sequence length in bases")
    p.add_argument("--out", required=True, metavar="FILE", help="FASTA to write (.fa[.gz])")
    p.add_argument("--decoys", metavar="K", help="decoy sites of other TFs in every sequence")
    p.add_argument(
        "--grammar",
        metavar="A,B",
        help="positives carry A followed by B (--spacing apart); negatives break the order or spacing",
    )
    p.add_argument("--spacing", metavar="LO-HI", help="gap from the end of A to the start of B")
    p.add_argument("--seed", metavar="S", help="random seed")
    p.add_argument("--gc", metavar="G", help="GC fraction of the background, in (0, 1)")
    p.add_argument("--release", metavar="R", help="JASPAR release (default: newest bundled)")
    p.add_argument("--force", action="store_true", help="overwrite existing output files")
    p.set_defaults(run=run)


def _names(text: str | None, option: str) -> list[str] | None:
    if text is None:
        return None
    names = [t.strip() for t in text.split(",") if t.strip()]
    if not names:
        raise DeepMotifError(f"{option} needs at least one motif name, got {text!r}")
    return names


def _number(text: str | None, option: str, kind=int):
    if text is None:
        return None
    try:
        return kind(text)
    except ValueError:
        what = "a whole number" if kind is int else "a number"
        raise DeepMotifError(f"{option} must be {what}, got {text!r}") from None


def run(args) -> int:
    from deepmotif.data.simulate import DEFAULTS, check_output, simulate, write_simulation

    motifs = _names(args.motifs, "--motifs")
    grammar = _names(args.grammar, "--grammar")
    if motifs is None and grammar is None:
        raise DeepMotifError("give --motifs NAME[,NAME] (or --grammar A,B)")
    if grammar is not None and len(grammar) != 2:
        raise DeepMotifError(f"--grammar needs exactly two motifs A,B, got {args.grammar!r}")
    if args.spacing is not None and grammar is None:
        raise DeepMotifError("--spacing only applies with --grammar A,B")
    options = {
        "n": _number(args.n, "--n"),
        "length": _number(args.length, "--length"),
        "decoys": _number(args.decoys, "--decoys"),
        "seed": _number(args.seed, "--seed"),
        "gc": _number(args.gc, "--gc", float),
    }
    options = {k: (DEFAULTS[k] if v is None else v) for k, v in options.items()}
    check_output(args.out, force=args.force)  # fail before the work, not after
    sim = simulate(
        motifs,
        grammar=grammar,
        spacing=args.spacing,
        release=args.release,
        **options,
    )
    fasta, truth = write_simulation(sim, args.out, force=args.force)
    meta = sim.dataset.meta["simulation"]
    targets = ", ".join(f"{t} {i}" for t, i in zip(meta["tfs"], meta["jaspar_ids"]))
    print(
        f"wrote {len(sim.dataset)} sequences of {sim.dataset.length} bp "
        f"({sim.dataset.n_positive} positive) to {fasta} and {len(sim.sites)} sites to {truth} "
        f"({meta['mode']} mode: {targets}; {meta['release']}; seed {meta['seed']})"
    )
    return 0
