"""Rebuild every table of BENCHMARKS.md: run each benchmark script, write its output between markers.

Usage::

    .venv/bin/python benchmarks/run_all.py                     # everything, into BENCHMARKS.md (hours)
    .venv/bin/python benchmarks/run_all.py --only training,explain
    .venv/bin/python benchmarks/run_all.py --only auroc --jobs 2 --workdir WORK   # 2 trainings at once
    .venv/bin/python benchmarks/run_all.py --quick             # every script at tiny size (smoke test)
    .venv/bin/python benchmarks/run_all.py --list

(``make bench`` and ``make bench-quick``.) Each table lives in BENCHMARKS.md between
``<!-- bench:NAME -->`` and ``<!-- /bench:NAME -->``; a table whose markers are missing is added
at the end, under "Tables rebuilt by make bench". Every table is stamped with the command that
made it, the commit (``git rev-parse --short HEAD``, with ``+changes`` when the working tree
differs from it) and the date. The file is rewritten (atomically) after each table, so an
interrupted run keeps the tables it finished; a script that fails keeps its old table and makes
the driver exit non-zero.

``--quick`` runs every script at a tiny size, to check they all still run and print a table; its
numbers mean nothing, so it writes a copy (default ``WORKDIR/BENCHMARKS.quick.md``), never
BENCHMARKS.md itself. The scripts run with this checkout's ``src`` first on ``PYTHONPATH`` and
``OMP_NUM_THREADS=1`` unless set. Tables that need the DeepBind ENCODE data (``../shared/data``,
or ``DEEPMOTIF_DEEPBIND``) say so in place of a table when it is absent.
"""

from __future__ import annotations

import argparse
import datetime
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks"
DEFAULT_DATA = Path(
    os.environ.get("DEEPMOTIF_DEEPBIND", ROOT.parent / "shared" / "data" / "deepbind_encode")
)
SECTION = "## Tables rebuilt by `make bench`"
#: The TFs of the seeded AUROC table (the five smallest of the ten shared sets).
AUROC_TFS = "ARID3A,ELK1,GABPA,MYC,REST"


@dataclass(frozen=True)
class Table:
    """One table: the commands that make it (the last one's output is the table)."""

    name: str
    title: str
    full: list[list[str]]
    quick: list[list[str]]
    #: a file written by the last command (Markdown, put in as it is) instead of its stdout
    source: str | None = None
    #: needs the DeepBind data (full mode only when ``quick_needs_data`` is False)
    needs_data: bool = False
    quick_needs_data: bool = False
    notes: list[str] = field(default_factory=list)


def _script(name: str, *args: str) -> list[str]:
    return ["{py}", f"benchmarks/{name}", *args]


def _cli(*args: str) -> list[str]:
    return ["{py}", "-m", "deepmotif.cli", *args]


TABLES = [
    Table(
        "auroc",
        "Test AUROC / AUPRC with seeds and intervals (`deepmotif benchmark`)",
        [_cli("benchmark", "{data}", "--seeds", "3", "--archs", "cnn,rnn,cnn-rnn", "--datasets",
              AUROC_TFS, "--epochs", "40", "--patience", "6", "--jobs", "{jobs}", "--out", "{work}/bench",
              "--quiet")],
        [
            _cli("simulate", "--motifs", "CTCF", "--n", "300", "--out", "{work}/data/CTCF.fa"),
            _cli("benchmark", "{work}/data", "--seeds", "2", "--archs", "cnn", "--epochs", "1",
                 "--out", "{work}/bench", "--quiet"),
        ],
        source="{work}/bench/benchmark.md",
        needs_data=True,
    ),
    Table(
        "batch_sizes",
        "Forward-pass throughput by batch size: the `predict` defaults (`bench_batch_sizes.py`)",
        [_script("bench_batch_sizes.py")],
        [_script("bench_batch_sizes.py", "--n", "256", "--rounds", "1", "--sizes", "32,64")],
    ),
    Table(
        "training",
        "Training throughput: a plain PyTorch loop vs deepmotif's loop (`bench_training.py`)",
        [_script("bench_training.py", "--compile")],
        [_script("bench_training.py", "--n", "256", "--repeats", "1", "--archs", "cnn")],
    ),
    Table(
        "cnn_defaults",
        "Learning speed of the CNN's settings on simulated CTCF (`bench_cnn_defaults.py`)",
        [_script("bench_cnn_defaults.py")],
        [_script("bench_cnn_defaults.py", "--epochs", "1", "--n", "200")],
    ),
    Table(
        "explain",
        "Explanation speed against Captum, tangermeme and the naive loops (`bench_explain.py`)",
        [_script("bench_explain.py")],
        [_script("bench_explain.py", "--n", "32", "--rounds", "1", "--temporal-n", "8",
                 "--naive-n", "1", "--steps", "3")],
    ),
    Table(
        "explain_stream",
        "Streaming explanations of many sequences (`bench_explain_stream.py`)",
        [_script("bench_explain_stream.py", "--workdir", "{work}")],
        [_script("bench_explain_stream.py", "--n", "100", "--workdir", "{work}")],
    ),
    Table(
        "explain_quality",
        "Explanation quality on simulated data with a known answer (`bench_explain_quality.py`)",
        [_script("bench_explain_quality.py", "--out", "{work}")],
        [_script("bench_explain_quality.py", "--n", "200", "--epochs", "1", "--out", "{work}")],
    ),
    Table(
        "motifs",
        "Motif recovery on the shared ENCODE TFs (`bench_motifs.py`)",
        [
            _script("bench_motifs.py", "train", "--runs", "{work}", "--data", "{data}"),
            _script("bench_motifs.py", "recover", "--runs", "{work}"),
        ],
        [
            _script("bench_motifs.py", "train", "--runs", "{work}", "--data", "{data}", "--tf",
                    "MYC", "--arch", "cnn", "--max-positives", "100", "--epochs", "cnn=1"),
            _script("bench_motifs.py", "recover", "--runs", "{work}", "--tf", "MYC", "--arch",
                    "cnn"),
        ],
        needs_data=True,
        quick_needs_data=True,
    ),
    Table(
        "seqlets",
        "Seqlet callers of the saliency motif source on simulated data (`bench_seqlets.py`)",
        [_script("bench_seqlets.py", "--out", "{work}")],
        [_script("bench_seqlets.py", "--out", "{work}", "--tasks", "CTCF", "--archs", "cnn",
                 "--n", "400", "--epochs", "1")],
    ),
    Table(
        "dependencies",
        "Motif dependencies (RQ4) on planted grammars (`bench_dependencies.py`)",
        [_script("bench_dependencies.py", "--out", "{work}")],
        [_script("bench_dependencies.py", "--out", "{work}", "--quick", "--n", "200",
                 "--epochs", "1", "--backgrounds", "10", "--archs", "cnn")],
    ),
    Table(
        "attributions",
        "Attribution methods against tangermeme and Captum (`bench_attributions.py`)",
        [_script("bench_attributions.py")],
        [_script("bench_attributions.py", "--archs", "cnn", "--ism-n", "2", "--ig-n", "2",
                 "--dls-n", "2", "--steps", "4", "--rounds", "1")],
    ),
    Table(
        "engine",
        "Benchmark engines: local pool and Ray, 1 vs 2 workers (`bench_engine.py`)",
        # 10 epochs: at 4 each run is about 8 s of work beside fixed costs (reading the data,
        # starting a worker), which hide the workers' speed-up
        [_script("bench_engine.py", "--n", "4000", "--epochs", "10")],
        [_script("bench_engine.py", "--n", "200", "--epochs", "1", "--noop-tasks", "4")],
    ),
    Table(
        "dashboard",
        "Dashboard speed and load (`bench_dashboard.py`)",
        [_script("bench_dashboard.py", "--workdir", "{work}")],
        [_script("bench_dashboard.py", "--workdir", "{work}", "--n", "200", "--epochs", "1",
                 "--interactions", "2", "--pastes", "1", "--clients", "2", "--requests", "2",
                 "--page-loads", "1")],
    ),
]  # fmt: skip


def commit() -> str:
    """``git rev-parse --short HEAD``, plus ``+changes`` when tracked files other than
    BENCHMARKS.md (which this driver itself rewrites after each table) differ from it."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
            check=True,
        ).stdout.strip()  # fmt: skip
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
            capture_output=True, text=True, check=True,
        ).stdout.splitlines()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    dirty = [line for line in status if line[3:].strip() != "BENCHMARKS.md"]
    return head + ("+changes" if dirty else "")


def markers(name: str) -> tuple[str, str]:
    return f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"


def replace_block(text: str, name: str, body: str) -> str:
    """``text`` with the block ``name`` replaced by ``body`` (added at the end when missing)."""
    start, end = markers(name)
    block = f"{start}\n{body.rstrip()}\n{end}"
    i, j = text.find(start), text.find(end)
    if i >= 0 and j > i:
        return text[:i] + block + text[j + len(end) :]
    if SECTION not in text:
        text = text.rstrip() + f"\n\n{SECTION}\n"
    return text.rstrip() + f"\n\n{block}\n"


def _fill(args: list[str], values: dict) -> list[str]:
    return [a.format(**values) for a in args]


def _shown(cmd: list[str]) -> str:
    shown = ["python" if c == sys.executable else c for c in cmd]
    return " ".join(shown).replace(str(ROOT) + "/", "")


def run_table(table: Table, *, quick: bool, work: Path, data: Path, verbose: bool, jobs: int = 1):
    """Run one table's commands; (body, ok)."""
    stamp_date = datetime.date.today().isoformat()
    mode = "quick mode (a smoke test; the numbers mean nothing)" if quick else "full size"
    cmds = table.quick if quick else table.full
    values = {"py": sys.executable, "work": str(work), "data": str(data), "jobs": str(jobs)}
    shown = "; ".join(_shown(_fill(c, {**values, "work": "WORK", "data": "DATA"})) for c in cmds)
    stamp = f"_Commit {commit()}, {stamp_date}, {mode}: `{shown}`_"
    head = f"### {table.title}\n\n{stamp}\n"
    if (table.quick_needs_data if quick else table.needs_data) and not data.is_dir():
        return f"{head}\nNot run: the DeepBind ENCODE data ({data}) is absent.\n", True
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")]))
    env.setdefault("OMP_NUM_THREADS", "1")
    work.mkdir(parents=True, exist_ok=True)
    out_lines: list[str] = []
    for cmd in cmds:
        cmd = _fill(cmd, values)
        if verbose:
            print(f"[{table.name}] {_shown(cmd)}", file=sys.stderr, flush=True)
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True,
            stderr=None if verbose else subprocess.PIPE,
        )  # fmt: skip
        out_lines = []
        for line in proc.stdout:
            out_lines.append(line.rstrip("\n"))
            if verbose:
                print(f"[{table.name}] {line.rstrip()}", file=sys.stderr, flush=True)
        err = proc.stderr.read() if proc.stderr else ""
        if proc.wait() != 0:
            print(
                f"[{table.name}] FAILED (exit {proc.returncode}): {_shown(cmd)}\n{err[-3000:]}",
                file=sys.stderr,
            )
            return None, False
    if table.source:
        lines = Path(table.source.format(**values)).read_text().splitlines()
        if lines and lines[0].startswith("# "):
            lines = lines[1:]  # the table's own title is the block's heading
        body = "\n".join("###" + x[1:] if x.startswith("## ") else x for x in lines)
        return f"{head}\n{body.strip()}\n", True
    text = "\n".join(out_lines).strip()
    return f"{head}\n```text\n{text}\n```\n", True


def write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="every script at tiny size")
    ap.add_argument("--only", help="comma-separated table names (see --list)")
    ap.add_argument("--out", type=Path, help="the Markdown file to update (see above)")
    ap.add_argument("--template", type=Path, default=ROOT / "BENCHMARKS.md",
                    help="quick mode: the file copied to --out first (default BENCHMARKS.md)")  # fmt: skip
    ap.add_argument("--workdir", type=Path, help="where the scripts work (default: a temp dir)")
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="DeepBind ENCODE folder")
    ap.add_argument("--jobs", type=int, default=1,
                    help="trainings at once in the seeded AUROC table (results do not depend on it; "
                         "each uses OMP_NUM_THREADS threads)")  # fmt: skip
    ap.add_argument("--list", action="store_true", help="list the tables and exit")
    ap.add_argument("--quiet", action="store_true", help="no echo of the scripts' output")
    args = ap.parse_args(argv)
    if args.list:
        for t in TABLES:
            print(f"{t.name:16s} {t.title}")
        return 0
    names = [t.name for t in TABLES]
    only = [s.strip() for s in (args.only or "").split(",") if s.strip()] or names
    unknown = sorted(set(only) - set(names))
    if unknown:
        print(f"--only: unknown table(s) {', '.join(unknown)} (expected {', '.join(names)})",
              file=sys.stderr)  # fmt: skip
        return 2
    work = args.workdir or Path(tempfile.mkdtemp(prefix="deepmotif-bench-"))
    out = args.out or (work / "BENCHMARKS.quick.md" if args.quick else ROOT / "BENCHMARKS.md")
    if args.quick and out.resolve() == (ROOT / "BENCHMARKS.md").resolve():
        print("--quick never writes BENCHMARKS.md (its numbers mean nothing)", file=sys.stderr)
        return 2
    text = out.read_text() if out.is_file() else args.template.read_text()
    failed = []
    for table in TABLES:
        if table.name not in only:
            continue
        t0 = time.perf_counter()
        body, ok = run_table(
            table, quick=args.quick, work=work / table.name, data=args.data,
            verbose=not args.quiet, jobs=args.jobs,
        )  # fmt: skip
        print(f"[{table.name}] {'done' if ok else 'FAILED'} in {time.perf_counter() - t0:.0f} s",
              file=sys.stderr, flush=True)  # fmt: skip
        if not ok:
            failed.append(table.name)
            continue
        text = replace_block(text, table.name, body)
        write_atomic(out, text)
    print(f"tables written to {out}" + (f"; FAILED: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
