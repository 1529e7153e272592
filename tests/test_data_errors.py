"""Every kind of bad input gives one clear line naming the file (and line): library and CLI."""

from __future__ import annotations

import gzip
import random
import re

import pytest

from deepmotif.cli import main
from deepmotif.data import read_dataset
from deepmotif.errors import DeepMotifError

S = "ACGTACGTACGGCCAATTGC"
DB_HEAD = "FoldID\tEventID\tseq\tBound\n"


def _peaks_fa():
    lines = [f">{i}\n{S}\n" for i in (1, 0, 1, 0, 1)]
    return "".join(lines) + ">0\nACGTACGXACGGCCAATTGC\n"  # the X is on line 12


def _make(case, tmp_path):
    """(path, extra read_dataset kwargs, extra CLI args) for a bad-input case."""
    kw, cli = {}, []
    if case == "missing":
        path = tmp_path / "nothere.fa"
    elif case == "directory":
        path = tmp_path / "adir.fa"
        path.mkdir()
    else:
        path = tmp_path / NAMES[case]
        data = CONTENT[case]
        if case == "truncated_gzip":
            full = gzip.compress(((">1\n" + S + "\n>0\n" + S + "\n") * 50).encode())
            data = full[: len(full) // 2]
        path.write_bytes(data if isinstance(data, bytes) else data.encode())
    if case in ("bed_chrom_absent",):
        genome = tmp_path / "g.fa"
        genome.write_text(
            ">chr1\n" + "".join(random.Random(0).choice("ACGT") for _ in range(500)) + "\n"
        )
        kw["genome"], cli = genome, ["--genome", str(genome)]
    return path, kw, cli


NAMES = {
    "empty": "empty.fa",
    "header_no_seq": "h.fa",
    "non_dna": "peaks.fa",
    "protein": "prot.fa",
    "binary": "bin.fa",
    "truncated_gzip": "t.fa.gz",
    "label_fasta": "lab.fa",
    "label_deepbind": "lab.seq",
    "label_zeng": "lab.data",
    "label_table": "lab.csv",
    "single_class": "one.fa",
    "missing_columns": "cols.csv",
    "deepbind_header": "hdr.seq",
    "zeng_two_columns": "two.data",
    "too_short": "short.fa",
    "bed_no_genome": "p.bed",
    "bed_chrom_absent": "q.bed",
    "unknown_format": "what.txt",
}
CONTENT = {
    "empty": "",
    "header_no_seq": f">1\n{S}\n>0\n>1\n{S}\n",
    "non_dna": _peaks_fa(),
    "protein": ">1\nMKTAYIAKQRQISFVKSHFSRQLEERLGLIEVQ\n",
    "binary": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00",
    "truncated_gzip": b"",
    "label_fasta": f">1\n{S}\n>chr1:5-25 2\n{S}\n",
    "label_deepbind": DB_HEAD + f"A\te1\t{S}\t1\nA\te2\t{S}\tyes\n",
    "label_zeng": f">chr1:1-21 {S} 1\n>chr1:1-21_shuf {S} -1\n",
    "label_table": f"sequence,label\n{S},1\n{S},bound\n",
    "single_class": f">1\n{S}\n>1\n{S}\n",
    "missing_columns": f"id,sequence,y\na,{S},1\n",
    "deepbind_header": f"Fold\tID\tsequence\tlabel\nA\te1\t{S}\t1\n",
    "zeng_two_columns": f">chr1:1-21 {S} 1\n>chr1:1-21_shuf {S}\n",
    "too_short": ">1\nACGTAC\n>0\nACGTTT\n",
    "bed_no_genome": "chr1\t10\t200\n",
    "bed_chrom_absent": "chr1\t100\t300\nchr7\t10\t200\n",
    "unknown_format": "hello world, this is not sequence data\n",
}
EXPECTED = {
    "missing": r"nothere\.fa: no such file",
    "directory": r"adir\.fa: is a directory",
    "empty": r"empty\.fa: the file is empty",
    "header_no_seq": r"line 3 of .*h\.fa: header '>0' has no sequence after it",
    "non_dna": r"line 12 of .*peaks\.fa: 'X' is not a DNA letter \(A, C, G, T, N\)",
    "protein": r"line 2 of .*prot\.fa: this looks like a protein sequence",
    "binary": r"bin\.fa: looks like a binary file, expected text",
    "truncated_gzip": r"t\.fa\.gz: the gzip data is truncated or corrupt",
    "label_fasta": r"line 3 of .*lab\.fa: label '2' is not 0 or 1",
    "label_deepbind": r"line 3 of .*lab\.seq: label 'yes' is not 0 or 1",
    "label_zeng": r"line 2 of .*lab\.data: label '-1' is not 0 or 1",
    "label_table": r"line 3 of .*lab\.csv: label 'bound' is not 0 or 1",
    "single_class": r"one\.fa: every sequence is labelled 1 \(bound\)",
    "missing_columns": r"line 1 of .*cols\.csv: no 'label' column in the header \(found: id, sequence, y\)",
    "deepbind_header": r"line 1 of .*hdr\.seq: expected the DeepBind header 'FoldID EventID seq Bound'",
    "zeng_two_columns": r"line 2 of .*two\.data: expected '>chr:start-end SEQUENCE label' .*found 2 fields",
    "too_short": r"short\.fa: .*6 bp, shorter than any model could use",
    "bed_no_genome": r"p\.bed: a BED/narrowPeak file needs a reference genome: pass --genome",
    "bed_chrom_absent": r"line 2 of .*q\.bed: chromosome 'chr7' is not in the genome g\.fa",
    "unknown_format": r"line 1 of .*what\.txt: cannot tell the format",
}
CASES = sorted(EXPECTED)


@pytest.mark.parametrize("case", CASES)
def test_library_error(case, tmp_path):
    path, kw, _ = _make(case, tmp_path)
    with pytest.raises(DeepMotifError, match=EXPECTED[case]) as info:
        read_dataset(path, **kw)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("case", CASES)
def test_cli_error_is_one_line(case, tmp_path, capsys):
    path, _, cli = _make(case, tmp_path)
    status = main(["inspect", str(path), *cli])
    out, err = capsys.readouterr()
    assert status != 0
    assert out == ""
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("deepmotif inspect: error: ")
    assert re.search(EXPECTED[case], lines[0])


def test_single_class_allowed_without_labels_required(tmp_path):
    path = tmp_path / "one.fa"
    path.write_text(f">1\n{S}\n>1\n{S}\n")
    assert len(read_dataset(path, negatives="none")) == 2
    assert len(read_dataset(path, require_labels=False)) == 2
