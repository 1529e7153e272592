"""RunStore: discovery, dataset names, broken runs, precomputed and on-demand explanations,
orders, pasted-input validation and the download allowlist."""

from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd
import pytest

import tests.test_dashboard_helpers as H
from deepmotif.dashboard.data import (
    DOWNLOADABLE,
    RunStore,
    pasted_sequence,
    tf_names,
)
from deepmotif.errors import DeepMotifError
from deepmotif.motifs.align import align_logos, informative_window


@pytest.fixture
def store(bench):
    return RunStore([bench])


def test_discovers_runs_recursively_and_names_them(store, bench):
    assert [r.key for r in store.runs] == ["TOY/cnn", "TOY/rnn", "TOY/cnn-rnn"]
    assert store.datasets() == ["TOY"]
    assert all(r.finished for r in store.runs)
    assert store.problems == []
    # benchmark.csv supplies DeepBind's published AUROC
    assert store.reference("TOY") == {"deepbind_star": 0.931, "deepbind": 0.912}
    summary = store.summary().set_index("arch")
    metrics = json.loads((bench / "TOY" / "rnn" / "metrics.json").read_text())
    assert summary.loc["rnn", "auroc"] == pytest.approx(metrics["test"]["auroc"])
    assert summary.loc["cnn", "deepbind_star"] == 0.931


def test_single_run_directory_and_dataset_name_from_training_file(tmp_path, bench):
    run = H.copy_runs(bench / "TOY" / "cnn", tmp_path / "my_run")
    cfg = json.loads((run / "config.json").read_text())
    cfg["data"]["train"]["path"] = "/data/CTCF_K562_CTCF_AC.seq.gz"
    (run / "config.json").write_text(json.dumps(cfg))
    s = RunStore(run)
    assert [r.key for r in s.runs] == ["CTCF_K562_CTCF/cnn"]
    cfg["data"]["train"]["path"] = "/data/wgEncodeX/train.data"  # Zeng et al.'s layout
    (run / "config.json").write_text(json.dumps(cfg))
    assert RunStore(run).runs[0].dataset == "wgEncodeX"
    cfg["data"]["train"]["meta"] = {"simulation": {"tfs": ["CTCF"]}}
    cfg["data"]["train"]["path"] = "/q/data/sim.fa"
    (run / "config.json").write_text(json.dumps(cfg))
    assert RunStore(run).runs[0].dataset == "sim (CTCF)"
    # the quickstart's OUT/runs/<arch>: "runs" is no dataset name
    quick = H.copy_runs(run, tmp_path / "q" / "runs" / "cnn")
    assert RunStore(quick.parent).runs[0].key == "sim (CTCF)/cnn"
    cfg["benchmark_dataset"] = "ARID3A_K562"
    (run / "config.json").write_text(json.dumps(cfg))
    assert RunStore(run).runs[0].dataset == "ARID3A_K562"
    cfg["dataset"] = "my name"
    (run / "config.json").write_text(json.dumps(cfg))
    assert RunStore(run).runs[0].dataset == "my name"


def test_broken_and_unfinished_runs_are_reported_not_raised(tmp_path, bench):
    root = H.copy_runs(bench, tmp_path / "b")
    (root / "TOY" / "rnn" / "config.json").write_text("{not json")
    (root / "TOY" / "cnn-rnn" / "metrics.json").unlink()
    os.makedirs(root / "EMPTY" / "cnn")
    (root / "EMPTY" / "cnn" / "config.json").write_text('{"model": {}}')
    s = RunStore(root)
    status = {r.path.name if r.path.parent.name != "EMPTY" else "empty": r.status for r in s.runs}
    assert status == {
        "cnn": "finished",
        "rnn": "broken",
        "cnn-rnn": "unfinished",
        "empty": "broken",
    }
    text = "\n".join(s.problems)
    assert "not valid JSON" in text and "unfinished run (no metrics.json yet)" in text
    assert "expected the keys 'arch' and 'model'" in text
    # an unfinished run has no model to load, with a message instead of a traceback
    unfinished = next(r for r in s.runs if r.status == "unfinished")
    with pytest.raises(DeepMotifError, match="unfinished"):
        s.model(unfinished.key)


def test_missing_paths_are_clear_errors(tmp_path):
    with pytest.raises(DeepMotifError, match="no such file or directory"):
        RunStore([tmp_path / "nope"])
    (tmp_path / "f.txt").write_text("x")
    with pytest.raises(DeepMotifError, match="not a directory"):
        RunStore([tmp_path / "f.txt"])
    s = RunStore([tmp_path])
    assert s.runs == [] and "no run directories" in s.problems[0]


def test_sequence_orders_by_hand(store):
    table = store.test_table("TOY/cnn")
    s, y = table["score"].to_numpy(float), table["label"].to_numpy(int)
    order = store.sequence_order("TOY/cnn", "score-desc")
    assert order["score"].is_monotonic_decreasing and list(order["index"]) == list(
        np.argsort(-s, kind="stable")
    )
    conf = store.sequence_order("TOY/cnn", "confident")
    assert conf["id"].iloc[0] == table["id"].iloc[int(np.argmax(np.abs(s - 0.5)))]
    wrong = store.sequence_order("TOY/cnn", "wrong")
    assert wrong["id"].iloc[0] == table["id"].iloc[int(np.argmax(np.abs(s - y)))]
    bound = store.sequence_order("TOY/cnn", "index", "1")
    assert set(bound["label"]) == {1} and len(bound) == int((y == 1).sum())
    with pytest.raises(DeepMotifError, match="unknown order"):
        store.sequence_order("TOY/cnn", "sideways")


def test_precomputed_explanations_are_read_by_id(store, monkeypatch):
    H.install_fake_explain(monkeypatch)  # for the runs without precomputed files
    table = store.test_table("TOY/cnn")
    i = 3
    sid = table["id"].iloc[i]
    exps = store.explain_test("TOY", sid)
    assert list(exps) == ["cnn", "rnn", "cnn-rnn"]
    cnn = exps["cnn"]
    g = H.gradient_values(len(table), H.LENGTH, 0)[i]
    np.testing.assert_allclose(cnn.gradient, g)
    onehot = np.array(
        [[c == b for c in table["sequence"].iloc[i]] for b in "ACGT"], dtype=np.float32
    )
    np.testing.assert_allclose(cnn.saliency, np.abs(g) * onehot)
    fwd, bwd = H.temporal_values(len(table), H.LENGTH, 0)
    np.testing.assert_allclose(cnn.forward, fwd[i])
    np.testing.assert_allclose(cnn.backward, bwd[i])
    assert cnn.score == pytest.approx(float(table["score"].iloc[i]), abs=1e-6)
    assert cnn.source == "precomputed"


def test_missing_explanations_are_computed_once_and_cached(store, monkeypatch):
    fake = H.install_fake_explain(monkeypatch)
    sid = store.test_table("TOY/cnn")["id"].iloc[0]
    exps = store.explain_test("TOY", sid)
    L = H.LENGTH
    # rnn: temporal precomputed (k=1), saliency computed by the stand-in
    rnn = exps["rnn"]
    np.testing.assert_allclose(rnn.gradient[2], 0.01 * np.arange(1, L + 1), rtol=1e-6)
    np.testing.assert_allclose(rnn.forward, H.temporal_values(1, L, 1)[0][0])
    assert rnn.source == "saliency computed, temporal precomputed"
    # cnn-rnn: everything computed; temporal = position / L
    np.testing.assert_allclose(exps["cnn-rnn"].forward, np.arange(L) / L, rtol=1e-6)
    np.testing.assert_allclose(exps["cnn-rnn"].backward, 1 - np.arange(L) / L, rtol=1e-6)
    n_calls = dict(fake.calls)
    store.explain_test("TOY", sid)
    assert fake.calls == n_calls  # cached


def test_pasted_sequence_scores_match_the_model(store, monkeypatch):
    import torch

    from deepmotif.data.encoding import one_hot
    from deepmotif.training import load_run

    H.install_fake_explain(monkeypatch)
    seq = "ACGT" * 20 + "CCGCGGGC" + "A" * 13  # 101 bp
    exps = store.explain_sequence("TOY", seq.lower())
    assert {e.sequence for e in exps.values()} == {seq}
    for arch, ex in exps.items():
        model, _ = load_run(store.run(f"TOY/{arch}").path)
        with torch.no_grad():
            p = torch.sigmoid(model(torch.from_numpy(one_hot([seq])))).item()
        assert ex.score == pytest.approx(p, abs=1e-5)
        assert ex.gradient.shape == (4, 101) and ex.forward.shape == (101,)


def test_real_explain_saliency_matches_autograd(store):
    import torch

    from deepmotif.data.encoding import one_hot

    seq = "ACGTTGCA" * 8
    ex = store.explain_sequence("TOY", seq)["cnn"]
    model = store.model("TOY/cnn")
    X = torch.from_numpy(one_hot([seq])).requires_grad_(True)
    model(X).sum().backward()
    np.testing.assert_allclose(ex.gradient, X.grad[0].numpy(), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(
        ex.saliency, np.abs(X.grad[0].numpy()) * one_hot(seq), rtol=1e-4, atol=1e-6
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "paste a DNA sequence"),
        ("ACGTXACGTACGT", "position 5: 'X' is not a DNA letter"),
        (">a\nACGTACGTACGT\n>b\nACGT", "paste one sequence only"),
        (">only a header", "holds a FASTA header but no sequence"),
        ("ACGT", "4 bp long; at least 10 bp needed"),
        ("A" * 1001, "1001 bp long; at most 1000 bp allowed"),
        ("A" * 10_000, "capped at 1000 bp"),
    ],
)
def test_pasted_sequence_rejects_with_clear_messages(text, message):
    with pytest.raises(DeepMotifError, match=message):
        pasted_sequence(text)


def test_pasted_sequence_accepts_fasta_and_whitespace():
    assert pasted_sequence(">seq1 some text\nacgt nacg\r\ntacg\n") == "ACGTNACGTACG"


def test_store_caps_pasted_length(bench):
    s = RunStore([bench], max_length=50)
    with pytest.raises(DeepMotifError, match="at most 50 bp"):
        s.explain_sequence("TOY", "A" * 51)


def test_download_allowlist_and_no_escape_through_links(tmp_path, bench):
    root = H.copy_runs(bench, tmp_path / "b")
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret")
    s = RunStore(root)
    assert s.file_path("TOY/cnn", "motifs/motifs.meme").read_text() == H.MEME
    for name in (
        "../secret.txt",
        "/etc/passwd",
        "model.safetensors",
        "explain/saliency.npz",
        "",
        "motifs/../../x",
    ):
        with pytest.raises(DeepMotifError):
            s.file_path("TOY/cnn", name)
    # a symbolic link inside the run pointing outside it is refused
    (root / "TOY" / "cnn" / "history.csv").unlink()
    os.symlink(secret, root / "TOY" / "cnn" / "history.csv")
    with pytest.raises(DeepMotifError, match="has no history.csv"):
        s.file_path("TOY/cnn", "history.csv")
    assert "history.csv" in DOWNLOADABLE


def test_npz_files_are_never_unpickled_and_shape_errors_are_named(tmp_path, bench):
    root = H.copy_runs(bench, tmp_path / "b")
    path = root / "TOY" / "cnn" / "explain" / "saliency.npz"
    np.savez(
        path,
        ids=np.array([{"a": 1}], dtype=object),
        saliency=np.zeros((1, 4, 60)),
        gradient=np.zeros((1, 4, 60)),
    )
    s = RunStore(root)
    sid = s.test_table("TOY/cnn")["id"].iloc[0]
    ex = s.explain_test("TOY", sid)["cnn"]
    assert any("not a readable .npz file" in p for p in ex.problems)
    np.savez(
        path, ids=np.array([sid, "x"]), saliency=np.zeros((1, 4, 60)), gradient=np.zeros((2, 4, 60))
    )
    ex = RunStore(root).explain_test("TOY", sid)["cnn"]
    assert any("'saliency' has 1 rows but there are 2 ids" in p for p in ex.problems)


def test_files_are_reread_when_they_change(tmp_path, bench):
    root = H.copy_runs(bench, tmp_path / "b")
    s = RunStore(root)
    assert len(s.history("TOY/cnn")) == 1
    h = pd.read_csv(root / "TOY" / "cnn" / "history.csv")
    pd.concat([h, h.assign(epoch=2)]).to_csv(root / "TOY" / "cnn" / "history.csv", index=False)
    assert list(s.history("TOY/cnn")["epoch"]) == [1, 2]


def test_optimization_precomputed_and_matched_to_jaspar(store):
    opt = store.optimization("TOY/cnn")
    assert opt.source == "precomputed" and opt.score == pytest.approx(0.97)
    assert informative_window(opt.pwm, 8) == (20, 28)
    assert informative_window(opt.pwm, 12) == (18, 30)  # ties: the middle window
    assert informative_window(opt.pwm[:, :10], 20) == (0, 10)
    m = store.optimization_matches("TOY/cnn", n=3, width=8)
    np.testing.assert_allclose(m.attrs["query_pwm"], opt.pwm[:, 20:28])
    assert m.attrs["query_label"] == "optimised input, positions 21–28"
    assert len(m) == 3 and m["p_value"].is_monotonic_increasing
    assert {"target_id", "target_name", "orientation", "offset"} <= set(m.columns)


def test_optimization_matches_from_the_motifs_table(tmp_path, bench):
    root = H.copy_runs(bench, tmp_path / "b")
    d = root / "TOY" / "cnn" / "motifs"
    (d / "motifs.meme").write_text(H.MEME.replace("cnn_filter_2", "cnn-optimize-1"))
    table = pd.read_csv(d / "matches.tsv", sep="\t")
    table.loc[table["query"] == "cnn_filter_2", "query"] = "cnn-optimize-1"
    table.to_csv(d / "matches.tsv", sep="\t", index=False)
    m = RunStore(root).optimization_matches("TOY/cnn")
    assert list(m["target_id"]) == ["MA0079.5"]
    assert m.attrs["query_label"] == "optimised input, motif cnn-optimize-1 (motifs.meme)"
    np.testing.assert_allclose(m.attrs["query_pwm"][:, 0], [0.1, 0.1, 0.1, 0.7])


def test_align_logos_pads_to_one_frame():
    q = np.eye(4)[:, [0, 1, 2]]  # ACG
    t1 = np.eye(4)[:, [1, 2, 3, 3, 3]]  # query col j over target col j + 1
    t2 = np.eye(4)[:, [3]]  # query col 0 over target col -2 (target starts 2 columns later)
    qf, (f1, f2) = align_logos(q, [(t1, 1), (t2, -2)])
    assert qf.shape == f1.shape == f2.shape == (4, 5)
    np.testing.assert_allclose(qf[:, 1:4], q)  # target 1 starts one column before the query
    np.testing.assert_allclose(f1, t1)
    np.testing.assert_allclose(f2[:, 3], t2[:, 0])
    assert np.allclose(qf[:, 0], 0.25) and np.allclose(f2[:, :3], 0.25)


def test_optimization_on_demand(store, monkeypatch):
    H.install_fake_explain(monkeypatch)
    opt = store.optimization("TOY/rnn")
    assert opt.source == "computed: 16 restarts x 300 steps" and opt.score == pytest.approx(0.99)
    assert opt.pwm.shape == (4, H.LENGTH) and opt.pwm[1, 1] == pytest.approx(0.7)


def test_motif_tables_and_recovery(store):
    m = store.motif_matches("TOY/cnn")
    assert list(m["target_name"]) == ["CTCF", "Runx1", "SP1"]
    pwms = store.motif_pwms("TOY/cnn")
    np.testing.assert_allclose(pwms["cnn_filter_2"][:, 0], [0.1, 0.1, 0.1, 0.7])
    with pytest.raises(DeepMotifError, match="no motifs/matches.tsv"):
        store.motif_matches("TOY/rnn")
    rec = store.recovery().set_index("arch")
    # the dataset is called TOY, so no JASPAR match recovers it; 1 of 2 motifs matched at q < 0.05
    assert rec.loc["cnn", "n_motifs"] == 2 and rec.loc["cnn", "n_matched"] == 1
    assert rec.loc["cnn", "recovered"] is False or rec.loc["cnn", "recovered"] == False  # noqa: E712
    assert rec.loc["cnn", "best_match"] == "CTCF"
    assert pd.isna(rec.loc["rnn", "recovered"])


def test_tf_names():
    assert tf_names("CTCF_K562_CTCF_(x)_Broad", {}) == ["CTCF"]
    cfg = {"data": {"train": {"meta": {"simulation": {"tfs": ["GATA1", "TAL1"]}}}}}
    assert tf_names("sim", cfg) == ["GATA1", "TAL1"]
