"""``deepmotif dashboard``: serve the interactive dashboard over one or many runs."""

from __future__ import annotations

from deepmotif.cli._common import nonneg_int, positive_int

ORDER = 70


def register(sub) -> None:
    p = sub.add_parser(
        "dashboard",
        help="browse runs in an interactive web dashboard (127.0.0.1 by default)",
        description="Serve a Dash dashboard over run directories: one TF under several "
        "architectures, or a whole 'deepmotif benchmark' folder. Explanations and class "
        "optimizations that were not precomputed are computed on demand and cached.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="run directories or folders of runs")
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="interface to listen on (default 127.0.0.1: this machine only; "
        "0.0.0.0 exposes it to the network, without a login)",
    )
    p.add_argument(
        "--port", type=nonneg_int, default=8050, help="TCP port (default 8050; 0: any free port)"
    )
    p.add_argument(
        "--max-length",
        type=positive_int,
        default=1000,
        help="longest sequence accepted in the paste box (default 1000 bp)",
    )
    p.add_argument(
        "--no-compute",
        dest="compute",
        action="store_false",
        help="show only precomputed explanations (never run the models)",
    )
    p.add_argument(
        "--device",
        help="where the models predict, explain and optimise: cpu, cuda or cuda:N "
        "(default: CUDA when available)",
    )
    p.add_argument("--quiet", action="store_true", help="no request log")
    p.set_defaults(run=run)


def run(args) -> int:
    from deepmotif.dashboard import serve

    serve(
        args.paths,
        host=args.host,
        port=args.port,
        compute=args.compute,
        max_length=args.max_length,
        quiet=args.quiet,
        device=args.device,
    )
    return 0
