"""BED / narrowPeak peaks cut out of a reference genome into fixed windows.

Each peak becomes one window of ``length`` bp (101 by default) centred on its summit
(narrowPeak column 10, when it is >= 0) or else on the interval's centre,
``centre = (start + end) // 2``; the window is ``[centre - length // 2, centre - length // 2 +
length)``. Windows that run off a chromosome end are dropped with a warning. The genome is a
FASTA read with pyfaidx (it writes a ``.fai`` index beside the file the first time).

Negatives come either from dinucleotide shuffles of the windows (``background="shuffle"``), or
from the genome around each peak (``background="flank"``): windows of the same length at 1 to
10 window lengths either side of the peak window, not overlapping any peak, with at most 10 %
N, choosing the one whose GC content is closest to the peak's (the nearest on ties). A window is
used for at most one peak.
"""

from __future__ import annotations

import bisect
import os
import warnings
from collections import defaultdict

from deepmotif.data.dataset import SequenceDataset
from deepmotif.data.encoding import gc_content
from deepmotif.data.readers._finish import Records, finish
from deepmotif.data.readers._io import clean_sequence, wrong_format
from deepmotif.errors import DeepMotifError, DeepMotifWarning, check_positive_int, where

#: Window length used for peaks when none is given.
DEFAULT_PEAK_LENGTH = 101
#: Flanking windows tried: this many window lengths away, either side.
FLANK_STEPS = tuple(range(1, 11))
#: Largest fraction of N letters allowed in a flanking background window.
MAX_N_FRACTION = 0.1


def _open_genome(genome, path):
    if genome is None:
        raise DeepMotifError(
            f"{os.fspath(path)}: a BED/narrowPeak file needs a reference genome: pass --genome "
            "(genome= in Python), a FASTA of the genome the peaks were called on"
        )
    import pyfaidx

    name = os.fspath(genome)
    if not os.path.isfile(name):
        raise DeepMotifError(f"{name}: no such genome FASTA file")
    try:
        return pyfaidx.Fasta(name, as_raw=True, sequence_always_upper=True)
    except (pyfaidx.FastaIndexingError, pyfaidx.UnsupportedCompressionFormat, OSError) as exc:
        raise DeepMotifError(f"{name}: cannot read the genome FASTA ({exc})") from None


def _parse_bed(lines, path):
    """[(line, chrom, start, end, name, summit)] from BED/narrowPeak lines."""
    peaks = []
    for i, raw in enumerate(lines, 1):
        text = raw.strip()
        if not text or text.startswith(("#", "track", "browser")):
            continue
        fields = text.split("\t") if "\t" in text else text.split()
        if len(fields) < 3:
            raise wrong_format(path, i, "BED fields 'chrom start end' (tab-separated)", text)
        chrom, start, end = (f.strip() for f in fields[:3])
        if not (start.isdigit() and end.isdigit()):
            raise DeepMotifError(
                f"{where(path, i)}: BED start and end must be whole numbers, "
                f"found {start!r} and {end!r}"
            )
        start_i, end_i = int(start), int(end)
        if end_i <= start_i:
            raise DeepMotifError(
                f"{where(path, i)}: BED end ({end_i}) must be greater than start ({start_i})"
            )
        name = fields[3].strip() if len(fields) > 3 and fields[3].strip() not in ("", ".") else None
        summit = -1
        if len(fields) >= 10:
            try:
                summit = int(fields[9])
            except ValueError:
                raise DeepMotifError(
                    f"{where(path, i)}: narrowPeak column 10 (summit offset) must be a whole "
                    f"number, found {fields[9]!r}"
                ) from None
        peaks.append((i, chrom, start_i, end_i, name, summit))
    if not peaks:
        raise DeepMotifError(f"{os.fspath(path)}: no peaks found")
    return peaks


class _Intervals:
    """Sorted, merged intervals per chromosome with an overlap test."""

    def __init__(self, intervals):
        by_chrom = defaultdict(list)
        for chrom, s, e in intervals:
            by_chrom[chrom].append((s, e))
        self._starts, self._ends = {}, {}
        for chrom, iv in by_chrom.items():
            merged = []
            for s, e in sorted(iv):
                if merged and s <= merged[-1][1]:
                    merged[-1][1] = max(merged[-1][1], e)
                else:
                    merged.append([s, e])
            self._starts[chrom] = [m[0] for m in merged]
            self._ends[chrom] = [m[1] for m in merged]

    def overlaps(self, chrom, s, e) -> bool:
        starts = self._starts.get(chrom)
        if not starts:
            return False
        k = bisect.bisect_left(starts, e) - 1  # last interval starting before e
        return k >= 0 and self._ends[chrom][k] > s


def _flank_negatives(windows, peak_intervals, genome, length):
    """One GC-matched flanking window per peak window where possible."""
    blocked = _Intervals(peak_intervals + [(c, s, e) for _, c, s, e, _ in windows])
    used = set()
    out = Records()
    n_missing = 0
    for seq_id, chrom, ws, _we, seq in windows:
        size = len(genome[chrom])
        target = gc_content(seq)
        best = None
        for k in FLANK_STEPS:
            for cs in (ws - k * length, ws + k * length):
                ce = cs + length
                if cs < 0 or ce > size or (chrom, cs) in used or blocked.overlaps(chrom, cs, ce):
                    continue
                cand = genome[chrom][cs:ce]
                if cand.count("N") > MAX_N_FRACTION * length:
                    continue
                gc = gc_content(cand)
                score = (abs(gc - target) if target == target else 0.0, k)
                if best is None or score < best[0]:
                    best = (score, cs, cand)
        if best is None:
            n_missing += 1
            continue
        _, cs, cand = best
        used.add((chrom, cs))
        out.add(f"{seq_id}_flank", cand, 0, (chrom, cs, cs + length))
    return out, n_missing


def read_peaks(
    lines: list[str],
    *,
    path,
    format: str,
    genome,
    length: int | None,
    negatives: str,
    background: str,
    seed: int,
    require_labels: bool,
) -> SequenceDataset:
    """Cut peak windows from ``genome`` and add negatives (see the module docstring)."""
    name = os.fspath(path)
    length = DEFAULT_PEAK_LENGTH if length is None else check_positive_int("length", length)
    peaks = _parse_bed(lines, path)
    fa = _open_genome(genome, path)
    genome_name = os.path.basename(os.fspath(genome))
    windows = []
    n_off = 0
    for line, chrom, start, end, peak_name, summit in peaks:
        if chrom not in fa:
            known = list(fa.keys())
            shown = ", ".join(known[:5]) + (", ..." if len(known) > 5 else "")
            raise DeepMotifError(
                f"{where(path, line)}: chromosome {chrom!r} is not in the genome "
                f"{genome_name} (it has {shown})"
            )
        centre = start + summit if summit >= 0 else (start + end) // 2
        ws = centre - length // 2
        we = ws + length
        if ws < 0 or we > len(fa[chrom]):
            n_off += 1
            continue
        seq = clean_sequence(fa[chrom][ws:we], genome_name, None)
        seq_id = peak_name or f"{chrom}:{ws}-{we}"
        windows.append((seq_id, chrom, ws, we, seq))
    if n_off:
        warnings.warn(
            f"{name}: dropped {n_off} of {len(peaks)} peaks whose {length} bp window runs off "
            "a chromosome end",
            DeepMotifWarning,
            stacklevel=3,
        )
    if not windows:
        raise DeepMotifError(f"{name}: no peak has a {length} bp window inside its chromosome")
    records = Records()
    for seq_id, chrom, ws, we, seq in windows:
        records.add(seq_id, seq, 1, (chrom, ws, we))
    meta = {
        "genome": os.fspath(genome),
        "window": length,
        "centred_on": "summit (narrowPeak column 10) where given, else interval centre",
        "n_peaks": len(peaks),
        "n_dropped_off_chromosome": n_off,
    }
    n_flank = 0
    if background == "flank" and negatives != "none":
        flank, n_missing = _flank_negatives(
            windows, [(c, s, e) for _, c, s, e, _, _ in peaks], fa, length
        )
        if n_missing:
            warnings.warn(
                f"{name}: no flanking background window for {n_missing} of {len(windows)} "
                "peaks (near chromosome ends, other peaks or N runs)",
                DeepMotifWarning,
                stacklevel=3,
            )
        records.extend(flank)
        n_flank = len(flank.ids)
        meta.update(
            negatives="genomic_flank",
            flank_steps_bp=[k * length for k in FLANK_STEPS],
            gc_matched=True,
            n_peaks_without_background=n_missing,
        )
        negatives = "none"
    return finish(
        records,
        path=path,
        format=format,
        length=length,
        negatives=negatives,
        seed=seed,
        require_labels=require_labels,
        shuffle_positives_only=True,
        meta=meta,
        n_generated=n_flank,
    )
