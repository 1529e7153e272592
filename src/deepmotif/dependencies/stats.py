"""Cooperativity with bootstrap intervals, and when to call it a dependency.

A configuration (order, orientation, spacing) is a **dependency** (``significant``) when the
two motifs count for more together than apart and all of this holds:

1. its mean cooperativity is positive and differs from 0 beyond chance: a z test with the
   bootstrap standard error over backgrounds, Bonferroni-corrected for the number of
   configurations tested (``p_adjusted < alpha``);
2. its whole 95% interval lies above the **null**: the same grid with B replaced by shuffles of
   its own columns (same length and base composition, no longer the motif the model knows),
   whose largest absolute cooperativity says how big an "interaction" any planted k-mer next
   to A shows by itself (junctions that form new k-mers included);
3. it is at least ``min_effect`` logits (default 0.5: odds x 1.65), so that with many
   backgrounds a tiny but real non-additivity is not called a dependency.

The mirror image (negative, interval below minus the null, at least ``min_effect`` in size) is
marked ``sub_additive``: the pair counts for less than its parts. It is not called a
dependency: any model that pools (max or mean) shows it as soon as B resembles A a little (two
copies of a site saturate), so it says nothing about a grammar.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from deepmotif.dependencies.marginalize import ORDERS, ORIENTATIONS, GridEffects

__all__ = ["COLUMNS", "MIN_EFFECT", "cooperativity_table", "mark_significant", "shuffled_motif"]

#: Columns of ``dependencies.tsv`` (``run`` and ``arch`` are added per run).
COLUMNS = [
    "motif_a",
    "motif_b",
    "order",
    "orientation",
    "spacing",
    "effect_a",
    "effect_b",
    "effect_ab",
    "cooperativity",
    "ci_low",
    "ci_high",
    "se",
    "p_value",
    "p_adjusted",
    "significant",
    "sub_additive",
]

#: Smallest cooperativity (logits) called a dependency.
MIN_EFFECT = 0.5


def _bootstrap_means(values: np.ndarray, n_boot: int, rng) -> np.ndarray:
    """Bootstrap means of each row of ``values`` (C, n) over its columns: (C, n_boot)."""
    n = values.shape[1]
    counts = rng.multinomial(n, np.full(n, 1.0 / n), size=n_boot).astype(np.float64)  # (B, n)
    return values @ counts.T / n


def cooperativity_table(
    effects: GridEffects,
    spacings: Sequence[int],
    *,
    motif_a: str = "A",
    motif_b: str = "B",
    n_boot: int = 1000,
    random_state: int = 0,
) -> pd.DataFrame:
    """One row per order x orientation x spacing: mean effects, cooperativity, 95% bootstrap
    interval (percentile), bootstrap standard error and the z-test p-value (unadjusted).

    ``effect_a`` / ``effect_b`` are the effects of A and B alone at the positions they take in
    that arrangement; ``effect_ab`` of both.
    """
    spacings = [int(s) for s in spacings]
    rows, coop_rows = [], []
    for order in ORDERS:
        for orient in ORIENTATIONS:
            o1, o2 = orient[0], orient[1]
            f0 = effects.base[None, :]
            f1 = effects.first[(order, o1)][None, :]
            f2 = effects.second[(order, o2)]
            f12 = effects.both[(order, orient)]
            coop = f12 - f1 - f2 + f0  # (S, n)
            e_first = (f1 - f0).mean(axis=1).repeat(len(spacings))
            e_second = (f2 - f0).mean(axis=1)
            e_both = (f12 - f0).mean(axis=1)
            a_first = order == "AB"
            for j, s in enumerate(spacings):
                rows.append(
                    {
                        "motif_a": motif_a,
                        "motif_b": motif_b,
                        "order": order,
                        "orientation": orient,
                        "spacing": s,
                        "effect_a": float(e_first[j] if a_first else e_second[j]),
                        "effect_b": float(e_second[j] if a_first else e_first[j]),
                        "effect_ab": float(e_both[j]),
                        "cooperativity": float(coop[j].mean()),
                    }
                )
            coop_rows.append(coop)
    table = pd.DataFrame(rows)
    coop = np.concatenate(coop_rows)  # (C, n)
    boot = _bootstrap_means(coop, n_boot, np.random.default_rng(random_state))
    table["ci_low"] = np.percentile(boot, 2.5, axis=1)
    table["ci_high"] = np.percentile(boot, 97.5, axis=1)
    se = boot.std(axis=1, ddof=1)
    table["se"] = se
    z = np.divide(
        np.abs(table["cooperativity"].to_numpy()),
        se,
        out=np.full(len(se), np.inf),
        where=se > 0,
    )
    z = np.where((se == 0) & (table["cooperativity"].to_numpy() == 0), 0.0, z)
    table["p_value"] = [math.erfc(v / math.sqrt(2)) for v in z]
    return table


def mark_significant(
    table: pd.DataFrame,
    null_threshold: float,
    *,
    alpha: float = 0.05,
    min_effect: float = MIN_EFFECT,
) -> pd.DataFrame:
    """Add ``p_adjusted`` (Bonferroni over the table's rows), ``significant`` (a dependency:
    synergy beyond the null) and ``sub_additive`` (its mirror image; see the module docstring)."""
    table = table.copy()
    table["p_adjusted"] = np.minimum(1.0, table["p_value"].to_numpy() * len(table))
    coop = table["cooperativity"]
    beyond_chance = table["p_adjusted"] < alpha
    table["significant"] = beyond_chance & (coop >= min_effect) & (table["ci_low"] > null_threshold)
    table["sub_additive"] = (
        beyond_chance & (coop <= -min_effect) & (table["ci_high"] < -null_threshold)
    )
    return table[COLUMNS]


def shuffled_motif(motif: str, k: int, random_state: int = 0) -> list[str]:
    """``k`` shuffles of the motif's columns, none equal to the motif or its reverse
    complement (when the motif's composition allows it)."""
    from deepmotif.dependencies.marginalize import reverse_complement

    rng = np.random.default_rng(random_state)
    letters = np.array(list(motif))
    out = []
    for _ in range(50 * k):
        cand = "".join(rng.permutation(letters))
        if cand not in (motif, reverse_complement(motif)) or len(set(motif)) == 1:
            out.append(cand)
        if len(out) == k:
            break
    return out
