"""The quickstart: simulate, train the three architectures, compare, explain, extract motifs.

Everything goes under one folder (default ``deepmotif-quickstart/``)::

    data/sim.fa, data/sim.sites.tsv      simulated sequences and the planted sites
    runs/<arch>/                         one run directory per architecture
    runs/<arch>/explain/                 saliency.npz, temporal.npz, optimize.npz and figures
    runs/<arch>/motifs/                  matches.tsv, motifs.meme, logos
    comparison.csv, comparison.md        test AUROC / AUPRC / accuracy per architecture, and a
                                         verdict on whether each architecture learnt
    figures/                             the three architectures side by side on test sequences
    grammar/data.fa, grammar/<arch>/     a CTCF-then-REST grammar (RQ4) and a run per architecture
    dependencies/                        'deepmotif dependencies' on those runs: which captured
                                         the planted order and spacing

Whatever each architecture learns, the quickstart finishes: an architecture that stayed at
chance (or fell far behind the best) is named as such in the comparison, and a step that fails
for one architecture (explaining it, extracting its motifs) is reported on one line while the
others go on.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import numpy as np
import pandas as pd

from deepmotif import rundir as runs
from deepmotif.archs import ARCHS
from deepmotif.errors import DeepMotifError

#: The quickstart's data and training settings (small enough for under 5 minutes on 2 CPU cores).
QUICKSTART = {
    "motifs": ["CTCF"],
    "n": 4000,
    "length": 101,
    "decoys": 2,
    "seed": 0,
    "archs": list(ARCHS),
    # lr per architecture: 3e-3 lets the CNN converge within 15 epochs; the recurrent models
    # use the reference's 1e-2 (docs/training.md)
    "training": {"epochs": 15, "patience": 3, "batch_size": 128},
    "lr": {"cnn": 3e-3, "rnn": 1e-2, "cnn-rnn": 1e-2},
    "explain_n": 100,
    # figures (PNG and SVG) of the first 3 explained sequences per architecture; drawing them
    # is most of the explanation step's time (the explorer shows every sequence anyway)
    "explain_figures": 3,
    # the paper's three explanations; the other attribution methods (ism, integrated-gradients,
    # deepliftshap) are computed on demand by the dashboard and scored by `deepmotif audit`,
    # which would add about 1.5 minutes here
    "explain_methods": ["saliency", "temporal", "optimize"],
    # half the package default's 32 restarts, for a quick first look; `deepmotif motifs RUN`
    # afterwards uses the default (docs/explain.md, "Choosing the default")
    "optimize": {"n_restarts": 16, "steps": 300},
    # RQ4: positives carry CTCF then REST 2-10 bp apart on one strand; negatives the other
    # arrangements (docs/simulate.md), so only a model of the arrangement separates them
    # (2000 sequences left every architecture at chance; 4000 with patience 5 let the CNN learn
    # it in 15 epochs, measured on seed 1 of this simulation, not on any benchmark file)
    "grammar": {
        "motifs": ["CTCF", "REST"],
        "spacing": (2, 10),
        "n": 4000,
        "seed": 1,
        "training": {"epochs": 15, "patience": 5, "batch_size": 128},
    },
    "dependencies": {"spacing": (0, 20), "n": 200},
}

#: The number of steps the quickstart prints.
STEPS = 6


def _say(msg: str, verbose: bool) -> None:
    if verbose:
        print(msg, flush=True)


def run_quickstart(
    out="deepmotif-quickstart",
    *,
    force: bool = False,
    verbose: bool = True,
    device=None,
    explain: bool = True,
    motifs: bool = True,
    dependencies: bool = True,
) -> dict:
    """Run the whole pipeline on simulated data; returns paths and the comparison table."""
    from deepmotif.data.simulate import simulate, write_simulation

    q = QUICKSTART
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise DeepMotifError(f"--out {out}: exists and is a file")
    if out.is_dir() and any(out.iterdir()):
        if not force:
            raise DeepMotifError(f"--out {out}: not empty; pass --force to replace it")
        if not (out / "comparison.csv").exists() and not (out / "data").is_dir():
            raise DeepMotifError(
                f"--out {out}: not empty and not a quickstart folder; refusing to delete it"
            )
        shutil.rmtree(out)
    t0 = time.perf_counter()
    _say(
        f"[1/{STEPS}] simulating {q['n']} sequences of {q['length']} bp with {', '.join(q['motifs'])} sites ...",
        verbose,
    )
    sim = simulate(q["motifs"], n=q["n"], length=q["length"], decoys=q["decoys"], seed=q["seed"])
    fasta, sites = write_simulation(sim, out / "data" / "sim.fa")
    jobs = [
        _job(fasta, sim.dataset.meta, arch, out / "runs" / arch,
             {**q["training"], "lr": q["lr"][arch]}, device)
        for arch in q["archs"]
    ]  # fmt: skip
    _say(f"[2/{STEPS}] training {', '.join(q['archs'])}{_at_once(jobs, device)} ...", verbose)
    _, failed = train_jobs(jobs, device, verbose)
    if failed:
        arch, message = next(iter(failed.items()))
        raise DeepMotifError(f"training {arch} failed: {message}")
    run_dirs = {arch: out / "runs" / arch for arch in q["archs"]}

    table = comparison_table(run_dirs)
    with runs.atomic_path(out / "comparison.csv") as tmp:
        table.to_csv(tmp, index=False, float_format="%.4f")
    with runs.atomic_path(out / "comparison.md") as tmp:
        tmp.write_text(_markdown(table))
    shown = table.drop(columns=["verdict", "plateau", "still_learning"])
    _say(
        f"[3/{STEPS}] test set comparison:\n"
        + shown.to_string(index=False, float_format=lambda v: f"{v:.3f}")
        + "".join(f"\n  {r.arch}: {r.verdict}" for r in table.itertuples() if r.verdict),
        verbose,
    )

    result = {
        "out": out,
        "data": fasta,
        "sites": sites,
        "runs": run_dirs,
        "comparison": table,
        "planted": [f"{m.name} {m.matrix_id}" for m in sim.motifs.values()][: len(q["motifs"])],
        "failures": {},
    }
    if explain:
        _say(
            f"[4/{STEPS}] explaining the first {q['explain_n']} test sequences (saliency, temporal) and "
            "optimizing a bound sequence per architecture ...",
            verbose,
        )
        result["explain"] = _explain_all(run_dirs, out, device, verbose, result["failures"])
    if motifs:
        _say(f"[5/{STEPS}] extracting motifs and matching them to JASPAR with Tomtom ...", verbose)
        result["motifs"] = _motifs_all(run_dirs, device, verbose, result["failures"])
    if dependencies:
        g = q["grammar"]
        _say(
            f"[6/{STEPS}] RQ4: simulating a {g['motifs'][0]}-then-{g['motifs'][1]} grammar "
            f"({g['spacing'][0]}-{g['spacing'][1]} bp apart), training the three architectures "
            "on it, and asking each whether it models the pair's order and spacing ...",
            verbose,
        )
        result["dependencies"] = _step(
            result["failures"], "all", "dependencies", verbose,
            _grammar, out, device, verbose, result["failures"],
        )  # fmt: skip
    result["seconds"] = time.perf_counter() - t0
    return result


def _grammar(out: Path, device, verbose: bool, failures: dict) -> dict:
    """Simulate the grammar, train the three architectures on it, run the dependency analysis
    and say which architecture captured the planted arrangement."""
    from deepmotif.data.simulate import simulate, write_simulation
    from deepmotif.dependencies.run import captured_grammar, dependencies

    q, g = QUICKSTART, QUICKSTART["grammar"]
    sim = simulate(
        None, grammar=g["motifs"], spacing=g["spacing"], n=g["n"], length=q["length"],
        decoys=q["decoys"], seed=g["seed"],
    )  # fmt: skip
    fasta, sites = write_simulation(sim, out / "grammar" / "data.fa")
    jobs = [
        _job(fasta, sim.dataset.meta, arch, out / "grammar" / arch,
             {**g["training"], "lr": q["lr"][arch]}, device)
        for arch in q["archs"]
    ]  # fmt: skip
    trained, failed = train_jobs(jobs, device, verbose=False)
    for arch, message in failed.items():
        failures.setdefault(arch, []).append(f"training on the grammar: {message}")
        _say(
            f"  {arch}: training on the grammar failed ({message}); going on with the others",
            verbose,
        )
    run_dirs = {arch: out / "grammar" / arch for arch in q["archs"] if arch in trained}
    if not run_dirs:
        raise DeepMotifError("no architecture could be trained on the grammar")
    d = q["dependencies"]
    res = dependencies(
        list(run_dirs.values()), motifs=",".join(g["motifs"]), spacing=d["spacing"], n=d["n"],
        out=out / "dependencies", device=device, truth=sites, verbose=False,
    )  # fmt: skip
    table = comparison_table(run_dirs)
    captured = {}
    for label, info in res["summary"]["runs"].items():
        captured[info["arch"]] = captured_grammar(res["table"], label, g["spacing"])
    return {"runs": run_dirs, "comparison": table, "summary": res["summary"], "captured": captured}


#: Relative training cost per architecture: the pool starts the slowest first.
_COST = {"cnn-rnn": 3, "rnn": 2, "cnn": 1}


def _job(fasta, meta: dict, arch: str, out: Path, config: dict, device) -> dict:
    return {
        "fasta": str(fasta), "meta": meta, "arch": arch, "out": str(out), "config": config,
        "device": None if device is None else str(device),
    }  # fmt: skip


def _workers(n_jobs: int, device) -> int:
    """Trainings at once: one per CPU core (each on one thread) on a CPU, one on a GPU."""
    from deepmotif._device import resolve_device

    if resolve_device(device).type != "cpu":
        return 1
    return max(1, min(n_jobs, os.cpu_count() or 1))


def _at_once(jobs: list[dict], device) -> str:
    k = _workers(len(jobs), device)
    return f" ({k} at a time, one CPU thread each)" if k > 1 else ""


def train_one(job: dict) -> str:
    """Train one architecture of the quickstart (in a worker process of the pool)."""
    from deepmotif.data import read_dataset
    from deepmotif.training import train

    ds = read_dataset(job["fasta"])
    ds.meta.update(job["meta"])
    train(
        ds, arch=job["arch"], out=job["out"], config=job["config"], device=job["device"],
        verbose=False, extra_config={"command": "deepmotif quickstart"},
    )  # fmt: skip
    return job["arch"]


def train_jobs(jobs: list[dict], device, verbose: bool) -> tuple[list[str], dict]:
    """Train every job: on a CPU with several cores in a pool of processes (one torch thread
    each; the recurrent models train on one thread anyway), slowest first; else one after
    another here. Returns the architectures trained and ``{arch: message}`` of failures."""
    from deepmotif.engines.local import LocalEngine

    order = sorted(jobs, key=lambda j: -_COST.get(j["arch"], 0))
    engine = LocalEngine(jobs=_workers(len(jobs), device))
    results = engine.run(
        train_one, order, desc="training", label=lambda j: j["arch"], verbose=verbose
    )
    trained = [r.job["arch"] for r in results if r.ok]
    return trained, {r.job["arch"]: r.error for r in results if not r.ok}


#: An architecture whose test AUROC is this far below the best one's is said to have fallen
#: behind: its row then says more about its training than about the architecture.
BEHIND = 0.1


def verdicts(table: pd.DataFrame, history: dict | None = None) -> list[str]:
    """One verdict per row of a comparison: "" when the architecture learnt, else why not.

    ``table`` has ``arch``, ``auroc``, ``best_epoch`` and ``plateau`` columns (and optionally
    ``still_learning``: the run used up its epochs while still improving).
    """
    best = table["auroc"].max()
    leader = table.loc[table["auroc"].idxmax(), "arch"] if len(table) else None
    out = []
    for r in table.itertuples():
        if bool(r.plateau):
            out.append(
                "did not learn: its validation AUROC never left chance (0.5 +/- 0.05); "
                "its comparison is not meaningful"
            )
        elif best - r.auroc > BEHIND:
            cut = getattr(r, "still_learning", False)
            why = (
                "it was still learning when its epoch budget ended (train longer: --epochs)"
                if cut
                else "it likely stopped early"
            )
            out.append(
                f"fell behind: test AUROC {r.auroc:.3f}, {best - r.auroc:.3f} below the {leader}'s, "
                f"best epoch {r.best_epoch}; {why}, so its row reflects its training, not the "
                "architecture"
            )
        else:
            out.append("")
    return out


def _step(failures: dict, arch: str, step: str, say: bool, fn, /, *args, **kwargs):
    """Run one architecture's step; on failure say so on one line and return None."""
    try:
        return fn(*args, **kwargs)
    except Exception as exc:  # one architecture's failure must not end the quickstart
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        failures.setdefault(arch, []).append(f"{step}: {message}")
        _say(f"  {arch}: {step} failed ({message}); going on with the others", say)
        return None


def comparison_table(run_dirs: dict) -> pd.DataFrame:
    """Test AUROC / AUPRC / accuracy per architecture from finished runs."""
    from deepmotif.training.health import never_left_plateau

    rows = []
    for arch, run in run_dirs.items():
        m = runs.read_metrics(run)
        plateau = m.get("plateau")
        if plateau is None:  # runs written before metrics.json recorded it
            history = runs.read_history(run)
            plateau = never_left_plateau(history["valid_auroc"])
        rows.append(
            {
                "arch": arch,
                "auroc": m["test"]["auroc"],
                "auprc": m["test"]["auprc"],
                "accuracy": m["test"]["accuracy"],
                "n_test": m["test"]["n"],
                "best_epoch": m["best_epoch"],
                "plateau": bool(plateau),
                "still_learning": bool(m.get("still_learning")),
            }
        )
    table = pd.DataFrame(rows)
    table["verdict"] = verdicts(table) if len(table) else []
    return table


def _markdown(table: pd.DataFrame) -> str:
    from deepmotif.benchmark import markdown_table

    header = ["arch", "AUROC", "AUPRC", "accuracy", "n test", "best epoch", "verdict"]
    rows = [
        [
            r.arch,
            f"{r.auroc:.3f}",
            f"{r.auprc:.3f}",
            f"{r.accuracy:.3f}",
            str(r.n_test),
            str(r.best_epoch),
            r.verdict or "learnt",
        ]
        for r in table.itertuples()
    ]
    return "\n".join(markdown_table(header, rows, numeric=True)) + "\n"


def _explain_all(run_dirs: dict, out: Path, device, verbose: bool, failures: dict) -> dict:
    from deepmotif.explain.registry import get_method
    from deepmotif.explain.run import explain_run
    from deepmotif.rundir import read_run_data

    q = QUICKSTART
    done = {}
    for arch, run in run_dirs.items():
        test = read_run_data(run)
        sel = np.arange(min(q["explain_n"], len(test)))
        (run / runs.EXPLAIN_DIR).mkdir(parents=True, exist_ok=True)
        for method in q["explain_methods"]:
            designs_input = get_method(method).kind == "input"
            _step(
                failures,
                arch,
                f"explain --method {method}",
                verbose,
                explain_run,
                run,
                None if designs_input else test,
                method=method,
                out=runs.explain_file(run, method),
                figures=run / runs.EXPLAIN_FIGURES,
                select=None if designs_input else list(sel),
                device=device,
                verbose=verbose,
                max_figures=q["explain_figures"],
                **(q["optimize"] if designs_input else {}),
            )
        done[arch] = run / runs.EXPLAIN_DIR
    _step(failures, "all", "architecture panel", verbose, _panel, run_dirs, out / "figures", device)
    return done


def _panel(run_dirs: dict, folder: Path, device=None, n: int = 3) -> None:
    """The paper's layout: the three architectures side by side on the most confident positives."""
    from deepmotif.explain import saliency, temporal_scores
    from deepmotif.plots.curves import save_figure
    from deepmotif.plots.explain import architecture_panel
    from deepmotif.rundir import load_run, read_run_data

    first = next(iter(run_dirs.values()))
    test = read_run_data(first)
    pos = np.nonzero(test.labels == 1)[0]
    if len(pos) == 0:
        return
    chosen = pos[np.argsort(-test.meta["scores"][pos], kind="stable")[:n]]
    X = test.subset(chosen).one_hot()
    maps = {}
    for arch, run in run_dirs.items():
        model, _ = load_run(run)
        maps[arch] = (saliency(model, X, device=device), temporal_scores(model, X, device=device))
    folder.mkdir(parents=True, exist_ok=True)
    for j, i in enumerate(chosen):
        per_arch = {
            arch: {"saliency": s.saliency[j], "forward": t.forward[j], "backward": t.backward[j]}
            for arch, (s, t) in maps.items()
        }
        fig = architecture_panel(test.sequences[i], per_arch, title=f"{test.ids[i]} (label 1)")
        save_figure(fig, folder / f"panel_{test.ids[i]}", formats=("png", "svg"))


def _motifs_all(run_dirs: dict, device, verbose: bool, failures: dict) -> dict:
    from deepmotif.motifs.run import run_motifs

    best = {}
    for arch, run in run_dirs.items():
        res = _step(
            failures,
            arch,
            "motifs",
            verbose,
            run_motifs,
            run,
            out=runs.motifs_dir(run),
            device=device,
            verbose=verbose,
            options={"optimize": dict(QUICKSTART["optimize"])},
        )
        if res is not None:
            best[arch] = res
    return best
