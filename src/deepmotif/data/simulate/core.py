"""The simulation itself: argument checks, sampling and placing sites, :func:`simulate`.

The design is described in :mod:`deepmotif.data.simulate`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from deepmotif.data.dataset import SequenceDataset
from deepmotif.data.simulate.decoys import _rc, choose_decoys
from deepmotif.errors import DeepMotifError, check, check_positive_int
from deepmotif.jaspar import Motif
from deepmotif.limits import check_memory

__all__ = ["DEFAULTS", "SITE_COLUMNS", "Simulation", "parse_spacing", "simulate"]

#: Defaults shared by :func:`simulate` and ``deepmotif simulate``.
DEFAULTS = {
    "n": 2000,
    "length": 101,
    "decoys": 2,
    "gc": 0.41,
    "seed": 0,
    "spacing": (2, 10),  # used in grammar mode when no spacing is given
}

#: Columns of :attr:`Simulation.sites` and of the ``.sites.tsv`` file, in order.
SITE_COLUMNS = ["seq_id", "tf", "jaspar_id", "start", "end", "strand", "label", "role"]

PALINDROME_SIMILARITY = 0.9
NEGATIVE_KINDS = ("swapped", "spaced", "single")

_BASES = np.frombuffer(b"ACGT", dtype=np.uint8)


@dataclass
class Simulation:
    """What :func:`simulate` returns.

    Attributes
    ----------
    dataset : SequenceDataset
        ``n`` sequences of length ``length``, half labelled 1, in shuffled order, ids ``sim00001``...;
        ``format`` is ``"simulated"`` and ``meta`` records the target and decoy TFs, their JASPAR
        ids, the release, seed, mode and all other arguments.
    sites : pandas.DataFrame
        One row per planted site (targets and decoys), columns :data:`SITE_COLUMNS`: ``start``
        0-based, ``end`` exclusive, ``strand`` ``+``/``-``, ``label`` of the sequence, ``role``
        ``target``/``decoy``. Sorted by sequence, then start.
    motifs : dict of str to Motif
        Every motif used, by the name in the ``tf`` column (targets first, then decoys).
    """

    dataset: SequenceDataset
    sites: pd.DataFrame
    motifs: dict[str, Motif]


# --------------------------------------------------------------------------------------------
# argument checks


def parse_spacing(text) -> tuple[int, int]:
    """Parse a spacing ``"LO-HI"`` (or a single ``"K"``, or a pair of ints) into ``(lo, hi)``.

    Raises
    ------
    DeepMotifError
        Bad syntax, negative numbers, or ``lo > hi``.
    """
    if isinstance(text, str):
        match = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", text)
        if not match:
            raise DeepMotifError(
                f"spacing must look like LO-HI with whole numbers (e.g. 2-10), got {text!r}"
            )
        lo = int(match.group(1))
        hi = int(match.group(2)) if match.group(2) is not None else lo
    else:
        try:
            lo, hi = text
        except (TypeError, ValueError):
            raise DeepMotifError(f"spacing must be a pair (lo, hi), got {text!r}") from None
        lo = check_positive_int("spacing lo", lo, allow_zero=True)
        hi = check_positive_int("spacing hi", hi, allow_zero=True)
    check(lo <= hi, f"spacing LO-HI needs LO <= HI, got {lo}-{hi}")
    return lo, hi


def _check_gc(gc) -> float:
    try:
        value = float(gc)
    except (TypeError, ValueError):
        raise DeepMotifError(f"gc must be a number between 0 and 1, got {gc!r}") from None
    check(0 < value < 1, f"gc must be between 0 and 1 (exclusive), got {gc!r}")
    return value


def _resolve(spec, release) -> Motif:
    from deepmotif.jaspar import get_motif

    if isinstance(spec, Motif):
        return spec
    return get_motif(spec, release=release)


def _as_list(specs) -> list:
    if specs is None:
        return []
    if isinstance(specs, str | Motif):
        return [specs]
    return list(specs)


def _labels(motifs: list[Motif]) -> list[str]:
    """Names for the ``tf`` column: the TF name, plus the id when two motifs share a name."""
    names = [m.name for m in motifs]
    return [f"{m.name}_{m.matrix_id}" if names.count(m.name) > 1 else m.name for m in motifs]


# --------------------------------------------------------------------------------------------
# sampling


def _sample_site(rng: np.random.Generator, cumulative: np.ndarray, strand: str) -> np.ndarray:
    """Base codes (0-3 for A, C, G, T) of one site drawn from a PWM's column-wise cumsum."""
    u = rng.random(cumulative.shape[1])
    codes = np.minimum((u[None, :] >= cumulative).sum(axis=0), 3).astype(np.uint8)
    return codes if strand == "+" else (3 - codes)[::-1]


def _place(rng: np.random.Generator, widths: list[int], length: int) -> list[int]:
    """Random non-overlapping starts for items of ``widths`` in a sequence of ``length``.

    Items are put in a random order, and the free bases are split into gaps by choosing
    ``len(widths)`` cut points among ``free + len(widths)`` slots, so every arrangement is
    equally likely and no rejection is needed.
    """
    k = len(widths)
    if k == 0:
        return []
    free = length - sum(widths)
    order = rng.permutation(k)
    cuts = np.sort(rng.permutation(free + k)[:k])
    starts = [0] * k
    before = 0
    for j, item in enumerate(order):
        starts[item] = int(cuts[j]) - j + before
        before += widths[item]
    return starts


@dataclass
class _Plan:
    """One item to place: one or two sites at fixed offsets inside a block of ``width`` bases."""

    width: int
    sites: list[tuple[int, int, str, str]]  # (motif index, offset, strand, role)


def _pair(ia: int, la: int, ib: int, lb: int, gap: int, strand: str, role: str) -> _Plan:
    """A followed by B on ``strand`` with ``gap`` bases between them."""
    width = la + gap + lb
    if strand == "+":
        return _Plan(width, [(ia, 0, "+", role), (ib, la + gap, "+", role)])
    return _Plan(width, [(ib, 0, "-", role), (ia, lb + gap, "-", role)])


def _strand(rng: np.random.Generator) -> str:
    return "+" if rng.random() < 0.5 else "-"


# --------------------------------------------------------------------------------------------
# the simulation


def simulate(
    motifs,
    *,
    n: int = DEFAULTS["n"],
    length: int = DEFAULTS["length"],
    decoys: int = DEFAULTS["decoys"],
    grammar=None,
    spacing=None,
    gc: float = DEFAULTS["gc"],
    release: str | None = None,
    seed: int = DEFAULTS["seed"],
) -> Simulation:
    """Plant JASPAR motifs in random DNA: a labelled dataset whose right answer is known.

    Parameters
    ----------
    motifs : str, Motif, or sequence of them, or None
        Target motifs: JASPAR names or ids (``"CTCF"``, ``"MA0139.2"``, see
        :func:`deepmotif.jaspar.get_motif`) or :class:`~deepmotif.jaspar.Motif` objects. In
        grammar mode it may be None; otherwise it must name the same two motifs as ``grammar``.
    n : int
        Number of sequences, even, at least 2: ``n / 2`` positives and ``n / 2`` negatives.
    length : int
        Sequence length; must hold every site a sequence gets (checked, with the need stated).
    decoys : int
        Decoy sites planted in every sequence (0 for none).
    grammar : pair of (str or Motif), optional
        ``(A, B)``: positives carry A followed by B ``spacing`` apart (see the module docstring).
    spacing : str or pair of int, optional
        Grammar mode only: ``"LO-HI"`` or ``(lo, hi)``, the gap in bases between the end of A and
        the start of B; default ``DEFAULTS["spacing"]`` = (2, 10).
    gc : float
        GC fraction of the background, in (0, 1).
    release : str, optional
        JASPAR release for names and decoys (default: the newest bundled one).
    seed : int
        Seed of the single random generator.

    Returns
    -------
    Simulation
        ``dataset`` (n sequences), ``sites`` (one row per planted site), ``motifs``.

    Raises
    ------
    DeepMotifError
        Unknown motif or release, bad ``n``/``length``/``decoys``/``gc``/``seed``/``spacing``,
        a grammar that does not name exactly two different motifs, or a length too short.
    """
    n = check_positive_int("n", n)
    check(n >= 2 and n % 2 == 0, f"n must be an even number of at least 2 (half positive), got {n}")
    length = check_positive_int("length", length)
    decoys = check_positive_int("decoys", decoys, allow_zero=True)
    seed = check_positive_int("seed", seed, allow_zero=True)
    # the letter codes, the sequences as text, and the FASTA written from them
    check_memory(4 * n * length, f"simulating {n:,} sequences of {length:,} bp")
    gc = _check_gc(gc)

    if grammar is None:
        check(spacing is None, "spacing only applies with a grammar (e.g. --grammar A,B)")
        specs = _as_list(motifs)
        check(bool(specs), "at least one target motif is needed (e.g. CTCF)")
        targets = [_resolve(s, release) for s in specs]
        mode = "default"
        lo = hi = None
    else:
        pair = _as_list(grammar)
        check(
            len(pair) == 2,
            f"a grammar needs exactly two motifs A,B, got {len(pair)}: "
            f"{', '.join(str(getattr(p, 'name', p)) for p in pair)}",
        )
        targets = [_resolve(s, release) for s in pair]
        check(
            targets[0].matrix_id != targets[1].matrix_id,
            f"a grammar needs two different motifs, got {targets[0].matrix_id} twice",
        )
        specs = _as_list(motifs)
        if specs:
            given = {_resolve(s, release).matrix_id for s in specs}
            check(
                given == {t.matrix_id for t in targets} and len(specs) == 2,
                "with a grammar, the motifs must be the grammar's two motifs (or left out)",
            )
        lo, hi = parse_spacing(DEFAULTS["spacing"] if spacing is None else spacing)
        _check_not_both_palindromes(targets)
        mode = "grammar"
    ids = [t.matrix_id for t in targets]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    check(not dupes, f"motif {', '.join(dupes)} is listed twice")

    pool = choose_decoys(targets, release=release) if decoys else []
    check(
        not decoys or bool(pool),
        "no decoy motifs could be chosen for these targets; use decoys=0",
    )
    _check_length(targets, pool, decoys, length, lo, hi)

    all_motifs = list(targets) + pool
    names = _labels(all_motifs)
    cumulative = [np.cumsum(m.pwm, axis=0) for m in all_motifs]
    widths = [m.length for m in all_motifs]

    rng = np.random.default_rng(seed)
    n_pos = n // 2
    labels = np.array([1] * n_pos + [0] * (n - n_pos), dtype=np.int8)
    probs = [(1 - gc) / 2, gc / 2, gc / 2, (1 - gc) / 2]
    codes = rng.choice(4, size=(n, length), p=probs).astype(np.uint8)
    kinds = _negative_kinds(n - n_pos) if mode == "grammar" else []

    rows = []
    for i in range(n):
        label = int(labels[i])
        plans = _target_plans(rng, mode, label, i - n_pos, kinds, widths, len(targets), lo, hi)
        for _ in range(decoys):
            d = len(targets) + int(rng.integers(len(pool)))
            plans.append(_Plan(widths[d], [(d, 0, _strand(rng), "decoy")]))
        starts = _place(rng, [p.width for p in plans], length)
        for plan, start in zip(plans, starts):
            for m, offset, strand, role in plan.sites:
                site = _sample_site(rng, cumulative[m], strand)
                s = start + offset
                codes[i, s : s + widths[m]] = site
                rows.append((i, m, s, s + widths[m], strand, label, role))

    order = rng.permutation(n)
    position = np.empty(n, dtype=np.int64)
    position[order] = np.arange(n)
    digits = max(5, len(str(n)))
    seq_ids = [f"sim{k + 1:0{digits}d}" for k in range(n)]
    sequences = [_BASES[codes[i]].tobytes().decode("ascii") for i in order]

    sites = pd.DataFrame(
        [
            (
                seq_ids[position[i]],
                names[m],
                all_motifs[m].matrix_id,
                s,
                e,
                strand,
                label,
                role,
            )
            for i, m, s, e, strand, label, role in rows
        ],
        columns=SITE_COLUMNS,
    )
    sites = sites.sort_values(["seq_id", "start"], kind="stable").reset_index(drop=True)
    sites = sites.astype({"start": "int64", "end": "int64", "label": "int64"})

    meta = {
        "simulation": {
            "mode": mode,
            "tfs": names[: len(targets)],
            "jaspar_ids": ids,
            "decoy_tfs": names[len(targets) :],
            "decoy_jaspar_ids": [m.matrix_id for m in pool],
            "release": _release_of(targets, release),
            "pyjaspar": _pyjaspar_version(),
            "seed": seed,
            "n": n,
            "length": length,
            "decoys": decoys,
            "gc": gc,
            "grammar": names[:2] if mode == "grammar" else None,
            "spacing": [lo, hi] if mode == "grammar" else None,
            "negative_kinds": list(NEGATIVE_KINDS) if mode == "grammar" else None,
        }
    }
    dataset = SequenceDataset(
        ids=seq_ids,
        sequences=sequences,
        labels=labels[order],
        coords=None,
        format="simulated",
        path=None,
        meta=meta,
    )
    return Simulation(dataset=dataset, sites=sites, motifs=dict(zip(names, all_motifs)))


def _release_of(targets: list[Motif], release: str | None) -> str:
    from deepmotif.jaspar import DEFAULT_RELEASE, _resolve_release

    if release is None and targets and all(t.release == targets[0].release for t in targets):
        return targets[0].release
    return _resolve_release(release) if release is not None else DEFAULT_RELEASE


def _pyjaspar_version() -> str:
    from deepmotif.jaspar import pyjaspar_version

    return pyjaspar_version()


def _negative_kinds(n_neg: int) -> list[str]:
    """Kind of each grammar negative, in equal thirds (``swapped``, ``spaced``, ``single``)."""
    return [NEGATIVE_KINDS[j % 3] for j in range(n_neg)]


def _target_plans(rng, mode, label, neg_index, kinds, widths, n_targets, lo, hi) -> list[_Plan]:
    """The target sites of one sequence (decoys are added by the caller)."""
    if mode == "default":
        if not label:
            return []
        return [_Plan(widths[t], [(t, 0, _strand(rng), "target")]) for t in range(n_targets)]
    la, lb = widths[0], widths[1]
    strand = _strand(rng)
    if label:
        gap = int(rng.integers(lo, hi + 1))
        return [_pair(0, la, 1, lb, gap, strand, "target")]
    kind = kinds[neg_index]
    if kind == "swapped":
        gap = int(rng.integers(lo, hi + 1))
        return [_pair(1, lb, 0, la, gap, strand, "target")]
    if kind == "spaced":
        gap = int(rng.integers(hi + 1, hi + _far_extra(lo, hi) + 1))
        return [_pair(0, la, 1, lb, gap, strand, "target")]
    which = neg_index // 3 % 2  # alternate A alone and B alone
    return [_Plan(widths[which], [(which, 0, strand, "target")])]


def _far_extra(lo: int, hi: int) -> int:
    """How far beyond ``hi`` the gaps of ``spaced`` grammar negatives reach."""
    return max(10, hi - lo + 1)


def _check_length(targets, pool, decoys, length, lo, hi) -> None:
    decoy_need = decoys * max((m.length for m in pool), default=0)
    if lo is None:
        need = sum(t.length for t in targets) + decoy_need
        what = " + ".join(f"{t.name} ({t.length} bp)" for t in targets)
    else:
        far = hi + _far_extra(lo, hi)
        need = targets[0].length + targets[1].length + far + decoy_need
        what = (
            f"{targets[0].name} ({targets[0].length} bp) + {targets[1].name} "
            f"({targets[1].length} bp) + gaps up to {far} bp"
        )
    if decoys:
        what += f" + {decoys} decoy site(s) of up to {decoy_need // decoys} bp"
    check(
        length >= need,
        f"length {length} is too short: {what} need {need} bp; use a longer length"
        + (" or fewer decoys" if decoys else ""),
    )


def _check_not_both_palindromes(targets: list[Motif]) -> None:
    """With both grammar motifs their own reverse complement, order on a strand is ambiguous."""
    palindromic = [
        float(np.corrcoef(t.pwm.ravel(), _rc(t.pwm).ravel())[0, 1]) >= PALINDROME_SIMILARITY
        for t in targets
    ]
    check(
        not all(palindromic),
        f"{targets[0].name} and {targets[1].name} are both palindromic, so 'A before B' cannot "
        "be told from 'B before A' on the other strand; pick a non-palindromic motif",
    )
