"""Recovery rules: names, dimers, paralog stems, the known TF of a run, and the tables."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from deepmotif.errors import DeepMotifError
from deepmotif.motifs.recovery import (
    known_tf,
    recovery,
    recovery_summary,
    recovery_table,
    same_stem,
    same_tf,
)


@pytest.mark.parametrize(
    "target, tf, expected",
    [
        ("REST", "rest", True),
        ("MAX::MYC", "MYC", True),
        ("MAX::MYC", "max", True),
        ("CTCFL", "CTCF", False),
        ("CTCF", "CTCFL", False),
        ("Arid3a", "ARID3A", True),
        ("ELK1::HOXA1", "ELK1", True),
        ("ELK4", "ELK1", False),
    ],
)
def test_same_tf(target, tf, expected):
    assert same_tf(target, tf) is expected


@pytest.mark.parametrize(
    "target, tf, expected",
    [
        ("FOXA2", "FOXA1", True),
        ("ELK4", "ELK1", True),
        ("ZBTB7B", "ZBTB7A", True),
        ("USF2", "USF1", True),
        ("SP2", "SP1", True),
        ("SPI1", "SP1", False),
        ("KLF4", "SP1", False),
        ("MYCN", "MYC", False),
        ("MAX::MYCN", "MYC", False),
    ],
)
def test_same_stem(target, tf, expected):
    assert same_stem(target, tf) is expected


def _matches(rows):
    cols = ["query", "rank", "target_id", "target_name", "p_value", "q_value"]
    return pd.DataFrame(rows, columns=cols)


TABLE = _matches(
    [
        ("cnn-saliency-1", 1, "MA0059.2", "MAX::MYC", 1e-8, 1e-5),
        ("cnn-saliency-1", 2, "MA0093.4", "USF1", 1e-7, 2e-5),
        ("cnn-filters-1", 1, "MA0526.5", "USF2", 1e-4, 0.01),
        ("cnn-filters-1", 2, "MA0147.4", "MYC", 1e-3, 0.2),
        ("cnn-filters-2", 1, "MA0093.4", "USF1", 1e-6, 0.04),
    ]
)


def test_recovery_rules_by_hand():
    r = recovery(TABLE, "MYC")
    assert r["recovered"] and r["target"] == "MAX::MYC" and r["motif"] == "cnn-saliency-1"
    assert r["rank"] == 1 and r["q_value"] == 1e-5
    # MYC in cnn-filters-1 has q = 0.2: not significant
    filters = TABLE[TABLE["query"].str.contains("filters")]
    assert not recovery(filters, "MYC")["recovered"]
    r = recovery(filters, "USF1")
    assert r["recovered"] and r["motif"] == "cnn-filters-2" and r["paralog"]  # USF2 at q=0.01
    # top_k: USF1 is rank 2 for the saliency motif
    sal = TABLE[TABLE["query"] == "cnn-saliency-1"]
    assert recovery(sal, "USF1", top_k=2)["recovered"]
    assert not recovery(sal, "USF1", top_k=1)["recovered"]
    # q threshold
    assert not recovery(sal, "MYC", q_threshold=1e-5)["recovered"]
    assert recovery(TABLE, None)["top_target"] == "MAX::MYC"
    assert not recovery(TABLE.iloc[:0], "MYC")["recovered"]


def _fake_run(tmp_path, name, train):
    run = tmp_path / name
    run.mkdir()
    config = {"arch": "cnn", "model": {}, "data": {"train": train}}
    (run / "config.json").write_text(json.dumps(config))
    return run


def test_known_tf_from_file_name_and_simulation(tmp_path):
    run = _fake_run(
        tmp_path,
        "a",
        {"path": "/data/REST_GM12878_NRSF_HudsonAlpha_AC.seq.gz", "format": "deepbind"},
    )
    assert known_tf(run) == "REST"
    run = _fake_run(
        tmp_path,
        "b",
        {"path": None, "format": "simulated", "meta": {"simulation": {"tfs": ["CTCF", "GATA1"]}}},
    )
    assert known_tf(run) == "CTCF"
    run = _fake_run(
        tmp_path, "c", {"path": "/x/sim.fa", "format": "fasta", "ground_truth": {"tfs": ["SOX2"]}}
    )
    assert known_tf(run) == "SOX2"
    # a FASTA whose name is not a TF: unknown; one that is a JASPAR name: trusted
    assert (
        known_tf(_fake_run(tmp_path, "d", {"path": "/x/train_peaks.fa", "format": "fasta"})) is None
    )
    assert (
        known_tf(_fake_run(tmp_path, "e", {"path": "/x/FOXA1_hepg2.fa", "format": "fasta"}))
        == "FOXA1"
    )
    with pytest.raises(DeepMotifError, match="not a run directory"):
        known_tf(tmp_path)


def _result(tf, arch, sources, run, matches=TABLE) -> dict:
    """One run's motif results as ``recovery_table`` accepts them in place of a directory."""
    return {"matches": matches, "tf": tf, "arch": arch, "sources": sources, "run": run,
            "tf_in_database": True}  # fmt: skip


def test_recovery_table_and_summary():
    results = [
        _result("MYC", "cnn", ["saliency", "filters"], "r1"),
        _result("USF1", "cnn", ["saliency", "filters"], "r2"),
        _result("REST", "rnn", ["saliency"], "r3", matches=TABLE.iloc[:0]),
    ]
    table = recovery_table(results)
    assert list(table["source"]) == [
        "saliency",
        "filters",
        "any",
        "saliency",
        "filters",
        "any",
        "saliency",
        "any",
    ]
    got = table.set_index(["tf", "source"])["recovered"]
    assert got[("MYC", "saliency")] and not got[("MYC", "filters")] and got[("MYC", "any")]
    assert got[("USF1", "saliency")] and got[("USF1", "filters")]
    assert not got[("REST", "saliency")]
    summary = recovery_summary(table).set_index("arch")
    assert summary.loc["cnn", "saliency"] == "2/2"
    assert summary.loc["cnn", "filters"] == "1/2"
    assert summary.loc["rnn", "saliency"] == "0/1"
    assert summary.loc["rnn", "filters"] == "-"
    assert summary.loc["any", "any"] == "2/3"


def test_recovery_table_needs_results(tmp_path):
    with pytest.raises(DeepMotifError, match="run 'deepmotif motifs' first"):
        recovery_table([tmp_path])


def test_summary_with_paralogs():
    results = [
        _result("USF2", "cnn", ["saliency", "filters"], "r"),
    ]
    table = recovery_table(results)
    # USF2 itself is significant only in cnn-filters-1 (q=0.01); its paralog USF1 everywhere
    assert recovery_summary(table).set_index("arch").loc["cnn", "saliency"] == "0/1"
    assert recovery_summary(table, paralogs=True).set_index("arch").loc["cnn", "saliency"] == "1/1"
    assert recovery_summary(table).set_index("arch").loc["cnn", "filters"] == "1/1"


def test_any_rank_uses_the_tfs_best_matrix_over_all_targets():
    tf_matches = {
        "cnn-saliency-1": {
            "rank": 19,
            "q_value": 1e-4,
            "target_id": "MA0148.5",
            "target_name": "FOXA1",
            "p_value": 1e-7,
        },
        "cnn-filters-1": {
            "rank": 40,
            "q_value": 0.3,
            "target_id": "MA0148.5",
            "target_name": "FOXA1",
            "p_value": 1e-3,
        },
    }
    results = [{**_result("FOXA1", "cnn", ["saliency", "filters"], "r"), "tf_matches": tf_matches}]
    table = recovery_table(results).set_index("source")
    assert not table.loc["saliency", "recovered"] and table.loc["saliency", "any_rank"]
    assert table.loc["saliency", "tf_rank"] == 19 and table.loc["saliency", "tf_q_value"] == 1e-4
    assert not table.loc["filters", "any_rank"] and table.loc["filters", "tf_rank"] == 40
    summary = recovery_summary(recovery_table(results), any_rank=True).set_index("arch")
    assert summary.loc["cnn", "saliency"] == "1/1" and summary.loc["cnn", "filters"] == "0/1"
