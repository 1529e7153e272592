"""``deepmotif dependencies``: does a trained model score a motif pair as more than its parts?

For each run, motifs A and B are planted into backgrounds at every order, orientation and
spacing (:mod:`deepmotif.dependencies.marginalize`), the cooperativity is estimated with a
bootstrap over backgrounds and judged against a null in which B's columns are shuffled
(:mod:`deepmotif.dependencies.stats`). Several runs (e.g. the three architectures trained on one
dataset) are compared side by side.

Output folder::

    dependencies.tsv    one row per run x order x orientation x spacing (columns: stats.COLUMNS
                        after ``run`` and ``arch``)
    dependencies.json   per run: the strongest configuration (the strongest dependency, else the
                        largest cooperativity), whether any is significant, how many are
                        sub-additive, the null threshold, the motifs and backgrounds used; on
                        simulated data the planted grammar and whether the run captured it --
                        written last
    cooperativity.png/.svg   cooperativity against spacing, one panel per order x orientation,
                        one line per run
    heatmap_<run>.png   spacing x (order, orientation) heatmap per run
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from deepmotif import rundir
from deepmotif.atomic import atomic_dir, atomic_path, clean_stale, foreign_entries, write_json
from deepmotif.dependencies.marginalize import grid_effects
from deepmotif.dependencies.stats import (
    COLUMNS,
    MIN_EFFECT,
    cooperativity_table,
    mark_significant,
    shuffled_motif,
)
from deepmotif.errors import DeepMotifError, check_positive_int

__all__ = [
    "BACKGROUNDS",
    "OUTPUT_FILES",
    "capture_phrase",
    "captured_grammar",
    "dependencies",
    "resolve_motif",
    "verdict_line",
]

OUTPUT_FILES = ("dependencies.tsv", "dependencies.json")
BACKGROUNDS = ("shuffle", "negatives")
#: Column shuffles of B in the null.
NULL_SHUFFLES = 2
#: Backgrounds used for the null (at most).
NULL_BACKGROUNDS = 200


def resolve_motif(name: str, run=None) -> dict:
    """``{"name", "consensus", "source"}`` of a motif named on the command line.

    A name of a motif in the run's ``motifs/motifs.meme`` (e.g. ``cnn-saliency-1``) takes its
    consensus; anything else is looked up in JASPAR (TF name or matrix id).
    """
    name = str(name).strip()
    if not name:
        raise DeepMotifError("--motifs: an empty motif name")
    if run is not None:
        meme = rundir.motif_file(run, rundir.MOTIFS_MEME)
        if meme.is_file():
            from deepmotif.motifs.meme import read_meme

            for key, pwm in read_meme(meme, allow_empty=True).items():
                if key.split()[0] == name:
                    consensus = "".join("ACGT"[i] for i in np.argmax(pwm, axis=0))
                    return {"name": name, "consensus": consensus, "source": str(meme)}
    from deepmotif import jaspar

    m = jaspar.get_motif(name)
    return {"name": name, "consensus": m.consensus, "source": f"JASPAR {m.matrix_id} {m.name}"}


def _top_motifs(run) -> list[str]:
    """The run's two best-matched extracted motifs (by Tomtom p-value), for ``--motifs`` unset."""
    path = rundir.motif_file(run, rundir.MOTIFS_MATCHES)
    if not path.is_file() or not rundir.motifs_finished(rundir.motifs_dir(run)):
        raise DeepMotifError(
            f"{run}: no --motifs given and no extracted motifs ({path}); "
            "run 'deepmotif motifs' first or pass --motifs A,B"
        )
    matches = pd.read_csv(path, sep="\t", dtype={"query": str})
    best = matches.sort_values("p_value", kind="stable").drop_duplicates("target_name")
    names = list(dict.fromkeys(best["query"]))[:2]
    if len(names) < 2:
        raise DeepMotifError(
            f"{run}: no --motifs given and fewer than two extracted motifs to pair; "
            "pass --motifs A,B"
        )
    return names


def _backgrounds(run, n: int, kind: str, seed: int) -> np.ndarray:
    from deepmotif.data.encoding import one_hot
    from deepmotif.data.shuffle import dinucleotide_shuffle

    test = rundir.read_run_data(run)
    labels = np.asarray(test.labels)
    if kind == "negatives":
        pool = [s for s, y in zip(test.sequences, labels) if y == 0]
        if not pool:
            raise DeepMotifError(f"{run}: its test set holds no negatives to use as backgrounds")
        seqs = [pool[i % len(pool)] for i in range(n)]
    else:
        pool = [s for s, y in zip(test.sequences, labels) if y == 1] or list(test.sequences)
        if not pool:
            raise DeepMotifError(f"{run}: its test set holds no sequences to shuffle")
        seqs = [pool[i % len(pool)] for i in range(n)]
        seqs = dinucleotide_shuffle(seqs, seed=seed)
    return one_hot(seqs, dtype=np.float32)


_FIGURE = re.compile(r"^(cooperativity|heatmap_.+|map_.+)\.(png|svg)$")


def _owned(name: str) -> bool:
    return name in OUTPUT_FILES or name == "maps.npz" or bool(_FIGURE.match(name))


def _prepare_out(out: Path, force: bool) -> None:
    """Refuse ``out`` when it is a file, holds others' files, or (without ``force``) results.

    A folder without ``dependencies.json`` holds no finished result and is replaced without
    ``force``.
    """
    clean_stale(out)  # first: an old result a killed replacement set aside comes back
    if out.exists() and not out.is_dir():
        raise DeepMotifError(f"--out {out}: exists and is a file, not a folder")
    foreign = foreign_entries(out, _owned)
    if foreign:
        raise DeepMotifError(
            f"--out {out}: holds files that are not dependency results ({foreign[0]}); "
            "choose a new or empty folder"
        )
    if (out / OUTPUT_FILES[-1]).is_file() and not force:
        raise DeepMotifError(
            f"--out {out}: already holds dependency results ({OUTPUT_FILES[-1]}); "
            "pass --force to overwrite"
        )


def dependencies(
    runs: Sequence,
    *,
    motifs: Sequence[str] | str | None = None,
    spacing=(0, 20),
    n: int = 500,
    background: str = "shuffle",
    out,
    force: bool = False,
    n_boot: int = 1000,
    min_effect: float = MIN_EFFECT,
    alpha: float = 0.05,
    batch_size: int | None = None,
    device=None,
    random_state: int = 0,
    figures: bool = True,
    truth=None,
    maps: int = 0,
    verbose: bool = True,
) -> dict:
    """Marginalise a motif pair on every run and write the comparison to ``out``.

    Parameters
    ----------
    runs : sequence of run directories
        Trained on sequences of one length.
    motifs : "A,B", (A, B) or None
        JASPAR names/ids or names of motifs in the first run's ``motifs/motifs.meme``; None:
        the first run's two best-matched extracted motifs.
    spacing : "LO-HI" or (lo, hi)
        Bases between the end of the first motif and the start of the second.
    n : int
        Backgrounds per run.
    background : {"shuffle", "negatives"}
        Dinucleotide shuffles of the run's test positives (seeded), or its test negatives.
    n_boot, min_effect, alpha
        Bootstrap samples; smallest cooperativity called a dependency (logits); level after
        Bonferroni correction.
    truth : path, optional
        Planted sites (``deepmotif simulate``'s ``.sites.tsv``) for the temporal view of the
        grammar (:mod:`deepmotif.dependencies.temporal`); default: the one recorded in each
        run's config, when it is still there. Without one the temporal view is skipped.
    maps : int
        Dependency maps (:mod:`deepmotif.dependencies.pairwise`) of the run's ``maps`` most
        confident test positives, written as ``maps.npz`` and ``map_<run>_<id>.png``.

    Returns
    -------
    dict
        ``table`` (DataFrame, the rows of dependencies.tsv), ``summary`` (dict per run, as
        dependencies.json), ``files``, ``seconds``.
    """
    from deepmotif.data.simulate import parse_spacing

    t0 = time.perf_counter()
    runs = [Path(r) for r in runs]
    if not runs:
        raise DeepMotifError("no run directory given")
    n = check_positive_int("n", n)
    n_boot = check_positive_int("n_boot", n_boot)
    if background not in BACKGROUNDS:
        raise DeepMotifError(f"--background must be one of {', '.join(BACKGROUNDS)}")
    lo, hi = parse_spacing(spacing)
    spacings = list(range(lo, hi + 1))
    out = Path(out)
    _prepare_out(out, force)
    if truth is not None and not Path(truth).is_file():  # before the work, not after
        raise DeepMotifError(f"--truth {truth}: no such file")
    loaded = []
    for run in runs:
        model, config = rundir.load_run(run)
        length = (config.get("data") or {}).get("length")
        if not length:
            raise DeepMotifError(f"{run}: config.json records no sequence length (data.length)")
        loaded.append((run, model, config, int(length)))
    lengths = {r[3] for r in loaded}
    if len(lengths) > 1:
        detail = ", ".join(f"{r[0]} ({r[3]} bp)" for r in loaded)
        raise DeepMotifError(f"the runs were trained on different lengths: {detail}")
    length = lengths.pop()
    if motifs is None:
        names = _top_motifs(runs[0])
    else:
        names = [m.strip() for m in motifs.split(",")] if isinstance(motifs, str) else list(motifs)
        if len(names) != 2:
            raise DeepMotifError(f"--motifs needs two names A,B, got {len(names)}: {motifs!r}")
    a, b = (resolve_motif(nm, runs[0]) for nm in names)
    widest = len(a["consensus"]) + len(b["consensus"]) + hi
    if widest > length:
        raise DeepMotifError(
            f"--spacing {lo}-{hi}: {a['name']} ({len(a['consensus'])} bp) and {b['name']} "
            f"({len(b['consensus'])} bp) up to {hi} bp apart need {widest} bp; the runs' "
            f"sequences have {length} bp"
        )
    nulls = shuffled_motif(b["consensus"], NULL_SHUFFLES, random_state)

    tables, summary = [], {}
    for run, model, config, _ in loaded:
        t_run = time.perf_counter()
        X = _backgrounds(run, n, background, random_state)
        eff = grid_effects(
            model, X, a["consensus"], b["consensus"], spacings,
            batch_size=batch_size, device=device, verbose=verbose,
        )  # fmt: skip
        table = cooperativity_table(
            eff, spacings, motif_a=a["name"], motif_b=b["name"], n_boot=n_boot,
            random_state=random_state,
        )  # fmt: skip
        null_sizes = []
        for shuffled in nulls:
            null_eff = grid_effects(
                model, X[:NULL_BACKGROUNDS], a["consensus"], shuffled, spacings,
                batch_size=batch_size, device=device,
            )  # fmt: skip
            null = cooperativity_table(null_eff, spacings, n_boot=2, random_state=random_state)
            null_sizes.append(float(null["cooperativity"].abs().max()))
        threshold = max(null_sizes) if null_sizes else 0.0
        table = mark_significant(table, threshold, alpha=alpha, min_effect=min_effect)
        label = _label(run, runs)
        sites = _read_truth(run, truth)
        table.insert(0, "arch", config["arch"])
        table.insert(0, "run", label)
        tables.append(table)
        sig = table[table["significant"]]
        pool = sig if len(sig) else table  # the strongest dependency, else the largest synergy
        best = pool.loc[pool["cooperativity"].idxmax()]
        summary[label] = {
            "run": str(run),
            "arch": config["arch"],
            "best": {
                "order": best["order"],
                "orientation": best["orientation"],
                "spacing": int(best["spacing"]),
                "cooperativity": float(best["cooperativity"]),
                "ci_low": float(best["ci_low"]),
                "ci_high": float(best["ci_high"]),
                "p_adjusted": float(best["p_adjusted"]),
                "significant": bool(best["significant"]),
            },
            "significant": bool(table["significant"].any()),
            "n_significant": int(table["significant"].sum()),
            "n_sub_additive": int(table["sub_additive"].sum()),
            "null_threshold": threshold,
            "temporal": _temporal_view(run, model, a["name"], b["name"], sites, device),
            "planted": _planted(table, label, a, b, sites),
            "seconds": time.perf_counter() - t_run,
        }
    full = pd.concat(tables, ignore_index=True)
    # one unit: written into a temporary sibling of ``out`` that takes its place when complete
    with atomic_dir(out, marker=OUTPUT_FILES[-1]) as stage:
        files = []
        with atomic_path(stage / "dependencies.tsv") as tmp:
            full.to_csv(tmp, sep="\t", index=False, float_format="%.6g")
        files.append(str(stage / "dependencies.tsv"))
        if figures:
            from deepmotif.plots.curves import save_figure
            from deepmotif.plots.dependencies import cooperativity_figure, heatmap_figure

            files += save_figure(
                cooperativity_figure(full), stage / "cooperativity", ("png", "svg")
            )
            for label in summary:
                sub = full[full["run"] == label]
                files += save_figure(
                    heatmap_figure(sub, title=label), stage / f"heatmap_{_safe(label)}"
                )
        info = {
            "motifs": {"a": a, "b": b},
            "spacing": [lo, hi],
            "background": background,
            "n_backgrounds": n,
            "n_boot": n_boot,
            "alpha": alpha,
            "min_effect": min_effect,
            "null": {"shuffles_of_b": nulls, "n_backgrounds": min(n, NULL_BACKGROUNDS)},
            "n_configurations": len(spacings) * 8,
            "runs": summary,
            "columns": ["run", "arch", *COLUMNS],
        }
        if maps:
            files += _write_maps(loaded, runs, maps, stage, batch_size, device, figures, verbose)
            info["maps"] = maps
        write_json(stage / "dependencies.json", info)  # last: marks the results complete
        files.append(str(stage / "dependencies.json"))
    files = [str(out / Path(f).name) for f in files]
    return {"table": full, "summary": info, "files": files, "seconds": time.perf_counter() - t0}


def _write_maps(
    loaded, runs, k: int, out: Path, batch_size, device, figures: bool, verbose: bool
) -> list[str]:
    """Dependency maps of each run's ``k`` most confident test positives."""
    from tqdm.auto import tqdm

    from deepmotif.dependencies.pairwise import dependency_map
    from deepmotif.rundir.npz import NpzStream

    arrays, files = {}, []
    bar = tqdm(total=k * len(loaded), desc="dependency maps", unit="seq", disable=not verbose)
    for run, model, _config, _ in loaded:
        label = _label(run, runs)
        test = rundir.read_run_data(run)
        pos = np.nonzero(np.asarray(test.labels) == 1)[0]
        top = pos[np.argsort(-test.meta["scores"][pos], kind="stable")[:k]]
        for i in top:
            x = test.subset([i]).one_hot()[0]
            dmap = dependency_map(model, x, batch_size=batch_size, device=device)
            bar.update(1)
            key = f"{_safe(label)}__{_safe(test.ids[i])}"
            arrays[key] = dmap
            if figures:
                from deepmotif.plots.curves import save_figure
                from deepmotif.plots.dependencies import dependency_map_figure

                fig = dependency_map_figure(
                    dmap, test.sequences[i], title=f"{label}: {test.ids[i]}"
                )
                files += save_figure(fig, out / f"map_{key}")
    bar.close()
    stream = NpzStream(out / "maps.npz")
    try:
        for key, value in arrays.items():
            stream.put(key, value)
        stream.finish()
    except BaseException:
        stream.close()
        raise
    return [*files, str(out / "maps.npz")]


def _read_truth(run, truth) -> tuple[Path, pd.DataFrame] | None:
    """The run's planted sites (``truth``, else the file its config records) and their path."""
    from deepmotif.dependencies.temporal import truth_path

    path = truth_path(run, truth)
    return None if path is None else (path, pd.read_csv(path, sep="\t"))


def _temporal_view(run, model, name_a: str, name_b: str, truth, device) -> dict | None:
    """The temporal view on the run's test positives that hold both planted sites (``truth``:
    ``(path, sites)`` from :func:`_read_truth`), or None."""
    from deepmotif.dependencies.temporal import grammar_spans, temporal_summary
    from deepmotif.explain.registry import get_method

    if truth is None:
        return None
    path, sites = truth
    test = rundir.read_run_data(run)
    pos = np.nonzero(np.asarray(test.labels) == 1)[0]
    spans = grammar_spans(sites, [test.ids[i] for i in pos], name_a, name_b)
    keep = pos[spans[:, 0] >= 0]
    if len(keep) == 0:
        return None
    scores = get_method("temporal").compute(model, test.subset(keep).one_hot(), device=device)
    summary = temporal_summary(scores["forward"], scores["backward"], spans[spans[:, 0] >= 0])
    summary["truth"] = str(path)
    return summary


#: A then B on one strand, and the same arrangement read on the other strand.
PLANTED = ("AB ++", "BA --")


def _planted(table: pd.DataFrame, label: str, a: dict, b: dict, truth) -> dict | None:
    """The grammar planted in the run's data (``truth``: ``(path, sites)`` from
    :func:`_read_truth`; A then B on one strand) and whether the run captured it
    (:func:`captured_grammar`); None without such a ground truth."""
    from deepmotif.dependencies.temporal import planted_grammar

    if truth is None:
        return None
    path, sites = truth
    grammar = planted_grammar(sites, a["name"], b["name"])
    if grammar is None:
        return None
    out = {
        "spacing": list(grammar["spacing"]),
        "n_positives": grammar["n_positives"],
        "truth": str(path),
    }
    sizes = (len(a["consensus"]), len(b["consensus"]))
    planted = (grammar["length_a"], grammar["length_b"])
    if sizes != planted:
        out["reason"] = (
            f"the motifs here are {sizes[0]} and {sizes[1]} bp, the planted sites {planted[0]} "
            f"and {planted[1]} bp, so their spacings differ"
        )
        return out
    return {**out, **captured_grammar(table, label, grammar["spacing"])}


def captured_grammar(table: pd.DataFrame, run: str, spacing) -> dict:
    """Did ``run`` capture a grammar planted as A then B on one strand, ``spacing`` apart?

    Its strongest significant configuration must have the planted arrangement (``AB ++``, or
    ``BA --``: the same arrangement read on the other strand) and a spacing inside the window.
    Returns ``{"captured": bool, "best": "AB ++ 6 bp" or None, "arrangement": bool,
    "spacings": "0-10"}``: ``arrangement`` says whether the strongest significant configuration
    has the planted order and orientation whatever its spacing, and ``spacings`` lists the
    spacings at which the planted arrangement (either reading) is significant, so that a model
    whose synergy extends past the planted window can be told from one that learnt another
    arrangement.
    """
    sig = table[(table["run"] == run) & table["significant"].astype(bool)]
    planted = sig[(sig["order"] + " " + sig["orientation"]).isin(PLANTED)]
    spacings = _ranges(sorted({int(s) for s in planted["spacing"]}))
    if sig.empty:
        return {"captured": False, "best": None, "arrangement": False, "spacings": spacings}
    top = sig.loc[sig["cooperativity"].idxmax()]  # dependencies are positive (synergy)
    arrangement = f"{top['order']} {top['orientation']}" in PLANTED
    inside = spacing[0] <= int(top["spacing"]) <= spacing[1]
    best = f"{top['order']} {top['orientation']} {int(top['spacing'])} bp"
    return {
        "captured": bool(arrangement and inside),
        "best": best,
        "arrangement": bool(arrangement),
        "spacings": spacings,
    }


def _ranges(values: list[int]) -> str:
    """``[0, 1, 2, 5, 7, 8]`` -> ``"0-2, 5, 7-8"``."""
    runs: list[list[int]] = []
    for v in values:
        if runs and v == runs[-1][-1] + 1:
            runs[-1].append(v)
        else:
            runs.append([v])
    return ", ".join(str(r[0]) if len(r) == 1 else f"{r[0]}-{r[-1]}" for r in runs)


def capture_phrase(c: dict) -> str:
    """What a run learnt of the planted grammar, from :func:`captured_grammar`'s answer."""
    if c["captured"]:
        return f"captured the planted order and spacing (strongest: {c['best']})"
    if c["arrangement"]:
        return (
            f"the planted order and orientation, but strongest at {c['best']}, outside the "
            f"planted spacings (significant at {c['spacings']} bp)"
        )
    if c["best"]:
        return f"strongest significant configuration {c['best']}, not the planted one"
    return "no dependency beyond the null"


def verdict_line(label: str, run: dict) -> str:
    """One line per run for the CLI: dependency or not, and the strongest configuration."""
    best = run["best"]
    verdict = "a dependency" if run["significant"] else "no dependency"
    line = (
        f"{label} ({run['arch']}): {verdict}; strongest {best['order']} {best['orientation']} "
        f"spacing {best['spacing']}: cooperativity {best['cooperativity']:.2f} "
        f"[{best['ci_low']:.2f}, {best['ci_high']:.2f}], null {run['null_threshold']:.2f}"
    )
    planted = run.get("planted")
    if planted:
        lo, hi = planted["spacing"]
        what = capture_phrase(planted) if "captured" in planted else planted["reason"]
        line += f"\n  planted grammar (A then B, {lo}-{hi} bp apart, one strand): {what}"
    t = run.get("temporal")
    if t and t.get("forward_needs_both") is not None:
        line += (
            f"\n  temporal: the forward score calls a grammar positive bound only after reading "
            f"both motifs in {100 * t['forward_needs_both']:.0f}% of {t['n_forward_crossing']} "
            f"positives (median {t['forward_after_right_end']:+.0f} bp from the right motif's end)"
        )
    return line


def _label(run: Path, runs: list[Path]) -> str:
    """A short unique label: the run folder's name, with its parent when names repeat."""
    names = [r.name for r in runs]
    return run.name if names.count(run.name) == 1 else f"{run.parent.name}/{run.name}"


def _safe(text: str) -> str:
    import re

    return re.sub(r"[^A-Za-z0-9._-]+", "_", text)
