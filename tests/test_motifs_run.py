"""End to end on simulated data with a planted CTCF motif: extraction, Tomtom, files, CLI errors.

One small CNN is trained once for the module (a few seconds of training); everything else reuses
it.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest
from memelite import tomtom
from memelite.io import read_meme as memelite_read_meme

from deepmotif import jaspar
from deepmotif.cli import main
from deepmotif.models import build_model, resolve_model_config
from deepmotif.motifs.extract import resolve_sources
from deepmotif.motifs.recovery import recovery_table
from deepmotif.motifs.run import run_motifs


@pytest.fixture(scope="module")
def cnn_run(tmp_path_factory, simulated):
    from deepmotif.training import train

    sim = simulated(["CTCF"], n=1000, length=101, seed=0)
    out = tmp_path_factory.mktemp("runs") / "ctcf-cnn"
    train(
        sim.dataset,
        None,
        arch="cnn",
        out=out,
        config={"epochs": 6, "patience": 6, "lr": 3e-3, "batch_size": 64},
        model_config={"filters": 8, "widths": [15], "conv_dropout": 0.0, "dropout": 0.1},
        verbose=False,
    )
    return out


@pytest.fixture(scope="module")
def cnn_result(cnn_run, tmp_path_factory):
    out = tmp_path_factory.mktemp("motifs") / "out"
    return run_motifs(cnn_run, out=out, sources="saliency,filters", figures=False, verbose=False)


def test_planted_tf_is_named_first(cnn_result):
    assert cnn_result["tf"] == "CTCF" and cnn_result["tf_in_database"] is True
    firsts = {s: b["target_name"] for s, b in cnn_result["best"].items() if b}
    assert "CTCF" in firsts.values(), firsts
    for best in cnn_result["best"].values():
        if best and best["target_name"] == "CTCF":
            assert best["rank"] == 1 and best["q_value"] < 0.05
            # the TF's best matrix over all targets is that same first match
            tf_best = cnn_result["tf_matches"][best["query"]]
            assert tf_best["rank"] == 1 and tf_best["target_id"] == best["target_id"]
    table = recovery_table([cnn_result])
    assert table.set_index("source").loc["any", "recovered"]
    names = [m.name for m in cnn_result["motifs"]]
    assert all(n.startswith(("cnn-saliency-", "cnn-filters-")) for n in names)
    assert cnn_result["database"]["release"] == jaspar.DEFAULT_RELEASE


def test_files_round_trip_and_equal_tomtom_called_directly(cnn_result):
    out = cnn_result["out"]
    motifs = cnn_result["motifs"]
    back = memelite_read_meme(f"{out}/motifs.meme")
    assert list(back) == [m.name for m in motifs]
    for m in motifs:
        np.testing.assert_array_equal(back[m.name], m.pwm)

    table = pd.read_csv(f"{out}/matches.tsv", sep="\t")
    top_k = 5
    targets = jaspar.load_motifs()
    p, _, offsets, _, strands = tomtom(list(back.values()), [t.pwm for t in targets])
    ids = np.array([t.matrix_id for t in targets])
    for qi, name in enumerate(back):
        rows = table[table["query"] == name]
        order = np.lexsort((ids, p[qi]))[:top_k]
        assert list(rows["target_id"]) == list(ids[order])
        np.testing.assert_allclose(rows["p_value"], p[qi, order], rtol=1e-12)
        assert list(rows["offset"]) == offsets[qi, order].astype(int).tolist()
        assert list(rows["orientation"]) == ["-" if s else "+" for s in strands[qi, order]]
    assert table.equals(
        table.sort_values(["query", "p_value"], kind="stable").reset_index(drop=True)
    )
    info = json.loads(open(f"{out}/motifs.json").read())
    assert info["database"]["release"] == jaspar.DEFAULT_RELEASE
    assert (
        info["database"]["collection"] == "CORE" and info["database"]["tax_group"] == "vertebrates"
    )
    assert set(info["timings"]) >= {"extract", "match", "extract_saliency", "extract_filters"}
    assert info["attribution"] == cnn_result["attribution"] == "saliency"


def test_cli_writes_tables_and_logos(cnn_run, tmp_path, capsys):
    out = tmp_path / "cli"
    code = main(["motifs", str(cnn_run), "--out", str(out), "--source", "filters", "--top-k", "2"])
    assert code == 0
    stdout = capsys.readouterr().out
    assert "filters: best match" in stdout and "JASPAR" in stdout
    table = pd.read_csv(out / "matches.tsv", sep="\t")
    assert table.groupby("query").size().max() == 2
    pngs = sorted(p.name for p in out.glob("*.png"))
    assert pngs == sorted(f"{q}.png" for q in table["query"].unique())
    # again without --force: refused; with --force: fine
    assert main(["motifs", str(cnn_run), "--out", str(out), "--source", "filters"]) == 1
    assert "pass --force" in capsys.readouterr().err


def _rnn_run(tmp_path, source_run):
    """A run directory for an (untrained) RNN, written by hand."""
    from safetensors.torch import save_file

    run = tmp_path / "rnn-run"
    run.mkdir()
    config = json.loads((source_run / "config.json").read_text())
    config["arch"] = "rnn"
    config["model"] = resolve_model_config("rnn", {"hidden": 4})
    (run / "config.json").write_text(json.dumps(config))
    model = build_model("rnn", **config["model"])
    save_file(
        {k: v.contiguous() for k, v in model.state_dict().items()}, str(run / "model.safetensors")
    )
    shutil.copy(source_run / "metrics.json", run / "metrics.json")
    shutil.copy(source_run / "test.tsv", run / "test.tsv")
    return run


def _no_positive_right(tmp_path, source_run):
    run = tmp_path / "hopeless"
    shutil.copytree(source_run, run)
    test = pd.read_csv(run / "test.tsv", sep="\t")
    # every positive scored below 0.5 (none correctly classified), yet ranked above every
    # negative: the model separates them, so the signal null lets the source look
    test["score"] = np.where(test["label"] == 1, 0.4, 0.1)
    test.to_csv(run / "test.tsv", sep="\t", index=False)
    return run


def test_a_model_without_signal_yields_no_seqlet_or_filter_motif(cnn_run, tmp_path, capsys):
    """The null of the saliency and filters sources: scores unrelated to the labels (as a
    label-shuffled model's) give "no motif beyond chance", whatever the seqlets would say."""
    run = tmp_path / "shuffled"
    shutil.copytree(cnn_run, run)
    test = pd.read_csv(run / "test.tsv", sep="\t")
    test["score"] = np.random.default_rng(0).random(len(test))
    test.to_csv(run / "test.tsv", sep="\t", index=False)
    out = tmp_path / "out"
    assert main(["motifs", str(run), "--out", str(out), "--source", "saliency,filters"]) == 0
    printed = capsys.readouterr().out
    info = json.loads((out / "motifs.json").read_text())
    assert info["motifs"] == []
    for source in ("saliency", "filters"):
        why = info["no_motif"][source]
        assert why.startswith("no motif beyond chance: the model does not separate") and (
            f"{source}: no motif found (no motif beyond chance" in printed
        )
    # --no-signal-check: the sources look anyway (the trained filters give motifs)
    out2 = tmp_path / "out2"
    args = ["motifs", str(run), "--out", str(out2), "--source", "filters", "--no-signal-check"]
    assert main([*args, "--quiet"]) == 0
    info = json.loads((out2 / "motifs.json").read_text())
    assert info["motifs"] and "filters" not in info["no_motif"]


def test_model_signal_bound_is_the_permutation_null():
    """The chance bound equals the 99.9th percentile of AUROC under shuffled labels."""
    from sklearn.metrics import roc_auc_score

    from deepmotif.motifs.base import model_signal, no_signal_reason

    rng = np.random.default_rng(1)
    labels = np.r_[np.ones(150, int), np.zeros(250, int)]
    scores = rng.random(400)
    null = [roc_auc_score(rng.permutation(labels), scores) for _ in range(20000)]
    sig = model_signal(scores, labels)
    assert sig["bound"] == pytest.approx(np.quantile(null, 0.999), abs=0.01)
    assert not sig["signal"] and sig["n_positive"] == 150 and sig["n_negative"] == 250
    assert model_signal(scores + 0.5 * labels, labels)["signal"]
    # thousands of sequences: a "significant" AUROC of 0.53 is still below the minimum effect
    big = np.r_[np.ones(5000, int), np.zeros(5000, int)]
    weak = rng.random(10000) + 0.035 * big
    s = model_signal(weak, big)
    assert 0.52 < s["auroc"] < 0.55 and s["bound"] == 0.55 and not s["signal"]
    assert not model_signal(scores[:10], np.ones(10, int))["signal"]
    few = model_signal(np.r_[np.ones(6), np.zeros(6)], np.r_[np.ones(6, int), np.zeros(6, int)])
    assert few["auroc"] == 1.0 and few["bound"] > 1 and not few["signal"]
    assert "too few to show the model's signal" in no_signal_reason(few)


@pytest.mark.parametrize(
    "case, message",
    [
        ("bad-meme", "bad.meme: expected row 1 of 3"),
        ("release", "unknown JASPAR release '1999'"),
        ("tax-group", "unknown JASPAR taxonomic group 'martians'"),
        ("rnn-filters", "the filters source needs convolutions, and the rnn model has none"),
        ("source", "unknown motif source 'kmers'"),
        ("temperature", "temperature applies to the softmax objective only, not to 'paper'"),
    ],
)
def test_cli_bad_input_is_one_line(case, message, cnn_run, tmp_path, capsys):
    run, extra = cnn_run, []
    if case == "bad-meme":
        bad = tmp_path / "bad.meme"
        bad.write_text(
            "MEME version 4\n\nMOTIF x\nletter-probability matrix: alength= 4 w= 3\n0.1 0.2\n"
        )
        extra = ["--db", str(bad), "--source", "filters"]
    elif case == "release":
        extra = ["--jaspar-release", "1999"]
    elif case == "tax-group":
        extra = ["--tax-group", "martians"]
    elif case == "rnn-filters":
        run = _rnn_run(tmp_path, cnn_run)
        extra = ["--source", "filters"]
    elif case == "source":
        extra = ["--source", "saliency,kmers"]
    elif case == "temperature":
        extra = ["--source", "optimize", "--objective", "paper", "--temperature", "0.5"]
    code = main(["motifs", str(run), "--out", str(tmp_path / "out"), *extra])
    err = capsys.readouterr().err
    assert code == 1
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_cli_attribution_and_device(cnn_run, tmp_path, capsys):
    """--attribution takes the registry's attribution methods; anything else is one line."""
    out = tmp_path / "out"
    args = ["motifs", str(cnn_run), "--out", str(out), "--source", "filters"]
    assert main([*args, "--attribution", "temporal"]) == 2
    err = capsys.readouterr().err
    assert "--attribution: invalid choice: 'temporal'" in err and err.count("\n") == 1
    assert not out.exists()
    assert main([*args, "--attribution", "saliency", "--device", "cpu", "--quiet"]) == 0
    assert json.loads((out / "motifs.json").read_text())["attribution"] == "saliency"


def test_auto_attribution_is_the_audits_best_per_architecture(cnn_run, tmp_path, capsys):
    """--attribution auto (the default): integrated gradients for the recurrent models,
    saliency for the CNN; the method used is recorded; a named method is kept as given."""
    from deepmotif.motifs.run import AUTO_ATTRIBUTION, resolve_attribution

    assert [resolve_attribution("auto", a) for a in ("cnn", "rnn", "cnn-rnn")] == [
        "saliency", "integrated-gradients", "integrated-gradients"
    ]  # fmt: skip
    assert set(AUTO_ATTRIBUTION) == {"cnn", "rnn", "cnn-rnn"}
    assert resolve_attribution("ISM", "rnn") == "ism"
    run = _rnn_run(tmp_path, cnn_run)
    for given, used in ((None, "integrated-gradients"), ("saliency", "saliency")):
        out = tmp_path / f"m-{used}"
        extra = ["--attribution", given] if given else []
        args = ["motifs", str(run), "--out", str(out), "--source", "saliency", "--quiet", *extra]
        assert main(args) == 0, capsys.readouterr().err
        assert json.loads((out / "motifs.json").read_text())["attribution"] == used


def test_no_correct_positive_is_no_motif_not_an_error(cnn_run, tmp_path, capsys):
    run = _no_positive_right(tmp_path, cnn_run)
    code = main(["motifs", str(run), "--out", str(tmp_path / "out"), "--source", "saliency"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "saliency: no motif found (no positive sequence is correctly classified" in captured.out
    info = json.loads((tmp_path / "out" / "motifs.json").read_text())
    assert info["motifs"] == [] and "correctly classified" in info["no_motif"]["saliency"]


def test_default_sources_per_architecture():
    assert resolve_sources(None, build_model("rnn", hidden=4)) == ["optimize", "saliency"]
    assert resolve_sources(None, build_model("cnn-rnn", filters=4, hidden=4)) == [
        "optimize",
        "saliency",
        "filters",
    ]
    assert resolve_sources("filters, saliency", build_model("cnn", filters=4)) == [
        "saliency",
        "filters",
    ]


@pytest.mark.slow
def test_default_sources_each_name_the_planted_tf(cnn_run, tmp_path):
    """All three sources (class optimisation, saliency with recursive seqlets, filters)."""
    res = run_motifs(
        cnn_run,
        out=tmp_path / "all",
        figures=False,
        verbose=False,
        options={"saliency": {"seqlets": "recursive"}},
    )
    assert res["sources"] == ["optimize", "saliency", "filters"]
    firsts = {s: b["target_name"] if b else None for s, b in res["best"].items()}
    assert firsts["saliency"] == "CTCF", firsts
    assert firsts["filters"] == "CTCF", firsts
    table = recovery_table([res]).set_index("source")
    assert table.loc["saliency", "recovered"] and table.loc["filters", "recovered"]


def _record_optimization(monkeypatch, key: str, **short) -> list:
    """Record ``key`` of every class optimization call (the model's, then its null's), run
    with the ``short`` settings; the list the values go to."""
    import deepmotif.explain as explain

    real = explain.class_optimization
    seen = []

    def recording(model, **kw):
        seen.append(kw.get(key))
        return real(model, **{**kw, **short})

    monkeypatch.setattr(explain, "class_optimization", recording)
    return seen


def test_cli_restarts_reach_the_model_and_its_null(cnn_run, tmp_path, capsys, monkeypatch):
    """--restarts sets the optimize source's restarts for the run's model and for its untrained
    twin (the null must search as hard as the model); the kept motif records the count."""
    seen = _record_optimization(monkeypatch, "n_restarts", steps=40)  # only the count is checked
    out = tmp_path / "out"
    args = ["motifs", str(cnn_run), "--out", str(out), "--source", "optimize", "--quiet"]
    assert main([*args, "--restarts", "5"]) == 0, capsys.readouterr().err
    assert seen == [5, 5]
    info = json.loads((out / "motifs.json").read_text())
    assert all(m["n_restarts"] == 5 for m in info["motifs"])
    assert info["motifs"] or info["no_motif"]["optimize"].startswith("no motif beyond chance")
    assert main([*args, "--restarts", "0", "--force"]) == 2
    err = capsys.readouterr().err
    assert "--restarts" in err and err.count("\n") == 1 and "Traceback" not in err


def test_cli_samples_reach_the_model_and_its_null(cnn_run, tmp_path, capsys, monkeypatch):
    """--samples sets the optimize source's one-hot draws for the run's model and its untrained
    twin; the kept motif (if any) records them; without it the default ("auto") is passed on."""
    seen = _record_optimization(monkeypatch, "samples", steps=20, n_restarts=4)
    out = tmp_path / "out"
    args = ["motifs", str(cnn_run), "--out", str(out), "--source", "optimize", "--quiet"]
    assert main([*args, "--samples", "2"]) == 0, capsys.readouterr().err
    assert seen == [2, 2]
    info = json.loads((out / "motifs.json").read_text())
    assert all(m["samples"] == 2 for m in info["motifs"])
    seen.clear()
    assert main([*args, "--force"]) == 0, capsys.readouterr().err
    assert seen == [None, None]  # the objective's default: 0 draws for this CNN
    assert main([*args, "--samples", "-1", "--force"]) == 2
    err = capsys.readouterr().err
    assert "--samples" in err and err.count("\n") == 1 and "Traceback" not in err


def _bench_motifs():
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location(
        "bench_motifs", Path(__file__).resolve().parents[1] / "benchmarks" / "bench_motifs.py"
    )
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    return bench


def test_bench_motifs_extracts_again_when_its_settings_change(cnn_run, tmp_path, capsys):
    """benchmarks/bench_motifs.py recover reuses motifs made by the same code and settings, and
    extracts again (into the folder it wrote before) when they differ."""
    bench = _bench_motifs()
    args = ["recover", "--run-dir", str(cnn_run), "--out", str(tmp_path), "--sources", "filters"]
    record = tmp_path / cnn_run.name / bench.MADE_BY
    assert bench.main(args) == 0
    assert json.loads(record.read_text())["top_k"] == 5
    assert bench.main([*args, "--top-k", "3"]) == 0
    assert "extracting again" in capsys.readouterr().out
    assert json.loads(record.read_text())["top_k"] == 3
    assert bench.main([*args, "--top-k", "3"]) == 0
    assert "motifs already in" in capsys.readouterr().out


def test_bench_motifs_trains_at_its_budget_or_the_package_defaults(tmp_path, capsys):
    """benchmarks/bench_motifs.py train: the CNN at the benchmark's budget (its epochs, lr 3e-3)
    by default, at the package's own epochs and rate with --package-defaults, with
    --model-config's architecture options and --seed's training seed, all recorded."""
    import gzip

    rng = np.random.default_rng(0)
    seqs = ["".join(rng.choice(list("ACGT"), 24)) for _ in range(40)]
    data = tmp_path / "data"
    data.mkdir()
    head = "FoldID\tEventID\tseq\tBound\n"
    with gzip.open(data / "TOY_cell_lab_AC.seq.gz", "wt") as fh:
        fh.write(head + "".join(f"A\tp{i}\t{s}\t1\n" for i, s in enumerate(seqs[:30])))
    with gzip.open(data / "TOY_cell_lab_B.seq.gz", "wt") as fh:
        fh.write(head + "".join(f"A\tt{i}\t{s}\t{i % 2}\n" for i, s in enumerate(seqs[30:])))
    bench = _bench_motifs()
    small = ["--model-config", '{"filters": 4}', "--arch", "cnn", "--data", str(data)]
    for runs, extra, epochs, lr, seed in [
        (tmp_path / "budget", ["--epochs", "cnn=2"], 2, 3e-3, 0),
        (tmp_path / "defaults", ["--package-defaults", "--seed", "3"], 30, 1e-3, 3),
    ]:
        assert bench.main(["train", "--runs", str(runs), *small, *extra]) == 0
        config = json.loads((runs / "TOY-cnn" / "config.json").read_text())
        assert config["training"]["epochs"] == epochs
        assert config["training"]["lr"] == pytest.approx(lr)
        assert config["training"]["seed"] == seed
        assert config["model"]["filters"] == 4
        settings = json.loads((runs / "bench_settings.json").read_text())
        assert settings["model_config"] == {"filters": 4}
        assert settings["epochs"]["cnn"] == (epochs if epochs == 2 else "auto")
    # a folder keeps runs of one setting: another seed there would be skipped as finished
    other = ["train", "--runs", str(tmp_path / "budget"), *small, "--epochs", "cnn=2"]
    assert bench.main([*other, "--seed", "1"]) == 2
    assert "use another --runs folder" in capsys.readouterr().err
