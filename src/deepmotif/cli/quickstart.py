"""``deepmotif quickstart``: the whole pipeline on simulated data, then the dashboard."""

from __future__ import annotations

ORDER = 1


def register(sub) -> None:
    p = sub.add_parser(
        "quickstart",
        help="simulate data, train CNN/RNN/CNN-RNN, compare, explain, match motifs, open the dashboard",
        description="Simulate sequences with planted CTCF sites, train the three architectures, print "
        "their comparison, explain them, match their motifs to JASPAR and serve the dashboard.",
    )
    p.add_argument(
        "--out",
        default="deepmotif-quickstart",
        metavar="DIR",
        help="output folder (default: %(default)s)",
    )
    p.add_argument("--force", action="store_true", help="replace an existing quickstart folder")
    p.add_argument("--no-serve", action="store_true", help="do not serve the dashboard at the end")
    p.add_argument("--host", default="127.0.0.1", help="dashboard host (default: %(default)s)")
    p.add_argument("--port", type=int, default=8050, help="dashboard port (default: %(default)s)")
    p.add_argument("--device", help="cpu, cuda or cuda:N (default: CUDA when available)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(run=run)


def run(args) -> int:
    from deepmotif.dependencies.run import capture_phrase
    from deepmotif.quickstart import QUICKSTART, run_quickstart

    res = run_quickstart(args.out, force=args.force, verbose=not args.quiet, device=args.device)
    out = res["out"]
    print()
    print(f"done in {res['seconds']:.0f} s. Everything is in {out}/:")
    print(f"  data            {res['data']} (+ planted sites {res['sites']})")
    for arch, run_dir in res["runs"].items():
        print(f"  {arch:<15} {run_dir}/  (metrics.json, roc.png, explain/, motifs/)")
    print(f"  comparison      {out}/comparison.md")
    for r in res["comparison"].itertuples():
        if r.verdict:
            print(f"  note: {r.arch} {r.verdict}")
    truth = ", ".join(res["planted"])
    motifs = res.get("motifs") or {}
    for arch in res["runs"]:
        if arch not in motifs:
            continue
        m = motifs[arch]
        parts = []
        for source, row in (m.get("best") or {}).items():
            if source in (m.get("no_motif") or {}):
                parts.append(f"{source}: no motif found")
            elif row:
                parts.append(
                    f"{source}: {row['target_name']} ({row['target_id']}, q={row['q_value']:.2g})"
                )
            else:
                parts.append(f"{source}: no match")
        print(f"  best JASPAR match, {arch:<8} {'; '.join(parts)}   [planted: {truth}]")
    dep = res.get("dependencies")
    if dep:
        g = QUICKSTART["grammar"]
        print(
            f"  RQ4, grammar {g['motifs'][0]} then {g['motifs'][1]} {g['spacing'][0]}-"
            f"{g['spacing'][1]} bp apart ({out}/dependencies/):"
        )
        aurocs = {r.arch: r.auroc for r in dep["comparison"].itertuples()}
        learnt = {r.arch: r.verdict.split(":")[0] for r in dep["comparison"].itertuples()}
        for arch, c in dep["captured"].items():
            what = capture_phrase(c)
            note = f" ({learnt[arch]})" if learnt.get(arch) else ""
            print(f"    {arch:<8} test AUROC {aurocs.get(arch, float('nan')):.3f}{note}; {what}")
    for arch, problems in res.get("failures", {}).items():
        for problem in problems:
            print(f"  failed: {arch}: {problem}")
    if args.no_serve:
        print(f"dashboard: deepmotif dashboard {' '.join(str(p) for p in _folders(out))}")
        return 0
    from deepmotif.dashboard import serve

    serve([str(p) for p in _folders(out)], host=args.host, port=args.port, device=args.device)
    return 0


def _folders(out):
    """What the dashboard shows: the CTCF runs, and the grammar runs with their dependencies."""
    return [p for p in (out / "runs", out / "grammar", out / "dependencies") if p.is_dir()]
