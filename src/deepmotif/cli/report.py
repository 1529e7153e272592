"""``deepmotif report``: one self-contained HTML file of the runs, for sharing and papers."""

from __future__ import annotations

from deepmotif.cli._common import positive_int

ORDER = 75


def register(sub) -> None:
    p = sub.add_parser(
        "report",
        help="write a self-contained HTML report (no server, no network)",
        description="Write one HTML file with the overview, each dataset's curves, chosen "
        "sequences' explanations, class-optimization logos and motif tables. Figures are "
        "embedded; the file opens offline.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="run directories or folders of runs")
    p.add_argument(
        "--out", required=True, metavar="FILE", help="the HTML file to write (e.g. report.html)"
    )
    p.add_argument(
        "--sequence",
        action="append",
        metavar="ID",
        dest="sequences",
        help="test-sequence id to show (repeat for several; default: per dataset the "
        "highest-scoring bound sequence and the most wrong one)",
    )
    p.add_argument(
        "--n-sequences",
        type=positive_int,
        default=2,
        help="sequences per dataset without --sequence (default 2)",
    )
    p.add_argument(
        "--motif-rows",
        type=positive_int,
        default=15,
        help="rows of each run's motif-match table (default 15)",
    )
    p.add_argument("--force", action="store_true", help="replace FILE when it exists")
    p.add_argument(
        "--no-compute",
        dest="compute",
        action="store_false",
        help="use only precomputed explanations (never run the models)",
    )
    p.set_defaults(run=run)


def run(args) -> int:
    from deepmotif.dashboard.report import write_report

    out = write_report(
        args.paths,
        args.out,
        sequences=args.sequences,
        n_sequences=args.n_sequences,
        compute=args.compute,
        motif_rows=args.motif_rows,
        force=args.force,
    )
    print(f"report: {out} ({out.stat().st_size / 1024:.0f} KB)")
    return 0
