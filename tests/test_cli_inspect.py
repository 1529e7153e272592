"""``deepmotif inspect``: the text summary, --json, and the shared data options."""

from __future__ import annotations

import argparse
import json

from deepmotif.cli import main
from deepmotif.cli._data import add_data_arguments, dataset_from_args

S1, S2 = "ACGTACGTACGGCCAATTGC", "TTTTGGGGCCCCAAAATGCA"


def test_json(write_file, capsys):
    path = write_file("x.fa", f">1\n{S1}\n>1\n{S2}\n")
    assert main(["inspect", str(path), "--json", "--negatives", "shuffle", "--data-seed", "4"]) == 0
    s = json.loads(capsys.readouterr().out)
    assert (s["n_positive"], s["n_negative"], s["n_generated"]) == (2, 2, 2)
    assert s["meta"]["shuffle_seed"] == 4
    assert s["length"] == 20


def test_text_summary(write_file, capsys):
    # GC: S1 has 6 C + 5 G of 20 letters (55 %), S2 has 5 C + 5 G (50 %).
    path = write_file("x.data", f">chr1:1-21 {S1} 1\n>chr1:1-21_shuf {S2} 0\n")
    assert main(["inspect", str(path)]) == 0
    out = capsys.readouterr().out
    assert "format      zeng" in out
    assert "positives   1" in out and "negatives   1" in out
    assert "GC          positives 55.0%, negatives 50.0%" in out


def test_length_option_warns_once(write_file, capsys):
    path = write_file("x.fa", f">1\n{S1}\n>0\n{S2}\n")
    assert main(["inspect", str(path), "--length", "16"]) == 0
    captured = capsys.readouterr()
    assert "length      16 bp" in captured.out
    assert captured.err.count("deepmotif: warning:") == 1
    assert "centre-cropped 2" in captured.err


def test_unlabelled(write_file, capsys):
    path = write_file("mine.txt", f"{S1}\n{S2}\n")
    assert main(["inspect", str(path)]) == 1
    assert main(["inspect", str(path), "--unlabelled", "--json"]) == 0
    out = capsys.readouterr().out.strip().splitlines()[-1]
    assert json.loads(out)["n_unlabelled"] == 2


def test_dataset_from_args_overrides(write_file):
    parser = argparse.ArgumentParser()
    add_data_arguments(parser)
    args = parser.parse_args(["--negatives", "shuffle", "--data-seed", "9"])
    path = write_file("x.fa", f">1\n{S1}\n>0\n{S2}\n")
    ds = dataset_from_args(args, path)
    assert ds.n_generated == 1 and ds.meta["shuffle_seed"] == 9
    assert dataset_from_args(args, path, negatives="none").n_generated == 0


def test_cli_choices_match_the_library():
    from deepmotif.cli import _data
    from deepmotif.data import readers

    assert _data.FORMATS == readers.FORMATS
    assert _data.NEGATIVES == readers.NEGATIVE_CHOICES
    assert _data.BACKGROUNDS == readers.BACKGROUND_CHOICES
