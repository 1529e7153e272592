"""inspect_dataset on a small file whose summary is computed by hand."""

from __future__ import annotations

import json
import warnings

import pytest

from deepmotif.data import read_dataset
from deepmotif.data.inspect import inspect_dataset


def test_summary_values(write_file):
    text = (
        ">1\nGGGGCCCCAA\n"  # 10 bp, GC 8/10
        ">1\nGGGGCCCCAA\n"  # duplicate of the first
        ">0\nAAAATTTTGCNN\n"  # 12 bp -> cropped to 10: AAATTTTGCN, GC 2/9
        ">0\nATATATAT\n"  # 8 bp -> padded to NATATATATN, GC 0/8
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = read_dataset(write_file("s.fa", text))
    s = inspect_dataset(ds)
    json.dumps(s)
    assert s["format"] == "fasta" and s["path"].endswith("s.fa")
    assert (s["n"], s["n_positive"], s["n_negative"], s["n_generated"]) == (4, 2, 2, 0)
    assert (s["length"], s["length_min"], s["length_max"]) == (10, 8, 12)
    assert s["length_mean"] == pytest.approx(10.0)
    assert (s["n_resized"], s["n_cropped"], s["n_padded"]) == (2, 1, 1)
    assert s["gc_positive"] == pytest.approx(16 / 20)
    assert s["gc_negative"] == pytest.approx(2 / 17)
    assert s["n_N_bases"] == 3 and s["n_with_N"] == 2
    assert s["n_duplicates"] == 1


def test_generated_negatives_counted(write_file):
    text = "FoldID\tEventID\tseq\tBound\nA\te1\tACGTACGTTGCA\t1\nA\te2\tTTGACCAGTACG\t1\n"
    s = inspect_dataset(read_dataset(write_file("x_AC.seq", text)))
    assert (s["n_positive"], s["n_negative"], s["n_generated"]) == (2, 2, 2)
    assert s["negatives"] == "dinucleotide_shuffle"
    assert s["gc_negative"] == pytest.approx(s["gc_positive"])  # a shuffle keeps composition
