"""``run_motifs``: extract a run's motifs, match them to JASPAR (or a MEME file), write it all.

Output directory (``out``)::

    motifs.meme    the extracted motifs (MEME format), named <arch>-<source>-<k>
    matches.tsv    Tomtom matches, top k per motif (columns: deepmotif.motifs.match)
    motifs.json    run, arch, known TF, sources, the attribution method behind the saliency
                   source (``attribution``), database (JASPAR release, collection,
                   taxonomic group, or the MEME file), each motif's statistics, the best match
                   per source, the known TF's best rank per motif over all targets
                   (``tf_matches``), why a source found no motif (``no_motif``: source ->
                   reason; absent sources found some), and the time taken by each step
    <motif>.png    each motif's logo above its best match's logo, in the matching orientation
                   (the motif alone when it has no match)
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import numpy as np

from deepmotif.errors import DeepMotifError, check_positive_int
from deepmotif.motifs.match import rows_where
from deepmotif.rundir.layout import MOTIF_FILES, MOTIFS_JSON, MOTIFS_MATCHES, MOTIFS_MEME

__all__ = ["OUTPUT_FILES", "run_motifs"]

OUTPUT_FILES = MOTIF_FILES
_PNG = re.compile(r".+-(optimize|saliency|filters)-\d+\.png$")


def _owned(name: str) -> bool:
    return name in OUTPUT_FILES or bool(_PNG.match(name))


def _prepare_out(out: Path, force: bool) -> None:
    """Refuse ``out`` when it is a file, holds others' files, or (without ``force``) results.

    A folder without ``motifs.json`` holds no finished result (an interrupted write of an
    older version) and is replaced without ``force``.
    """
    from deepmotif.atomic import clean_stale, foreign_entries

    clean_stale(out)  # first: an old result a killed replacement set aside comes back
    if out.exists() and not out.is_dir():
        raise DeepMotifError(f"--out {out}: exists and is a file, not a directory")
    foreign = foreign_entries(out, _owned)
    if foreign:
        raise DeepMotifError(
            f"--out {out}: holds files that are not motif results ({foreign[0]}); "
            "choose a new or empty folder"
        )
    if (out / MOTIFS_JSON).is_file() and not force:
        raise DeepMotifError(
            f"--out {out}: already holds motif results ({MOTIFS_JSON}); pass --force to overwrite"
        )
    probe = out
    while not probe.exists():
        probe = probe.parent
    import os

    if not probe.is_dir() or not os.access(probe, os.W_OK | os.X_OK):
        raise DeepMotifError(f"--out {out}: cannot write to {probe}")


def _read_data(data, config: dict, run_dir):
    from deepmotif.data.dataset import SequenceDataset

    if data is None:
        from deepmotif.rundir import read_run_data

        return read_run_data(run_dir)
    if isinstance(data, SequenceDataset):
        return data
    from deepmotif.data import read_dataset

    length = (config.get("data") or {}).get("length")
    return read_dataset(data, length=length)


def _tf_matches(every, tf: str) -> dict:
    """Per motif, the best-ranked database matrix naming ``tf`` among all targets."""
    from deepmotif.motifs.recovery import same_tf

    hits = rows_where(every, (same_tf(n, tf) for n in every["target_name"]))
    out = {}
    for query, rows in hits.groupby("query", sort=False):
        row = rows.sort_values("rank").iloc[0]
        out[str(query)] = {
            "rank": int(row["rank"]),
            "target_id": str(row["target_id"]),
            "target_name": str(row["target_name"]),
            "p_value": float(row["p_value"]),
            "q_value": float(row["q_value"]),
        }
    return out


def _best_per_source(matches, motifs, sources) -> dict:
    best = {}
    by_name = {m.name: m.source for m in motifs}
    for source in sources:
        sub = rows_where(matches, (by_name.get(q) == source for q in matches["query"]))
        if len(sub) == 0:
            best[source] = None
            continue
        row = sub.sort_values(["p_value", "query"], kind="stable").iloc[0]
        best[source] = {
            k: (v.item() if hasattr(v, "item") else v) for k, v in row.to_dict().items()
        }
    return best


#: The map the saliency source cuts into seqlets when ``attribution="auto"``: the method that
#: scored best against planted sites in ``deepmotif audit`` (simulated CTCF, 4000 sequences,
#: every architecture at test AUROC >= 0.979; docs/audit.md). Integrated gradients beat
#: saliency clearly on the recurrent models (interpretation AUROC 0.944 vs 0.881 RNN, 0.961 vs
#: 0.795 CNN-RNN) and sharpened their CTCF matches (q 1.7e-19 vs 4.9e-18, 1.1e-19 vs 7.3e-15);
#: on the CNN no method beat saliency clearly (0.986; ISM 0.994), so it keeps the paper's map.
AUTO_ATTRIBUTION = {
    "cnn": "saliency",
    "rnn": "integrated-gradients",
    "cnn-rnn": "integrated-gradients",
}


def resolve_attribution(attribution: str, arch: str) -> str:
    """``"auto"`` -> :data:`AUTO_ATTRIBUTION` of ``arch``; a registered name -> itself."""
    from deepmotif.explain.registry import get_method

    if attribution == "auto":
        return AUTO_ATTRIBUTION.get(arch, "saliency")
    return get_method(attribution, kind="attribution").name


def run_motifs(
    run_dir,
    data=None,
    *,
    sources=None,
    top_k: int = 5,
    out,
    release: str | None = None,
    collection: str | None = "CORE",
    tax_group: str | None = "vertebrates",
    db=None,
    force: bool = False,
    verbose: bool = True,
    options: dict | None = None,
    figures: bool = True,
    attribution: str = "auto",
    device=None,
    objective: str | None = None,
    temperature: float | None = None,
    restarts: int | None = None,
    samples: int | None = None,
    require_signal: bool = True,
) -> dict:
    """Extract a run's motifs, match them with Tomtom and write the results to ``out``.

    Parameters
    ----------
    run_dir : str or Path
        A finished run directory.
    data : str, Path, SequenceDataset or None
        Labelled sequences for the saliency and filters sources (default: the run's own test
        set, with the predictions stored in it). A file is read at the run's sequence length.
    sources : str, sequence of str or None
        ``"optimize"``, ``"saliency"``, ``"filters"`` (a list or a comma-separated string).
        None: all three, ``filters`` only for models with convolutions. Asking ``filters`` of
        the RNN is an error.
    top_k : int
        Matches kept per motif.
    out : str or Path
        Output directory (created; refused when it holds results, unless ``force``).
    release, collection, tax_group
        JASPAR selection (default: the newest bundled release, CORE, vertebrates).
    db : str or Path, optional
        A MEME motif file to match against instead of JASPAR.
    verbose : bool
        Print progress.
    options : dict, optional
        Per-source keyword arguments (see :func:`deepmotif.motifs.extract.extract_motifs`).
    figures : bool
        Write the PNG logos.
    attribution : str
        The registered attribution method the saliency source cuts into seqlets
        (:func:`deepmotif.explain.registry.attribution_methods`), or ``auto`` (default): the
        audit's best per architecture (:data:`AUTO_ATTRIBUTION`: saliency, gradient x input,
        for the CNN; integrated gradients for the RNN and CNN-RNN). Recorded in motifs.json.
    device : str, optional
        Where the model runs (``None``: CUDA when available), for every model call.
    objective : str, optional
        Class optimization objective of the ``optimize`` source (``softmax``, ``paper`` or
        ``logit``; default ``softmax``). The source's null (the untrained architecture) is
        built with the run's seed.
    temperature : float, optional
        The ``softmax`` objective's temperature (default: 0.5 for the RNN, 1 for the others;
        0.5 also helps a CNN whose restarts all stay at the uniform input's logit:
        docs/explain.md, "The temperature").
    restarts : int, optional
        Restarts of the ``optimize`` source, for the model and its null alike (default: the
        objective's, 32 for ``softmax``; more restarts make the kept motif depend less on the
        optimisation seed, at a cost that grows with them: docs/explain.md).
    samples : int, optional
        One-hot draws per restart and step of the ``softmax`` objective, for the model and its
        null alike (default: 1 for a CNN-RNN, 0 otherwise; docs/explain.md, "One-hot draws
        for the CNN-RNN").
    require_signal : bool
        The null of the saliency and filters sources (default on): they look for motifs only
        when the model separates the sequences beyond chance
        (:func:`deepmotif.motifs.base.model_signal`). Off: they always look (for exploring a
        model on a handful of sequences, where no AUROC can beat chance).

    Returns
    -------
    dict
        ``best`` (source -> best match row as a dict, or None), ``matches`` (DataFrame),
        ``motifs`` (list of ExtractedMotif), ``run``, ``arch``, ``tf`` (known TF or None),
        ``tf_in_database``, ``tf_matches`` (motif -> the best-ranked matrix naming the known
        TF among all targets: ``rank, target_id, target_name, p_value, q_value``), ``no_motif``
        (source -> why it found no motif), ``sources``, ``attribution``, ``database`` (provenance), ``timings`` (seconds:
        ``extract_<source>``, ``extract``, ``match``, ``figures``), ``out``, ``files``.
    """
    from deepmotif.evaluation import predict
    from deepmotif.explain.registry import get_method
    from deepmotif.motifs.extract import extract_motifs, resolve_sources
    from deepmotif.motifs.match import load_database, tomtom_matches
    from deepmotif.motifs.meme import as_written, write_meme
    from deepmotif.motifs.recovery import known_tf, same_tf
    from deepmotif.rundir import load_run, write_json

    t_start = time.perf_counter()
    top_k = check_positive_int("top_k", top_k)
    if attribution != "auto":
        attribution = get_method(attribution, kind="attribution").name
    out = Path(out)
    _prepare_out(out, force)
    model, config = load_run(run_dir)
    arch = config["arch"]
    attribution = resolve_attribution(attribution, arch)
    chosen = resolve_sources(sources, model)
    database = load_database(release, collection, tax_group, db)
    ds = _read_data(data, config, run_dir)
    if len(ds) == 0:
        raise DeepMotifError(f"{ds.path or 'data'}: no sequences")
    labels = np.asarray(ds.labels).astype(int)
    if (labels < 0).any():
        raise DeepMotifError(
            f"{ds.path or 'data'}: the motif sources need labelled sequences (1 / 0)"
        )
    X = ds.one_hot()
    scores = ds.meta.get("scores") if data is None else None
    if scores is None and ("saliency" in chosen):
        scores = predict(model, X, device=device)
    length = (config.get("data") or {}).get("length") or ds.length
    t_load = time.perf_counter() - t_start
    if verbose:
        print(f"{run_dir}: {arch}, {len(ds)} sequences, sources {', '.join(chosen)}", flush=True)

    options = dict(options or {})
    opt = dict(options.get("optimize") or {})
    opt.setdefault("seed", int(config.get("seed") or 0))
    if objective is not None:
        opt.setdefault("objective", objective)
    if temperature is not None:
        opt.setdefault("temperature", temperature)
    if restarts is not None:
        opt.setdefault("n_restarts", int(restarts))
    if samples is not None:
        opt.setdefault("samples", int(samples))
    options["optimize"] = opt
    ext = extract_motifs(
        model,
        X,
        labels,
        scores,
        sources=chosen,
        arch=arch,
        length=length,
        options=options,
        attribution=attribution,
        device=device,
        verbose=verbose,
        require_signal=require_signal,
    )
    for m in ext.motifs:  # match exactly what motifs.meme will hold
        m.pwm = as_written(m.pwm)
    t0 = time.perf_counter()
    every = tomtom_matches(ext.motifs, database, top_k=len(database))
    matches = every[every["rank"] <= top_k].reset_index(drop=True)
    t_match = time.perf_counter() - t0

    from deepmotif.rundir import atomic_dir, atomic_path

    # one unit: written into a temporary sibling of ``out`` that takes its place when complete
    with atomic_dir(out, marker=MOTIFS_JSON) as stage:
        write_meme(stage / MOTIFS_MEME, ext.motifs)
        with atomic_path(stage / MOTIFS_MATCHES) as tmp:
            matches.to_csv(tmp, sep="\t", index=False)
        files = [MOTIFS_MEME, MOTIFS_MATCHES]

        t0 = time.perf_counter()
        if figures:
            files += [Path(f).name for f in _write_figures(stage, ext.motifs, matches, database)]
        t_fig = time.perf_counter() - t0

        tf = known_tf(run_dir)
        tf_in_db = bool(tf) and any(same_tf(n, tf) for n in database.names)
        tf_matches = _tf_matches(every, tf) if tf_in_db else {}
        best = _best_per_source(matches, ext.motifs, chosen)
        timings = {f"extract_{s}": v for s, v in ext.seconds.items()}
        timings.update(
            load=t_load, extract=float(sum(ext.seconds.values())), match=t_match, figures=t_fig,
            total=time.perf_counter() - t_start,
        )  # fmt: skip
        info = {
            "run": str(run_dir),
            "arch": arch,
            "tf": tf,
            "tf_in_database": tf_in_db if tf else None,
            "data": ds.path if data is not None else "the run's test set",
            "n_sequences": len(ds),
            "sources": chosen,
            "attribution": attribution,
            "objective": opt.get("objective", "softmax") if "optimize" in chosen else None,
            "top_k": top_k,
            "database": database.info,
            "motifs": [m.summary() for m in ext.motifs],
            "best": best,
            "tf_matches": tf_matches,
            "no_motif": dict(ext.empty),
            "timings": timings,
        }
        write_json(stage / MOTIFS_JSON, info)  # last: marks the results complete
        files.append(MOTIFS_JSON)
    files = [str(out / f) for f in files]
    if verbose:
        for source, row in best.items():
            if source in ext.empty:
                print(f"{source}: no motif found ({ext.empty[source]})", flush=True)
            elif row is None:
                print(f"{source}: no database match", flush=True)
            else:
                print(
                    f"{source}: best match {row['target_name']} ({row['target_id']}) for "
                    f"{row['query']}, p={row['p_value']:.2g}, q={row['q_value']:.2g}",
                    flush=True,
                )
        print(f"written to {out} ({database.label})", flush=True)
    return {
        "best": best,
        "matches": matches,
        "motifs": ext.motifs,
        "run": str(run_dir),
        "arch": arch,
        "tf": tf,
        "tf_in_database": info["tf_in_database"],
        "tf_matches": tf_matches,
        "no_motif": dict(ext.empty),
        "sources": chosen,
        "attribution": attribution,
        "database": database.info,
        "timings": timings,
        "out": str(out),
        "files": files,
    }


def _write_figures(out: Path, motifs, matches, database) -> list[str]:
    from deepmotif.plots.curves import save_figure
    from deepmotif.plots.motifs import match_figure, motif_figure

    index = {tid: i for i, tid in enumerate(database.ids)}
    written = []
    for m in motifs:
        rows = matches[matches["query"] == m.name]
        title = f"{m.name} ({m.n_sites} sites)"
        if len(rows):
            r = rows.iloc[0]
            target = database.pwms[index[r["target_id"]]]
            fig = match_figure(
                m.pwm, target, int(r["offset"]), r["orientation"], query_title=title,
                target_title=f"{r['target_name']} {r['target_id']}  p={r['p_value']:.2g} q={r['q_value']:.2g}",
            )  # fmt: skip
        else:
            fig = motif_figure(m.pwm, title=title)
        written += save_figure(fig, out / m.name)
    return written
