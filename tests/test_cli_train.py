"""train / evaluate / benchmark from the command line: one-line errors, nothing written, values."""

import json
import os
import shutil

import numpy as np
import pandas as pd
import pytest

from deepmotif.benchmark import discover_datasets, wide_table
from deepmotif.cli import main
from tests.cli_helpers import one_line_error
from tests.test_training import write_fasta


@pytest.fixture
def fasta(tmp_path, planted):
    return write_fasta(tmp_path / "train.fa", planted(200, 30))


@pytest.mark.parametrize(
    "extra, match",
    [
        (["--epochs", "-1"], "--epochs: expected a whole number of at least 1, got -1"),
        (["--batch-size", "0"], "--batch-size: expected a whole number of at least 1, got 0"),
        (["--arch", "lstm"], "invalid choice: 'lstm'"),
        (["--lr", "abc"], "--lr: expected a number, got 'abc'"),
    ],
)
def test_bad_flags(tmp_path, capsys, fasta, extra, match):
    one_line_error(capsys, ["train", fasta, "--out", str(tmp_path / "run"), *extra], match)
    assert not (tmp_path / "run").exists()


def test_unknown_config_key(tmp_path, capsys, fasta):
    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps({"epochs": 1, "bogus": 2}))
    one_line_error(
        capsys,
        ["train", fasta, "--out", str(tmp_path / "run"), "--config", str(cfg)],
        f"{cfg}: unknown config key 'bogus'",
    )
    cfg.write_text(json.dumps({"model": {"filterz": 2}}))
    one_line_error(
        capsys,
        ["train", fasta, "--out", str(tmp_path / "run"), "--config", str(cfg)],
        "unknown model setting 'filterz' for cnn",
    )
    cfg.write_text('{"epochs": 1,,}')
    one_line_error(
        capsys,
        ["train", fasta, "--out", str(tmp_path / "run"), "--config", str(cfg)],
        f"line 1 of {cfg}: not valid JSON",
    )
    assert not (tmp_path / "run").exists()


def test_out_is_a_file_or_not_writable(tmp_path, capsys, fasta):
    f = tmp_path / "afile"
    f.write_text("precious")
    one_line_error(capsys, ["train", fasta, "--out", str(f)], "exists and is a file")
    assert f.read_text() == "precious"
    one_line_error(capsys, ["train", fasta, "--out", str(f / "run")], "cannot write")


def test_non_empty_dir_refused_without_force(tmp_path, capsys, fasta):
    d = tmp_path / "run"
    d.mkdir()
    (d / "notes.txt").write_text("mine")
    one_line_error(capsys, ["train", fasta, "--out", str(d)], "not empty")
    assert sorted(os.listdir(d)) == ["notes.txt"]


def test_bad_data_file_leaves_nothing(tmp_path, capsys):
    bad = tmp_path / "bad.fa"
    bad.write_text(">a 1\nACGTXACGT\n>b 0\nACGTACGTA\n")
    one_line_error(capsys, ["train", str(bad), "--out", str(tmp_path / "run")], "line 2 of")
    assert not (tmp_path / "run").exists()


def test_train_and_evaluate_cli_values(tmp_path, capsys, fasta):
    run = tmp_path / "run"
    assert (
        main(
            [
                "train",
                fasta,
                "--out",
                str(run),
                "--epochs",
                "2",
                "--batch-size",
                "32",
                "--dtype",
                "fp32",
                "--quiet",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "test AUROC" in out and str(run) in out
    cfg = json.loads((run / "config.json").read_text())
    assert cfg["training"]["epochs"] == 2 and cfg["training"]["batch_size"] == 32
    assert len(cfg["data"]["train"]["sha256"]) == 64
    assert main(["evaluate", str(run), fasta, "--json"]) == 0
    m = json.loads(capsys.readouterr().out)
    assert m["n"] == 200 and 0 <= m["auroc"] <= 1
    # evaluate writes, then refuses to overwrite
    assert main(["evaluate", str(run), fasta, "--out", str(tmp_path / "ev")]) == 0
    pred = pd.read_csv(tmp_path / "ev/predictions.tsv", sep="\t")
    assert len(pred) == 200
    capsys.readouterr()
    one_line_error(capsys, ["evaluate", str(run), fasta, "--out", str(tmp_path / "ev")], "--force")
    one_line_error(capsys, ["evaluate", str(tmp_path / "nope"), fasta], "no such run directory")


def test_benchmark_discovery_and_table(tmp_path, capsys, planted):
    data = tmp_path / "data"
    data.mkdir()
    ds = planted(120, 30)
    lines = ["FoldID\tEventID\tseq\tBound"] + [
        f"A\t{i}_peak\t{s}\t1" for i, s, y in zip(ds.ids, ds.sequences, ds.labels) if y == 1
    ]
    (data / "TFX_cell_ab_Lab_AC.seq").write_text("\n".join(lines) + "\n")
    test = ["FoldID\tEventID\tseq\tBound"] + [
        f"B\t{i}\t{s}\t{y}" for i, s, y in zip(ds.ids, ds.sequences, ds.labels)
    ]
    (data / "TFX_cell_ab_Lab_B.seq").write_text("\n".join(test) + "\n")
    found = discover_datasets(data)
    assert [(d.name, d.train.name, d.test.name) for d in found] == [
        ("TFX_cell_ab_Lab", "TFX_cell_ab_Lab_AC.seq", "TFX_cell_ab_Lab_B.seq")
    ]
    ref = tmp_path / "ref.csv"
    ref.write_text("experiment,deepbind_star,deepbind,best_sexus\nTFX_cell_ab_Lab,0.9,0.8,0.7\n")
    argv = [
        "benchmark",
        str(data),
        "--out",
        str(tmp_path / "bench"),
        "--archs",
        "cnn",
        "--epochs",
        "1",
        "--reference",
        str(ref),
        "--seeds",
        "2",
        "--seed",
        "3",
        "--quiet",
    ]
    assert main(argv) == 0
    table = pd.read_csv(tmp_path / "bench/benchmark.csv")
    assert table[["dataset", "arch", "seed", "deepbind_star", "deepbind"]].values.tolist() == [
        ["TFX_cell_ab_Lab", "cnn", 3, 0.9, 0.8],
        ["TFX_cell_ab_Lab", "cnn", 4, 0.9, 0.8],
    ]
    run = tmp_path / "bench/TFX_cell_ab_Lab/cnn"
    for seed in (3, 4):
        metrics = json.loads((run / f"seed{seed}/metrics.json").read_text())
        assert json.loads((run / f"seed{seed}/config.json").read_text())["seed"] == seed
        row = table[table["seed"] == seed].iloc[0]
        assert row["auroc"] == pytest.approx(metrics["test"]["auroc"], abs=1e-4)
    summary = pd.read_csv(tmp_path / "bench/benchmark_summary.csv")
    assert summary["n_seeds"].tolist() == [2]
    assert summary["auroc_mean"][0] == pytest.approx(table["auroc"].mean(), abs=1e-3)
    lo, hi = summary["auroc_ci_low"][0], summary["auroc_ci_high"][0]
    assert lo <= summary["auroc_mean"][0] <= hi
    assert "## AUROC" in (tmp_path / "bench/benchmark.md").read_text()
    assert "figure: " in capsys.readouterr().out and (tmp_path / "bench/benchmark.png").is_file()
    # a real run records its last rate: the CNN's exponential decay at the epoch it ended
    history = pd.read_csv(run / "seed3/history.csv")
    base = json.loads((run / "seed3/config.json").read_text())["training"]["lr"]
    end = table[table["seed"] == 3].iloc[0]["end_lr"]
    assert end == pytest.approx(history["lr"].iloc[-1] / base, rel=1e-3)
    assert table[table["seed"] == 3].iloc[0]["epoch_limit"] == 1
    mtime = os.path.getmtime(run / "seed3/model.safetensors")
    assert main(argv) == 0  # finished runs are skipped
    assert os.path.getmtime(run / "seed3/model.safetensors") == mtime
    capsys.readouterr()
    one_line_error(capsys, [*argv[:5], "lstm"], "unknown architecture 'lstm'")
    # a run in the layout before seeds is not trained over: say where to move it
    old = tmp_path / "old/TFX_cell_ab_Lab/cnn"
    shutil.copytree(run / "seed3", old)
    one_line_error(capsys, [*argv[:3], str(tmp_path / "old"), *argv[4:]], f"move it to {old}/seed3")
    assert sorted(p.name for p in old.iterdir()) == sorted(
        p.name for p in (run / "seed3").iterdir()
    )
    # --motifs: every finished run's motifs matched to JASPAR, then the recovery tables
    assert main([*argv, "--motifs"]) == 0
    rec = pd.read_csv(tmp_path / "bench/recovery.csv")
    assert set(rec["arch"]) == {"cnn"} and "any" in set(rec["source"])
    assert (run / "seed3/motifs/matches.tsv").is_file()
    assert sorted(rec.loc[rec["source"] == "any", "seed"]) == [3, 4]
    # TFX has no JASPAR motif, so the summary counts no TF for it
    assert not rec["tf_in_database"].any()
    assert "## strict" in (tmp_path / "bench/recovery.md").read_text()


def test_wide_table_means():
    t = pd.DataFrame(
        {
            "dataset": ["a", "a", "b", "b"],
            "arch": ["cnn", "rnn", "cnn", "rnn"],
            "auroc": [0.9, 0.8, 0.7, 0.6],
            "auprc": [0.5] * 4,
            "deepbind_star": [0.95, 0.95, np.nan, np.nan],
            "deepbind": [0.9, 0.9, 0.85, 0.85],
        }
    )
    w = wide_table(t, ["cnn", "rnn"])
    assert w.loc["mean", "cnn AUROC"] == pytest.approx(0.8)
    assert w.loc["mean", "rnn AUROC"] == pytest.approx(0.7)
    assert w.loc["mean", "DeepBind* AUROC"] == pytest.approx(0.95)
    assert w.loc["mean", "DeepBind AUROC"] == pytest.approx(0.875)


def test_benchmark_bad_input_writes_nothing(tmp_path, capsys):
    data = tmp_path / "data"
    data.mkdir()
    (data / "TFX_AC.seq").write_text("FoldID\tEventID\tseq\tBound\nA\tp1\tACGTXQ\t1\n")
    (data / "TFX_B.seq").write_text("FoldID\tEventID\tseq\tBound\nB\tp1\tACGTAC\t1\n")
    out = tmp_path / "bench"
    argv = ["benchmark", str(data), "--out", str(out), "--epochs", "1", "--quiet"]
    one_line_error(capsys, argv, "TFX_AC.seq")
    assert not out.exists()  # refused before --out was made
    one_line_error(capsys, [*argv, "--archs", ""], "--archs: no architecture given")
    one_line_error(capsys, [*argv, "--archs", " , "], "--archs: no architecture given")
    assert not out.exists()


def test_benchmark_warns_about_an_unpaired_test_file(tmp_path, capsys):
    data = tmp_path / "data"
    data.mkdir()
    (data / "TFX_AC.seq").write_text("FoldID\tEventID\tseq\tBound\nA\tp1\tACGTAC\t1\n")
    (data / "ORPHAN_B.seq.gz").write_bytes(b"")
    (data / "SIM.sites.tsv").write_text("seq_id\ttf\tstart\nx\tCTCF\t3\n")  # not a dataset
    out = tmp_path / "bench"
    code = main(["benchmark", str(data), "--out", str(out), "--datasets", "nomatch"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code != 0 and len(err) == 2, err
    assert err[0].startswith("deepmotif: warning: ") and "ORPHAN_B.seq.gz" in err[0]
    assert "ORPHAN_AC.seq" in err[0] and "--datasets nomatch" in err[1]
    assert not out.exists()
    with pytest.warns(UserWarning, match="ORPHAN_B"):
        assert [d.name for d in discover_datasets(data)] == ["TFX"]
