"""Every reader on small files written in the test: values, gzip, CRLF, lower case, N, length."""

from __future__ import annotations

import warnings
from collections import Counter

import numpy as np
import pytest

from deepmotif.data import read_dataset
from deepmotif.data.readers import apply_length_policy
from deepmotif.data.shuffle import dinucleotide_shuffle
from deepmotif.errors import DeepMotifError, DeepMotifWarning

A = "ACGTACGTAC" + "GGCCAATTGC"  # 20 bp
B = "TTTTGGGGCCCCAAAATGCA"  # 20 bp
C = "GATTACAGATTACAGATTAC"  # 20 bp


def _read(path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeepMotifWarning)  # no resizing expected here
        return read_dataset(path, **kw)


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("crlf", [False, True])
def test_fasta_whole_header_label(write_file, gz, crlf):
    text = f">1\n{A.lower()}\n>0\n{B[:10]}\n{B[10:]}\n>1\n{C}\n"
    ds = _read(write_file("toy.fa" + (".gz" if gz else ""), text, gz=gz, crlf=crlf))
    assert ds.format == "fasta"
    assert ds.ids == ["seq1", "seq2", "seq3"]
    assert ds.sequences == [A, B, C]
    assert ds.labels.tolist() == [1, 0, 1]
    assert ds.coords is None
    assert ds.n_generated == 0 and ds.n_resized == 0


def test_fasta_last_token_and_label_field(write_file):
    text = (
        f">chr1:10-30 1\n{A}\n"
        f">chr2:100-120 some words 0\n{B}\n"
        f">peak7 label=1 score=3\n{C}\n"
        f">x label=0\n{A}\n"
    )
    ds = _read(write_file("toy.fasta", text))
    assert ds.ids == ["chr1:10-30", "chr2:100-120", "peak7", "x"]
    assert ds.labels.tolist() == [1, 0, 1, 0]
    assert ds.coords == [("chr1", 10, 30), ("chr2", 100, 120), None, None]


def test_fasta_unlabelled_when_allowed(write_file):
    path = write_file("mine.fa", f">first\n{A}\n>second desc\n{B}\n")
    with pytest.raises(DeepMotifError, match=r"line 1 of .*mine\.fa: no label in header"):
        read_dataset(path)
    ds = _read(path, require_labels=False)
    assert ds.ids == ["first", "second"]
    assert ds.labels.tolist() == [-1, -1]


def test_plain_sequences_one_per_line(write_file):
    path = write_file("mine.txt", f"{A}\n{B.lower()}\n")
    ds = _read(path, require_labels=False)
    assert ds.format == "plain"
    assert ds.sequences == [A, B]
    assert ds.labels.tolist() == [-1, -1]
    labelled = _read(write_file("lab.txt", f"{A} 1\n{B} 0\n"))
    assert labelled.labels.tolist() == [1, 0]


@pytest.mark.parametrize("gz", [False, True])
def test_deepbind_with_both_classes(write_file, gz):
    text = f"FoldID\tEventID\tseq\tBound\nA\tseq_00002_peak\t{A}\t1\nA\tseq_00002_shuf\t{B}\t0\n"
    ds = _read(write_file("x_B.seq" + (".gz" if gz else ""), text, gz=gz, crlf=True))
    assert ds.format == "deepbind"
    assert ds.ids == ["seq_00002_peak", "seq_00002_shuf"]
    assert ds.sequences == [A, B]
    assert ds.labels.tolist() == [1, 0]
    assert ds.n_generated == 0 and "negatives" not in ds.meta


def test_deepbind_positives_only_get_shuffled_negatives(write_file):
    import tangermeme

    text = "FoldID\tEventID\tseq\tBound\n" + "".join(
        f"A\tp{i}\t{s}\t1\n" for i, s in enumerate([A, B, C])
    )
    ds = _read(write_file("x_AC.seq.gz", text, gz=True), seed=7)
    assert ds.ids == ["p0", "p1", "p2", "p0_shuf", "p1_shuf", "p2_shuf"]
    assert ds.labels.tolist() == [1, 1, 1, 0, 0, 0]
    assert ds.n_generated == 3
    assert ds.meta["negatives"] == "dinucleotide_shuffle"
    assert ds.meta["shuffle_seed"] == 7
    assert ds.meta["shuffle_tool"] == f"tangermeme {tangermeme.__version__}"
    for pos, neg in zip(ds.sequences[:3], ds.sequences[3:]):
        assert Counter(pos[i : i + 2] for i in range(len(pos) - 1)) == Counter(
            neg[i : i + 2] for i in range(len(neg) - 1)
        )
    # The same seed gives the same negatives; "none" keeps positives only.
    assert _read(write_file("y_AC.seq", text), seed=7).sequences == ds.sequences
    assert len(_read(write_file("z_AC.seq", text), negatives="none")) == 3


@pytest.mark.parametrize("gz", [False, True])
def test_zeng(write_file, gz):
    text = f">chr7:100-120 {A} 1\n>chr19:5-25_shuf {B.lower()} 0\n"
    ds = _read(write_file("train.data" + (".gz" if gz else ""), text, gz=gz, crlf=True))
    assert ds.format == "zeng"
    assert ds.ids == ["chr7:100-120", "chr19:5-25_shuf"]
    assert ds.sequences == [A, B]
    assert ds.labels.tolist() == [1, 0]
    assert ds.coords == [("chr7", 100, 120), None]


@pytest.mark.parametrize(("name", "sep"), [("t.csv", ","), ("t.tsv", "\t"), ("t.csv.gz", ",")])
def test_table(write_file, name, sep):
    rows = [["ID", "Sequence", "Label", "extra"], ["a", A, "1", "x"], ["b", B.lower(), "0", "y"]]
    text = "\n".join(sep.join(r) for r in rows) + "\n"
    ds = _read(write_file(name, text, gz=name.endswith(".gz")))
    assert ds.format == "table"
    assert ds.ids == ["a", "b"]
    assert ds.sequences == [A, B]
    assert ds.labels.tolist() == [1, 0]


def test_table_without_id_and_with_coords(write_file):
    text = f"chrom,start,end,seq,label\nchr3,5,25,{A},1\nchr4,0,20,{B},0\n"
    ds = _read(write_file("t.csv", text))
    assert ds.ids == ["seq1", "seq2"]
    assert ds.coords == [("chr3", 5, 25), ("chr4", 0, 20)]


def test_n_and_iupac_become_n(write_file):
    seq = "ACGTNNRYKMacgtnnACGT"
    ds = _read(write_file("n.fa", f">1\n{seq}\n>0\n{B}\n"))
    assert ds.sequences[0] == "ACGTNNNNNNACGTNNACGT"
    X = ds.one_hot()
    assert X.shape == (2, 4, 20)
    assert X[0, :, 4:10].sum() == 0 and X[0, :, 14:16].sum() == 0
    assert X[0].sum() == 20 - 8


def test_gzip_detected_by_magic_bytes_and_format_by_content(write_file):
    text = f">chr1:1-21 {A} 1\n>chr1:1-21_shuf {B} 0\n"
    ds = _read(write_file("noext.txt", text, gz=True))
    assert ds.format == "zeng"
    assert ds.sequences == [A, B]
    fasta = _read(write_file("other.dat", f">1\n{A}\n>0\n{B}\n"), format="fasta")
    assert fasta.labels.tolist() == [1, 0]
    sniffed = _read(
        write_file("seqs.txt", "FoldID EventID seq Bound\nA e1 " + A + " 1\nA e2 " + B + " 0\n")
    )
    assert sniffed.format == "deepbind"
    csv = _read(write_file("tab.txt", f"sequence\tlabel\n{A}\t1\n{B}\t0\n"))
    assert csv.format == "table"


def test_extension_checked_against_content(write_file):
    path = write_file("looks.fa", "FoldID\tEventID\tseq\tBound\nA\te\t" + A + "\t1\n")
    with pytest.raises(DeepMotifError, match="looks like DeepBind .seq: pass --format deepbind"):
        read_dataset(path)


# --- the length policy -------------------------------------------------------------------


def test_length_policy_crops_and_pads_to_most_common():
    seqs = ["ACGTACGTACGT", "AAAACCCCGGGGTT", "ACGTACGTAC", "TTTTGGGGCCCC"]  # 12, 14, 10, 12
    coords = [None, ("chr1", 100, 114), None, None]
    with pytest.warns(DeepMotifWarning, match="2 of 4 sequences were not 12 bp"):
        res = apply_length_policy(seqs, coords=coords, path="x.fa")
    assert res.length == 12
    assert res.sequences == ["ACGTACGTACGT", "AAACCCCGGGGT", "NACGTACGTACN", "TTTTGGGGCCCC"]
    assert res.coords[1] == ("chr1", 101, 113)
    assert (res.n_cropped, res.n_padded) == (1, 1)
    assert res.info["original_length_min"] == 10 and res.info["original_length_max"] == 14


def test_length_policy_odd_difference_and_ties():
    # ties between 11 and 12 go to the longer; an odd pad puts the extra N on the right.
    with pytest.warns(DeepMotifWarning):
        res = apply_length_policy(["ACGTACGTACG", "ACGTACGTACGT"])
    assert res.length == 12
    assert res.sequences[0] == "ACGTACGTACGN"
    with pytest.warns(DeepMotifWarning):
        res = apply_length_policy(["AACCGGTTAACCG"], length=10)  # 13 -> 10: drop 1 left, 2 right
    assert res.sequences == ["ACCGGTTAAC"]


def test_length_given_in_reader(write_file):
    text = f">1\n{A}\n>0\n{B + 'ACGT'}\n"
    with pytest.warns(DeepMotifWarning, match="centre-cropped 2, N-padded 0"):
        ds = read_dataset(write_file("l.fa", text), length=16)
    assert ds.sequences == [A[2:18], (B + "ACGT")[4:20]]
    assert ds.n_resized == 2 and ds.length == 16


def test_shuffled_negatives_are_resized_with_their_positives(write_file):
    text = "FoldID\tEventID\tseq\tBound\n" + f"A\tp0\t{A}\t1\nA\tp1\t{A}AC\t1\nA\tp2\t{C}\t1\n"
    with pytest.warns(DeepMotifWarning, match="1 of 3 sequences"):
        ds = read_dataset(write_file("r_AC.seq", text))
    assert ds.n_resized == 1
    assert {len(s) for s in ds.sequences} == {20}
    # Shuffled before the crop, with the seed of its positive's position (seed + 1).
    assert ds.sequences[4] == dinucleotide_shuffle([A, A + "AC", C], seed=0)[1][1:21]


def test_too_short_is_an_error(write_file):
    with pytest.raises(DeepMotifError, match="9 bp, shorter than any model could use"):
        read_dataset(write_file("s.fa", ">1\nACGTACGTA\n>0\nTTTTGGGGC\n"))
    with pytest.raises(DeepMotifError, match="shorter than any model could use"):
        read_dataset(write_file("s2.fa", f">1\n{A}\n>0\n{B}\n"), length=5)


def test_negatives_modes(write_file):
    path = write_file("pos.fa", f">1\n{A}\n>1\n{B}\n")
    with pytest.raises(DeepMotifError, match=r"pos\.fa: every sequence is labelled 1"):
        read_dataset(path)
    assert read_dataset(path, negatives="none").labels.tolist() == [1, 1]
    ds = read_dataset(path, negatives="shuffle", seed=3)
    assert ds.labels.tolist() == [1, 1, 0, 0]
    assert ds.ids[2:] == ["seq1_shuf", "seq2_shuf"]
    assert ds.n_generated == 2
    assert np.all(ds.one_hot()[2:].sum(axis=(1, 2)) == 20)


def test_clean_sequence_serves_files_and_pasted_text():
    from deepmotif.data.encoding import clean_sequence

    # a file: IUPAC codes read as N, errors name the line, protein is called protein
    assert clean_sequence("acgRY", "x.fa", 3) == "ACGNN"
    with pytest.raises(DeepMotifError, match=r"line 3 of x\.fa: 'x' is not a DNA letter"):
        clean_sequence("ACGxT", "x.fa", 3)
    with pytest.raises(DeepMotifError, match="looks like a protein"):
        clean_sequence("MEEPQSDPSVEPPLSQETFSDLWKLL", "p.fa", 1)
    # pasted text (the dashboard): no ambiguity codes, errors name the position
    assert clean_sequence("acgtn", ambiguity=False) == "ACGTN"
    with pytest.raises(DeepMotifError, match="position 3: 'R' is not a DNA letter"):
        clean_sequence("ACRT", ambiguity=False)
    with pytest.raises(DeepMotifError, match="position 1: 'M' is not a DNA letter"):
        clean_sequence("MEEPQSDPSVEPPLSQETFSDLWKLL", ambiguity=False)
