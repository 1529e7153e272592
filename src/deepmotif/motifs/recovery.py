"""Did the motifs recover the TF the data came from?

Known TF
--------
:func:`known_tf` reads it from the run's config: the first planted TF of a simulation
(``data.train.meta.simulation.tfs``, or ``data.train.ground_truth.tfs`` for a simulated FASTA
file with its ``.sites.tsv``), otherwise the data file name up to the first ``_``
(``REST_GM12878_NRSF_HudsonAlpha_AC.seq.gz`` -> ``REST``), trusted for DeepBind files always and
for other files only when it is the name of a JASPAR motif.

Recovered
---------
A source recovers the TF when, for at least one of its motifs, a Tomtom match among that
motif's ``top_k`` best has ``q_value < q_threshold`` (default 0.05) and names the TF:

* names are compared case-insensitively and in full (``CTCF`` is not ``CTCFL``);
* a dimer (``MAX::MYC``) names each of its parts, so ``MAX::MYC`` counts for MYC (and MAX);
* ``paralog`` is reported separately, never counted as recovered: a match whose name (or a
  part of it) has the same *stem* as the TF, the stem being the name without trailing digits,
  and without a final letter that follows a digit (``FOXA1``/``FOXA2`` -> ``FOXA``,
  ``ZBTB7A``/``ZBTB7B`` -> ``ZBTB7``, ``ELK1``/``ELK4`` -> ``ELK``). Tomtom cannot tell
  paralogs with the same binding specificity apart, so this column shows when the motif is
  right but the name is a sibling's.
* ``any_rank`` is reported separately too: the TF's own matrix matches the motif with
  ``q_value < q_threshold`` at any rank among all targets (``run_motifs`` records the TF's best
  rank per motif in ``motifs.json``). Large families of near-identical matrices (ETS, forkhead)
  can push the TF's matrix below the top k while it still matches significantly.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

from deepmotif.errors import DeepMotifError
from deepmotif.motifs.match import rows_where
from deepmotif.rundir.layout import MOTIFS_JSON, MOTIFS_MATCHES, motifs_dir

__all__ = [
    "RESULTS_FILE",
    "known_tf",
    "name_parts",
    "recovery",
    "recovery_summary",
    "recovery_table",
    "same_tf",
    "same_stem",
]

#: The summary file :func:`deepmotif.motifs.run.run_motifs` writes beside matches.tsv.
RESULTS_FILE = MOTIFS_JSON


def name_parts(name: str) -> list[str]:
    """Upper-case TF names in a JASPAR name: ``"MAX::MYC"`` -> ``["MAX", "MYC"]``."""
    return [p.strip().upper() for p in str(name).split("::") if p.strip()]


def same_tf(target_name: str, tf: str) -> bool:
    """Whether a database motif name names ``tf`` (case-insensitive; dimers by their parts)."""
    return tf.strip().upper() in name_parts(target_name)


def _stem(name: str) -> str:
    name = name.upper()
    stripped = re.sub(r"\d+$", "", name)
    if stripped == name:
        stripped = re.sub(r"(?<=\d)[A-Z]$", "", name)
        stripped = re.sub(r"\d+$", "", stripped)
    return stripped or name


def same_stem(target_name: str, tf: str) -> bool:
    """Whether a database motif name has a part with the same stem as ``tf`` (see above)."""
    stem = _stem(tf.strip())
    return any(_stem(p) == stem for p in name_parts(target_name))


def known_tf(run_dir) -> str | None:
    """The TF a run's training data came from, or None when unknown (see the module docstring)."""
    from deepmotif.rundir import read_config

    config = read_config(run_dir)
    train = ((config.get("data") or {}).get("train")) or {}
    sim = (train.get("meta") or {}).get("simulation") or {}
    if sim.get("tfs"):
        return str(sim["tfs"][0])
    truth = train.get("ground_truth") or {}
    if truth.get("tfs"):
        return str(truth["tfs"][0])
    path = train.get("path")
    if not path:
        return None
    token = re.split(r"[_.\-]", Path(path).name)[0]
    if not token:
        return None
    if train.get("format") == "deepbind":
        return token
    from deepmotif import jaspar

    names = {
        p for m in jaspar.load_motifs(collection=None, tax_group=None) for p in name_parts(m.name)
    }
    return token if token.upper() in names else None


def recovery(
    matches: pd.DataFrame,
    tf: str | None,
    *,
    top_k: int = 5,
    q_threshold: float = 0.05,
    tf_matches: dict | None = None,
) -> dict:
    """Whether one set of matches (one source, or all) recovers ``tf``.

    Parameters
    ----------
    matches : pandas.DataFrame
        Rows of a match table (columns ``query, rank, target_name, q_value``).
    tf : str or None
    top_k, q_threshold
        A hit counts when ``rank <= top_k`` and ``q_value < q_threshold``.
    tf_matches : dict, optional
        Motif -> the best-ranked matrix naming the TF among *all* targets (``rank``,
        ``q_value``; from ``run_motifs``); only the motifs in ``matches`` are read.

    Returns
    -------
    dict
        ``recovered`` (bool), ``paralog`` (bool), ``motif``, ``rank``, ``target``, ``q_value`` of
        the best TF hit (None when not recovered), ``top_target``, ``top_q_value`` of the most
        significant hit overall, and with ``tf_matches`` ``tf_rank``, ``tf_q_value`` (the TF's
        most significant matrix over all targets, any rank) and ``any_rank`` (that q-value is
        below ``q_threshold``).
    """
    out = {
        "recovered": False,
        "paralog": False,
        "motif": None,
        "rank": None,
        "target": None,
        "q_value": None,
        "top_target": None,
        "top_q_value": None,
        "n_motifs": int(matches["query"].nunique()) if len(matches) else 0,
        "tf_rank": None,
        "tf_q_value": None,
        "any_rank": False,
    }
    if tf_matches:
        mine = [tf_matches[q] for q in set(matches["query"]) if q in tf_matches]
        if mine:
            best = min(mine, key=lambda r: (r["q_value"], r["rank"]))
            out["tf_rank"], out["tf_q_value"] = int(best["rank"]), float(best["q_value"])
            out["any_rank"] = bool(best["q_value"] < q_threshold)
    if len(matches) == 0:
        return out
    top = matches.sort_values(["q_value", "p_value"], kind="stable").iloc[0]
    out["top_target"], out["top_q_value"] = str(top["target_name"]), float(top["q_value"])
    if not tf:
        return out
    hits = matches[(matches["rank"] <= top_k) & (matches["q_value"] < q_threshold)]
    exact = rows_where(hits, (same_tf(n, tf) for n in hits["target_name"]))
    if len(exact):
        best = exact.sort_values(["q_value", "rank"], kind="stable").iloc[0]
        out.update(
            recovered=True,
            motif=str(best["query"]),
            rank=int(best["rank"]),
            target=str(best["target_name"]),
            q_value=float(best["q_value"]),
        )
    out["paralog"] = bool(any(same_stem(n, tf) and not same_tf(n, tf) for n in hits["target_name"]))
    return out


def _load_result(item) -> dict:
    """``{"matches", "tf", "arch", "sources", "run", "tf_in_database"}`` from a result or a path."""
    if isinstance(item, dict):
        return {
            "matches": item["matches"],
            "tf": item.get("tf"),
            "arch": item.get("arch"),
            "sources": item.get("sources", []),
            "run": str(item.get("run", "")),
            "tf_in_database": item.get("tf_in_database"),
            "tf_matches": item.get("tf_matches") or {},
        }
    path = Path(item)
    for candidate in (path, motifs_dir(path)):
        if (candidate / RESULTS_FILE).is_file() and (candidate / MOTIFS_MATCHES).is_file():
            info = json.loads((candidate / RESULTS_FILE).read_text())
            matches = pd.read_csv(candidate / MOTIFS_MATCHES, sep="\t", dtype={"query": str})
            return {
                "matches": matches,
                "tf": info.get("tf"),
                "arch": info.get("arch"),
                "sources": info.get("sources", []),
                "run": info.get("run", str(path)),
                "tf_in_database": info.get("tf_in_database"),
                "tf_matches": info.get("tf_matches") or {},
            }
    raise DeepMotifError(
        f"{path}: no motif results ({RESULTS_FILE} and matches.tsv); run 'deepmotif motifs' first"
    )


def recovery_table(
    run_dirs_or_results, *, top_k: int = 5, q_threshold: float = 0.05
) -> pd.DataFrame:
    """Recovery per run and source, for a benchmark table.

    Parameters
    ----------
    run_dirs_or_results : iterable
        Each a dict returned by :func:`deepmotif.motifs.run.run_motifs`, or a directory holding
        its output (``motifs.json`` + ``matches.tsv``), or a run directory whose ``motifs/``
        holds it.
    top_k, q_threshold
        See :func:`recovery`.

    Returns
    -------
    pandas.DataFrame
        One row per run and source (plus a source ``"any"`` per run: recovered by at least one
        source), columns ``tf, arch, source, recovered, paralog, any_rank, motif, rank, target,
        q_value, tf_rank, tf_q_value, top_target, top_q_value, n_motifs, tf_in_database, run``
        (see :func:`recovery`).
    """
    rows = []
    for item in run_dirs_or_results:
        res = _load_result(item)
        matches = res["matches"]
        tfm = res["tf_matches"]
        sources = list(res["sources"]) or sorted({_source_of(q) for q in matches["query"]})
        per = []
        for source in sources:
            sub = rows_where(matches, (_source_of(q) == source for q in matches["query"]))
            r = recovery(sub, res["tf"], top_k=top_k, q_threshold=q_threshold, tf_matches=tfm)
            per.append(r)
            rows.append({"tf": res["tf"], "arch": res["arch"], "source": source, **r,
                         "tf_in_database": res["tf_in_database"], "run": res["run"]})  # fmt: skip
        r_any = recovery(matches, res["tf"], top_k=top_k, q_threshold=q_threshold, tf_matches=tfm)
        rows.append({"tf": res["tf"], "arch": res["arch"], "source": "any", **r_any,
                     "tf_in_database": res["tf_in_database"], "run": res["run"]})  # fmt: skip
    columns = ["tf", "arch", "source", "recovered", "paralog", "any_rank", "motif", "rank",
               "target", "q_value", "tf_rank", "tf_q_value", "top_target", "top_q_value",
               "n_motifs", "tf_in_database", "run"]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def _source_of(query: str) -> str:
    """``"cnn-rnn-saliency-2"`` -> ``"saliency"``."""
    parts = str(query).split("-")
    return parts[-2] if len(parts) >= 3 else ""


def recovery_summary(
    table: pd.DataFrame, *, paralogs: bool = False, any_rank: bool = False
) -> pd.DataFrame:
    """TFs recovered out of those with a motif in the database, per architecture and source.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`recovery_table`.
    paralogs : bool
        Also count a run as recovered when only a paralog (same name stem) matched.
    any_rank : bool
        Also count a run as recovered when the TF's own matrix matches at q < the threshold
        below the top k (a family of near-identical matrices, e.g. ETS or forkhead, can push
        it down the list).

    Returns
    -------
    pandas.DataFrame
        Rows = architectures, columns = sources (and ``any``), cells ``"k/n"``; plus a row
        ``"any"`` (recovered by at least one architecture).
    """
    if len(table) == 0:
        return pd.DataFrame()
    t = table.copy()
    t = t[t["tf_in_database"].fillna(True).astype(bool)]
    sources = [s for s in ("optimize", "saliency", "filters") if s in set(t["source"])] + ["any"]
    arch_order = [a for a in ("cnn", "cnn-rnn", "rnn") if a in set(t["arch"])]
    arch_order += sorted(set(t["arch"]) - set(arch_order))
    out = []
    for arch in arch_order + ["any"]:
        row = {"arch": arch}
        for source in sources:
            sub = (
                t[t["source"] == source]
                if arch == "any"
                else t[(t["arch"] == arch) & (t["source"] == source)]
            )
            if len(sub) == 0:
                row[source] = "-"
                continue
            hit = sub["recovered"].astype(bool)
            if paralogs:
                hit = hit | sub["paralog"].astype(bool)
            if any_rank:
                hit = hit | sub["any_rank"].fillna(False).astype(bool)
            per_tf = hit.groupby(sub["tf"]).any()
            row[source] = f"{int(per_tf.sum())}/{len(per_tf)}"
        out.append(row)
    return pd.DataFrame(out, columns=["arch", *sources])
