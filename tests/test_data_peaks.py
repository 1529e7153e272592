"""Peaks: windows equal the genome slices computed by hand; flank and shuffle negatives."""

from __future__ import annotations

import random

import pytest

from deepmotif.data import read_dataset
from deepmotif.data.encoding import gc_content
from deepmotif.errors import DeepMotifError, DeepMotifWarning


@pytest.fixture
def genome(tmp_path):
    rng = random.Random(0)
    chroms = {
        "chr1": "".join(rng.choice("ACGT") for _ in range(3000)),
        "chr2": "".join(rng.choice("ACGT") for _ in range(500)),
    }
    path = tmp_path / "genome.fa"
    with open(path, "w") as fh:
        for name, seq in chroms.items():
            fh.write(f">{name}\n")
            for i in range(0, len(seq), 60):  # lower case too: soft-masked genomes
                fh.write(seq[i : i + 60].lower() + "\n")
    return path, chroms


def test_bed_windows_centred(write_file, genome):
    gpath, chroms = genome
    bed = write_file("p.bed", "track name=x\nchr1\t1000\t1200\tpk1\nchr2\t100\t161\n")
    ds = read_dataset(bed, genome=gpath, negatives="none")
    assert ds.format == "peaks"
    # centre (1000 + 1200) // 2 = 1100 -> [1050, 1151); (100 + 161) // 2 = 130 -> [80, 181)
    assert ds.sequences == [chroms["chr1"][1050:1151], chroms["chr2"][80:181]]
    assert ds.coords == [("chr1", 1050, 1151), ("chr2", 80, 181)]
    assert ds.ids == ["pk1", "chr2:80-181"]
    assert ds.labels.tolist() == [1, 1]


def test_narrowpeak_summit_and_length(write_file, genome):
    gpath, chroms = genome
    np_line = "chr1\t2000\t2400\tp\t0\t.\t5.0\t-1\t-1\t{}\n"
    bed = write_file("p.narrowPeak.gz", np_line.format(50) + np_line.format(-1), gz=True)
    ds = read_dataset(bed, genome=gpath, length=20, negatives="none")
    # summit 2000 + 50 = 2050 -> [2040, 2060); no summit: centre 2200 -> [2190, 2210)
    assert ds.sequences == [chroms["chr1"][2040:2060], chroms["chr1"][2190:2210]]


def test_off_chromosome_windows_dropped(write_file, genome):
    gpath, chroms = genome
    bed = write_file("p.bed", "chr2\t0\t20\nchr2\t480\t500\nchr2\t200\t300\n")
    with pytest.warns(DeepMotifWarning, match="dropped 2 of 3 peaks"):
        ds = read_dataset(bed, genome=gpath, negatives="none")
    assert ds.sequences == [chroms["chr2"][200:301]]


def test_shuffle_background_default(write_file, genome):
    gpath, _ = genome
    bed = write_file("p.bed", "chr1\t1000\t1200\nchr1\t2000\t2100\n")
    ds = read_dataset(bed, genome=gpath, seed=3)
    assert ds.labels.tolist() == [1, 1, 0, 0]
    assert ds.n_generated == 2 and ds.meta["negatives"] == "dinucleotide_shuffle"
    assert ds.ids[2] == ds.ids[0] + "_shuf"
    assert ds.coords[2] is None


def test_flank_background(write_file, genome):
    gpath, chroms = genome
    bed = write_file("p.bed", "chr1\t1000\t1200\nchr1\t1300\t1400\nchr2\t200\t300\n")
    ds = read_dataset(bed, genome=gpath, background="flank")
    assert ds.meta["negatives"] == "genomic_flank"
    assert ds.labels.tolist() == [1, 1, 1, 0, 0, 0]
    assert ds.n_generated == 3
    peaks = [("chr1", 1000, 1200), ("chr1", 1300, 1400), ("chr2", 200, 300)]
    windows = ds.coords[:3]
    seen = set()
    for k in range(3, 6):
        chrom, s, e = ds.coords[k]
        assert e - s == 101 and ds.sequences[k] == chroms[chrom][s:e]
        assert ds.ids[k] == ds.ids[k - 3] + "_flank"
        for c, ps, pe in peaks + windows:  # no overlap with any peak or peak window
            assert not (c == chrom and s < pe and ps < e)
        assert (chrom, s) not in seen
        seen.add((chrom, s))
        # GC-matched: no other allowed flank of the same peak is closer in GC (recomputed here).
        pc, ws, _ = windows[k - 3]
        target = gc_content(ds.sequences[k - 3])
        best = abs(gc_content(ds.sequences[k]) - target)
        for step in range(1, 11):
            for cs in (ws - step * 101, ws + step * 101):
                ce = cs + 101
                ok = cs >= 0 and ce <= len(chroms[pc])
                ok = ok and not any(
                    c == pc and cs < pe and ps < ce for c, ps, pe in peaks + windows
                )
                ok = ok and (pc, cs) not in seen
                if ok:
                    assert abs(gc_content(chroms[pc][cs:ce]) - target) >= best - 1e-12


def test_bed_needs_genome(write_file):
    with pytest.raises(DeepMotifError, match=r"p\.bed: a BED/narrowPeak file needs .*--genome"):
        read_dataset(write_file("p.bed", "chr1\t10\t200\n"))


def test_chromosome_absent_from_genome(write_file, genome):
    gpath, _ = genome
    bed = write_file("p.bed", "chr1\t1000\t1200\nchrZ\t5\t200\n")
    with pytest.raises(DeepMotifError, match=r"line 2 of .*p\.bed: chromosome 'chrZ' is not in"):
        read_dataset(bed, genome=gpath)
