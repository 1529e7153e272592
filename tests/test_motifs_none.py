""" "No motif" is an ordinary outcome: every source, ``run_motifs``, the recovery tables, the
CLI, the dashboard and the report say so and go on; the quickstart never ends in a traceback.

The silent runs have every weight set to zero: the output is the same constant for any input,
every gradient is zero and every filter activation is zero, so no source has anything to find.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch

from deepmotif.cli import main
from deepmotif.motifs.base import NoMotifFound
from deepmotif.motifs.recovery import recovery_table
from deepmotif.motifs.run import run_motifs


def _silent_run(root, arch: str, sim):
    from safetensors.torch import save_file

    from deepmotif.training import train

    out = root / f"silent-{arch}"
    res = train(
        sim.dataset,
        None,
        arch=arch,
        out=out,
        config={"epochs": 1, "patience": 1, "batch_size": 64},
        model_config={"filters": 8} if arch != "rnn" else {"hidden": 8},
        verbose=False,
    )
    zeros = {k: torch.zeros_like(v).contiguous() for k, v in res.model.state_dict().items()}
    save_file(zeros, str(out / "model.safetensors"))
    return out


@pytest.fixture(scope="module")
def silent(tmp_path_factory, simulated):
    root = tmp_path_factory.mktemp("silent")
    sim = simulated(["CTCF"], n=200, length=60, seed=0)
    return {arch: _silent_run(root, arch, sim) for arch in ("cnn", "rnn")}


@pytest.fixture(scope="module")
def silent_results(silent, tmp_path_factory):
    root = tmp_path_factory.mktemp("silent-motifs")
    return {
        arch: run_motifs(run, out=root / arch, figures=True, verbose=False)
        for arch, run in silent.items()
    }


def _model(run):
    from deepmotif.rundir import read_run_data
    from deepmotif.training import load_run

    model, config = load_run(run)
    test = read_run_data(run)
    return model, test


def test_each_source_finds_nothing_on_a_silent_model(silent):
    from deepmotif.motifs.from_filters import filter_motifs
    from deepmotif.motifs.from_optimization import optimization_motifs
    from deepmotif.motifs.from_saliency import saliency_motifs

    model, test = _model(silent["cnn"])
    X, labels = test.one_hot(), test.labels
    with pytest.raises(NoMotifFound, match="no motif beyond chance"):
        optimization_motifs(model, length=X.shape[-1], n_restarts=4, steps=20)
    with pytest.raises(NoMotifFound, match="all zero"):
        saliency_motifs(model, X, labels, test.meta["scores"])
    assert filter_motifs(model, X, labels) == []
    # a model that scores no positive as bound: the saliency source has nothing to read
    with pytest.raises(NoMotifFound, match="no positive sequence is correctly classified"):
        saliency_motifs(model, X, labels, np.zeros(len(labels)))


@pytest.mark.parametrize("arch", ["cnn", "rnn"])
def test_run_motifs_on_a_silent_run_writes_empty_results(silent_results, arch):
    res = silent_results[arch]
    sources = ["optimize", "saliency", "filters"] if arch == "cnn" else ["optimize", "saliency"]
    assert res["sources"] == sources
    assert res["motifs"] == [] and len(res["matches"]) == 0
    assert res["best"] == {s: None for s in sources}
    assert sorted(res["no_motif"]) == sorted(sources)
    assert res["tf_matches"] == {}
    info = json.loads(open(f"{res['out']}/motifs.json").read())
    assert info["motifs"] == [] and sorted(info["no_motif"]) == sorted(sources)
    assert "no motif beyond chance" in info["no_motif"]["optimize"]
    matches = pd.read_csv(f"{res['out']}/matches.tsv", sep="\t")
    assert len(matches) == 0 and {"query", "target_name", "q_value"} <= set(matches.columns)
    from deepmotif.motifs.meme import read_meme

    assert read_meme(f"{res['out']}/motifs.meme", allow_empty=True) == {}


def test_recovery_table_counts_a_silent_run_as_not_recovered(silent_results, tmp_path):
    table = recovery_table(list(silent_results.values()))
    assert len(table) == 3 + 1 + 2 + 1  # each source plus "any", per run
    assert not table["recovered"].any() and (table["n_motifs"] == 0).all()
    # read back from disk, as benchmark --motifs does
    table2 = recovery_table([r["out"] for r in silent_results.values()])
    assert not table2["recovered"].any()


def test_benchmark_recovery_keeps_a_silent_run(silent, silent_results, tmp_path):
    import shutil

    from deepmotif.benchmark import write_recovery

    runs = []
    for arch, run in silent.items():  # with their motif results, as a rerun finds them
        runs.append(tmp_path / "CTCF" / arch)
        shutil.copytree(run, runs[-1])
        shutil.copytree(silent_results[arch]["out"], runs[-1] / "motifs")
    table = write_recovery(runs, tmp_path, verbose=False)
    assert set(table["arch"]) == {"cnn", "rnn"} and not table["recovered"].any()
    assert (tmp_path / "recovery.md").is_file()


def test_cli_motifs_on_a_silent_run_exits_0_and_says_so(silent, tmp_path, capsys):
    rc = main(["motifs", str(silent["rnn"]), "--out", str(tmp_path / "m")])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    assert "optimize: no motif found" in captured.out
    assert "saliency: no motif found" in captured.out
    assert "Traceback" not in captured.err


def test_dashboard_and_report_say_no_motif_found(silent, silent_results, tmp_path):
    import shutil

    from deepmotif.dashboard.data import RunStore
    from deepmotif.dashboard.report import render_report

    root = tmp_path / "runs"
    for arch, run in silent.items():
        shutil.copytree(run, root / "CTCF" / arch)
        shutil.copytree(silent_results[arch]["out"], root / "CTCF" / arch / "motifs")
    store = RunStore([root])
    key = next(r.key for r in store.runs if r.arch == "cnn")
    assert set(store.no_motif(key)) == {"optimize", "saliency", "filters"}
    with pytest.raises(NoMotifFound, match="no motif found"):
        store.optimization_matches(key)
    assert store.recovery()["recovered"].tolist() == [False, False]
    html = render_report(store)
    assert "optimize: no motif found" in html and "saliency: no motif found" in html
    assert "optimised input (no motif found in it)" in html
    assert "JASPAR MA" not in html  # no logo of a database match to noise


def test_dashboard_pages_say_no_motif_found(silent, silent_results, tmp_path):
    import shutil

    from deepmotif.dashboard import ids
    from deepmotif.dashboard.app import create_app
    from tests.dash_client import DashClient

    root = tmp_path / "runs"
    for arch, run in silent.items():
        shutil.copytree(run, root / "CTCF" / arch)
        shutil.copytree(silent_results[arch]["out"], root / "CTCF" / arch / "motifs")
        # the optimisation the dashboard shows is the stored one (no on-demand work here)
        (root / "CTCF" / arch / "explain").mkdir()
    app = create_app([root])
    client = DashClient(flask_client=app.server.test_client())
    out = client.call(
        [
            f"{ids.MO_TABLE}.data",
            f"{ids.MO_TABLE}.columns",
            f"{ids.MO_TABLE}.active_cell",
            f"{ids.MO_LINKS}.children",
            f"{ids.MO_MESSAGE}.children",
        ],
        {f"{ids.DATASET}.value": "CTCF", f"{ids.ARCH}.value": "cnn"},
    )
    assert out[f"{ids.MO_TABLE}.data"] == []
    message = json.dumps(out[f"{ids.MO_MESSAGE}.children"])
    assert "filters: no motif found" in message and "dm-info" in message
    opt = client.call(
        [f"{ids.OPT_CONTENT}.children"],
        {f"{ids.TABS}.value": ids.TAB_OPTIMIZATION, f"{ids.DATASET}.value": "CTCF"},
    )
    text = json.dumps(opt, ensure_ascii=False)
    assert text.count("no motif found") >= 2 and "JASPAR MA" not in text


# ---------------------------------------------------------------------------- the quickstart


def test_verdicts_name_an_architecture_that_did_not_learn():
    from deepmotif.quickstart import verdicts

    table = pd.DataFrame(
        {
            "arch": ["cnn", "rnn", "cnn-rnn"],
            "auroc": [0.983, 0.739, 0.974],
            "best_epoch": [9, 2, 8],
            "plateau": [False, False, False],
        }
    )
    v = verdicts(table)
    assert v[0] == "" and v[2] == ""
    assert v[1].startswith("fell behind: test AUROC 0.739, 0.244 below the cnn's, best epoch 2")
    assert "likely stopped early" in v[1]
    table["still_learning"] = [False, True, False]
    assert "still learning when its epoch budget ended" in verdicts(table)[1]
    table.loc[1, ["auroc", "plateau"]] = [0.51, True]
    assert verdicts(table)[1].startswith("did not learn")


def test_plateau_detector():
    from deepmotif.training.health import never_left_plateau

    assert never_left_plateau([0.5, 0.52, 0.47, 0.549])
    assert not never_left_plateau([0.5, 0.52, 0.56])
    assert not never_left_plateau([0.5, 0.4])
    assert never_left_plateau([float("nan"), 0.5])
    assert not never_left_plateau([])


@pytest.fixture
def tiny_quickstart(monkeypatch):
    """The quickstart at a size that runs in seconds (same code path)."""
    import deepmotif.quickstart as qs

    small = {
        **qs.QUICKSTART,
        "n": 400,
        "length": 101,
        "training": {"epochs": 2, "patience": 2, "batch_size": 64},
        "explain_n": 8,
        "optimize": {"n_restarts": 2, "steps": 5},
        "grammar": {**qs.QUICKSTART["grammar"], "n": 300, "training": {"epochs": 2}},
        "dependencies": {"spacing": (0, 12), "n": 10},
    }
    monkeypatch.setattr(qs, "QUICKSTART", small)
    return small


@pytest.mark.slow
def test_quickstart_goes_on_when_an_architecture_yields_nothing(
    tiny_quickstart, monkeypatch, tmp_path, capsys
):
    import deepmotif.explain.run as explain_run_module
    import deepmotif.motifs.extract as extract

    real_extract, real_explain = extract._extract_one, explain_run_module.explain_run

    def no_rnn_motifs(source, model, *args):
        if model.arch == "rnn":
            raise NoMotifFound("forced for the test")
        return real_extract(source, model, *args)

    def failing_cnn_rnn_temporal(run, *args, method, **kwargs):
        if method == "temporal" and str(run).endswith("cnn-rnn"):
            raise RuntimeError("forced failure\nsecond line")
        return real_explain(run, *args, method=method, **kwargs)

    monkeypatch.setattr(extract, "_extract_one", no_rnn_motifs)
    monkeypatch.setattr(explain_run_module, "explain_run", failing_cnn_rnn_temporal)
    out = tmp_path / "qs"
    rc = main(["quickstart", "--out", str(out), "--no-serve", "--quiet"])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    lines = captured.out.splitlines()
    rnn_line = next(line for line in lines if line.startswith("  best JASPAR match, rnn "))
    assert "optimize: no motif found; saliency: no motif found" in rnn_line
    assert any(line.startswith("  best JASPAR match, cnn ") for line in lines)
    assert "  failed: cnn-rnn: explain --method temporal: forced failure" in lines
    assert any(line.startswith("  RQ4, grammar CTCF then REST 2-10 bp apart") for line in lines)
    for arch in ("cnn", "rnn", "cnn-rnn"):
        assert any(line.startswith(f"    {arch:<8} test AUROC ") for line in lines), arch
    assert (out / "dependencies" / "dependencies.json").is_file()
    assert (out / "runs" / "rnn" / "motifs" / "motifs.json").is_file()
    assert not (out / "runs" / "cnn-rnn" / "explain" / "temporal.npz").exists()
    assert (out / "runs" / "cnn-rnn" / "explain" / "saliency.npz").is_file()
    table = pd.read_csv(out / "comparison.csv")
    assert list(table["arch"]) == ["cnn", "rnn", "cnn-rnn"] and "verdict" in table
    assert "Traceback" not in captured.err


@pytest.mark.slow
def test_real_quickstart_end_to_end(tmp_path):
    """``deepmotif quickstart --no-serve`` at its default settings, as a new user runs it.

    It asserts what holds on any processor: the command finishes, prints its comparison and a
    motif line per architecture, and writes its files. What each architecture learns may differ
    between processors (their floating-point kernels differ), so no AUROC is asserted here.
    """
    import subprocess
    import sys

    out = tmp_path / "demo"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "deepmotif.cli",
            "quickstart",
            "--no-serve",
            "--quiet",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    assert "test set comparison" in proc.stdout or "done in" in proc.stdout
    for arch in ("cnn", "rnn", "cnn-rnn"):
        assert f"  best JASPAR match, {arch}" in proc.stdout
        assert (out / "runs" / arch / "metrics.json").is_file()
        assert (out / "runs" / arch / "motifs" / "motifs.json").is_file()
    assert "failed:" not in proc.stdout
    table = pd.read_csv(out / "comparison.csv")
    assert list(table["arch"]) == ["cnn", "rnn", "cnn-rnn"]
    assert table["auroc"].between(0, 1).all()
    assert "RQ4, grammar CTCF then REST" in proc.stdout
    info = json.loads((out / "dependencies" / "dependencies.json").read_text())
    assert sorted(r["arch"] for r in info["runs"].values()) == ["cnn", "cnn-rnn", "rnn"]
