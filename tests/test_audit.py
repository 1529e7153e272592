"""The attribution audit: hand-made maps with known answers, FIMO hits against memelite called
directly, and ``deepmotif audit`` end to end on a tiny simulated run."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

from deepmotif.audit.hits import hit_mask, hits_bed, scan_hits
from deepmotif.audit.run import AUDIT_COLUMNS, audit_scores
from deepmotif.audit.score import agreement_matrix, hit_fraction, site_masks
from deepmotif.cli import main

W = np.array([0.0, 1.0, 4.0, 3.0, 2.0, 0.0])


@pytest.fixture
def handmade():
    """``handmade(name, w)`` registers an attribution method whose map is ``X * w`` (w over
    positions, whatever the model); removed from the registry afterwards."""
    from deepmotif.explain import registry

    added = []

    def add(name, w):
        w = np.asarray(w, dtype=np.float32)

        def compute(model, X, *, batch_size=None, device=None, verbose=False):
            return {"attributions": np.asarray(X, dtype=np.float32) * w[None, None, :]}

        registry.register(
            registry.Method(name, "attribution", compute, ("attributions",), "hand-made map")
        )
        added.append(name)
        return name

    yield add
    for name in added:
        registry._METHODS.pop(name, None)


def _onehot(seqs):
    from deepmotif.data.encoding import one_hot

    return one_hot(seqs, dtype=np.float32)


def test_handmade_map_auroc_auprc_and_hit_fraction_by_hand(handmade):
    handmade("handmade", W)
    X = _onehot(["ACGTAC", "TTGCAA"])
    sites = np.zeros((2, 6), dtype=bool)
    sites[0, 2:4] = True  # scores 4, 3
    sites[1, 1:3] = True  # scores 1, 4
    hits = np.zeros((2, 6), dtype=bool)
    hits[0, 1:3] = True  # scores 1, 4 of a total 20
    res = audit_scores(None, X, methods=["handmade"], sites=sites, hits=hits, both_strands=False)
    row = res.table.iloc[0]
    assert list(res.table.columns) == AUDIT_COLUMNS
    np.testing.assert_array_equal(res.scores["handmade"], np.stack([W, W]))
    # positives 4, 3, 1, 4 against negatives 0, 1, 2, 0, 0, 3, 2, 0:
    # 4 beats all 8 (twice: 16), 3 beats 7 and ties 1 (7.5), 1 beats 4 and ties 1 (4.5); of 32
    assert row["interpretation_auroc"] == pytest.approx(28 / 32)
    # ranked 4 4 | 3 3 | 2 2 | 1 1 | 0...: precision 1 at recall 1/2, 3/4 at 3/4, 1/2 at 1
    assert row["interpretation_auprc"] == pytest.approx(0.5 * 1 + 0.25 * 0.75 + 0.25 * 0.5)
    assert row["auprc_chance"] == pytest.approx(4 / 12)
    assert row["auroc_chance"] == 0.5
    assert row["hit_fraction"] == pytest.approx(5 / 20)
    assert row["hit_fraction_chance"] == pytest.approx(2 / 12)
    assert np.isnan(row["agreement"])  # one method: nothing to agree with
    # per sequence: seq0 positives 4,3 vs 0,1,2,0 -> 1; seq1 positives 1,4 vs 0,3,2,0 -> 5/8+1/2
    assert row["auroc_per_sequence"] == pytest.approx((1 + (4 + 2) / 8) / 2)


def test_both_strands_flips_the_reverse_map_back(handmade):
    handmade("handmade", W)
    X = _onehot(["ACGTAC", "TTGCAA"])
    sites = np.zeros((2, 6), dtype=bool)
    sites[0, 1:3] = True
    sites[1, 4:6] = True
    one = audit_scores(None, X, methods=["handmade"], sites=sites, both_strands=False)
    both = audit_scores(None, X, methods=["handmade"], sites=sites, both_strands=True)
    # forward W, reverse strand W read backwards: (W + W[::-1]) / 2 = 0 1.5 3.5 3.5 1.5 0
    np.testing.assert_allclose(both.scores["handmade"][0], (W + W[::-1]) / 2)
    # one strand: positives 1,4,2,0 vs 0,3,2,0,0,1,4,3 -> (3.5 + 7.5 + 4.5 + 1.5) / 32
    assert one.table["interpretation_auroc"].iloc[0] == pytest.approx(17 / 32)
    # both: positives 1.5,3.5,1.5,0 vs 0,3.5,1.5,0,0,1.5,3.5,3.5 -> (4 + 6.5 + 4 + 1.5) / 32
    assert both.table["interpretation_auroc"].iloc[0] == pytest.approx(16 / 32)


def test_n_positions_score_zero_and_signed_auroc(handmade):
    handmade("neg", -W)
    X = _onehot(["ACNTAC"])
    sites = np.zeros((1, 6), dtype=bool)
    sites[0, 2:4] = True
    res = audit_scores(None, X, methods=["neg"], sites=sites, both_strands=False)
    # magnitudes 0 1 0(N) 3 2 0: positives 0, 3 vs 0, 1, 2, 0 -> (0 + 0.5 + 0.5) + 4 = 5 of 8
    assert res.table["interpretation_auroc"].iloc[0] == pytest.approx(5 / 8)
    # signed -0 -1 0 -3 -2 -0: positives 0, -3 vs 0, -1, -2, 0 -> (2 + 0.5 + 0.5) + 0 = 3 of 8
    assert res.table["auroc_signed"].iloc[0] == pytest.approx(3 / 8)


def test_agreement_is_the_median_per_sequence_spearman(handmade):
    from scipy.stats import spearmanr

    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(7, 30)), rng.normal(size=(7, 30))
    b[:, :10] = a[:, :10] * 3  # some agreement
    b[0] = a[0]
    got = agreement_matrix({"a": a, "b": b})
    want = np.median([spearmanr(x, y).statistic for x, y in zip(a, b)])
    assert got.loc["a", "b"] == pytest.approx(want)
    assert got.loc["b", "a"] == pytest.approx(want)
    assert got.loc["a", "a"] == 1.0
    # through the audit: two hand-made maps, each row's agreement is the pair's value
    handmade("fwd", W)
    handmade("rev", W[::-1])
    X = _onehot(["ACGTAC", "TTGCAA"])
    res = audit_scores(None, X, methods=["fwd", "rev"], both_strands=False)
    rho = spearmanr(W, W[::-1]).statistic
    assert res.table["agreement"].tolist() == pytest.approx([rho, rho])
    assert res.table["interpretation_auroc"].isna().all()  # no ground truth
    assert res.table["hit_fraction"].isna().all()


def test_audit_of_a_real_model_does_not_depend_on_batch_size(toy_model, random_onehot):
    from deepmotif.audit import run as audit_module
    from deepmotif.explain.saliency import saliency

    model = toy_model("cnn", filters=4)
    X = random_onehot(9, 40, seed=2, n_fraction=0.05).numpy()
    mask = np.zeros((9, 40), dtype=bool)
    mask[:, 10:20] = True
    a = audit_scores(model, X, methods=["saliency"], sites=mask, batch_size=1, device="cpu")
    old = audit_module.CHUNK
    audit_module.CHUNK = 4  # several progress steps
    try:
        b = audit_scores(model, X, methods=["saliency"], sites=mask, batch_size=64, device="cpu")
    finally:
        audit_module.CHUNK = old
    np.testing.assert_allclose(a.scores["saliency"], b.scores["saliency"], rtol=1e-5, atol=1e-7)
    assert a.table["interpretation_auroc"].iloc[0] == pytest.approx(
        b.table["interpretation_auroc"].iloc[0]
    )
    # the scores are saliency's gradient x input at the base present, both strands averaged
    from deepmotif.data.encoding import reverse_complement

    fwd = np.abs(saliency(model, X, device="cpu").grad_x_input.sum(axis=1))
    Xr = reverse_complement(X)
    rev = np.abs(saliency(model, Xr, device="cpu").grad_x_input.sum(axis=1))[:, ::-1]
    np.testing.assert_allclose(a.scores["saliency"], (fwd + rev) / 2, rtol=1e-5, atol=1e-7)


def test_per_sequence_auroc_equals_sklearn_with_ties():
    """The vectorised per-sequence AUROC against roc_auc_score row by row (tied scores, rows
    with one class left out)."""
    from sklearn.metrics import roc_auc_score

    from deepmotif.audit.score import interpretation_auroc

    rng = np.random.default_rng(0)
    scores = rng.integers(0, 5, size=(40, 23)).astype(float)  # many ties
    mask = rng.random((40, 23)) < 0.3
    mask[0] = False  # no site
    mask[1] = True  # no background
    pooled, per = interpretation_auroc(scores, mask)
    want = [roc_auc_score(m, s) for m, s in zip(mask, scores) if 0 < m.sum() < m.size]
    assert len(want) == 38
    assert per == pytest.approx(np.mean(want), abs=1e-12)
    assert pooled == pytest.approx(roc_auc_score(mask.ravel(), scores.ravel()), abs=1e-12)


def test_method_options_reach_the_method(toy_model, random_onehot):
    """The audit's integrated gradients run with the steps it is given (scores equal to the
    method called directly), and the CLI's default is the documented one."""
    from deepmotif.audit import run as audit_run_module
    from deepmotif.audit.score import position_scores
    from deepmotif.cli import build_parser
    from deepmotif.explain.integrated_gradients import integrated_gradients

    model = toy_model("cnn", seed=3, filters=8)
    X = random_onehot(3, 30, seed=4).numpy()
    ig = "integrated-gradients"
    few = audit_scores(model, X, methods=[ig], both_strands=False, device="cpu",
                       options={ig: {"steps": 3}})  # fmt: skip
    want = position_scores(integrated_gradients(model, X, steps=3, device="cpu").attributions, X)
    np.testing.assert_allclose(few.scores[ig], np.abs(want), atol=1e-6)
    many = audit_scores(model, X, methods=[ig], both_strands=False, device="cpu")
    assert not np.allclose(few.scores[ig], many.scores[ig], atol=1e-4)
    args = build_parser().parse_args(["audit", "RUN"])
    assert args.ig_steps == audit_run_module.IG_STEPS


def test_hit_fraction_and_site_masks():
    assert hit_fraction(np.array([[1.0, -3.0, 0.0, 4.0]]), np.array([[0, 1, 1, 0]])) == 3 / 8
    sites = pd.DataFrame(
        {
            "seq_id": ["a", "a", "b"],
            "start": [1, 5, 0],
            "end": [3, 7, 2],
            "role": ["target", "decoy", "target"],
        }
    )
    mask, spans = site_masks(["b", "a", "c"], sites, 8)
    assert mask.astype(int).tolist() == [
        [1, 1, 0, 0, 0, 0, 0, 0],
        [0, 1, 1, 0, 0, 0, 0, 0],
        [0] * 8,
    ]
    assert spans.tolist() == [[0, 2], [1, 3], [-1, -1]]


def test_fimo_hits_equal_memelite_called_directly(simulated):
    from memelite import fimo

    from deepmotif import jaspar

    sim = simulated(["CTCF"], n=60, length=101, seed=3)
    X = sim.dataset.one_hot(dtype=np.float32)
    ids = list(sim.dataset.ids)
    ctcf = jaspar.get_motif("CTCF")
    motifs = {"CTCF": ctcf.pwm, "rev": ctcf.pwm[::-1, ::-1].copy()}
    got = scan_hits(motifs, X, ids)
    ref = pd.concat(fimo(motifs, X), ignore_index=True)
    assert len(got) == len(ref) > 10
    key = ["seq_id", "motif", "start", "end", "strand"]
    ref = pd.DataFrame(
        {
            "seq_id": [ids[i] for i in ref["sequence_name"]],
            "motif": ref["motif_name"],
            "start": ref["start"],
            "end": ref["end"],
            "strand": ref["strand"],
            "score": ref["score"],
            "p_value": ref["p-value"],
        }
    )
    merged = got.merge(ref, on=key, suffixes=("", "_ref"), validate="one_to_one")
    assert len(merged) == len(got)
    np.testing.assert_allclose(merged["score"], merged["score_ref"])
    np.testing.assert_allclose(merged["p_value"], merged["p_value_ref"])
    # most positives' planted CTCF site is a hit (the planted sites are samples of the PWM)
    target = sim.sites[sim.sites["role"] == "target"]
    found = got[got["motif"] == "CTCF"]
    overlap = target.merge(found, on="seq_id", suffixes=("", "_hit"))
    overlap = overlap[
        (overlap["start_hit"] < overlap["end"]) & (overlap["end_hit"] > overlap["start"])
    ]
    assert overlap["seq_id"].nunique() >= 0.5 * target["seq_id"].nunique()
    mask = hit_mask(got, ids, 101)
    r = got.iloc[0]
    assert mask[ids.index(r.seq_id), r.start : r.end].all()
    assert mask.sum() <= (got["end"] - got["start"]).sum()


def _config(tmp_path, train: dict):
    run = tmp_path / "run"
    run.mkdir(parents=True)
    (run / "config.json").write_text(
        json.dumps({"arch": "cnn", "model": {}, "data": {"train": train}})
    )
    return run


def test_known_motifs_from_a_simulation_an_encode_name_and_the_runs_motifs(tmp_path):
    from deepmotif import jaspar
    from deepmotif.audit.hits import known_motifs
    from deepmotif.motifs.meme import write_meme

    ctcf, rest = jaspar.get_motif("CTCF"), jaspar.get_motif("REST")
    # a simulation records the JASPAR ids it planted
    sim = _config(tmp_path / "a", {"meta": {"simulation": {"jaspar_ids": [rest.matrix_id]}}})
    got = known_motifs(sim)
    assert list(got) == [f"REST {rest.matrix_id}"]
    np.testing.assert_array_equal(got[f"REST {rest.matrix_id}"], rest.pwm)
    # an ENCODE (DeepBind) file name names the TF
    enc = _config(
        tmp_path / "b",
        {"path": "/data/CTCF_K562_CTCF_Broad_AC.seq.gz", "format": "deepbind"},
    )
    (enc / "motifs").mkdir()
    pwms = {f"cnn-saliency-{k}": np.full((4, 6), 0.25) for k in range(1, 5)}
    write_meme(enc / "motifs" / "motifs.meme", pwms)
    got = known_motifs(enc, top=2)
    assert list(got) == [f"CTCF {ctcf.matrix_id}", "cnn-saliency-1", "cnn-saliency-2"]
    np.testing.assert_array_equal(got[f"CTCF {ctcf.matrix_id}"], ctcf.pwm)
    # nothing known
    assert known_motifs(_config(tmp_path / "c", {"path": "/data/reads.fa"}), top=0) == {}


def test_fimo_leaves_torchs_thread_count_alone():
    import subprocess
    import sys

    # in a fresh process whose OpenMP pool is started (a matrix product): numba's first
    # parallel run resets the count
    code = (
        "import torch, numpy as np; torch.set_num_threads(1); "
        "torch.zeros(300, 300) @ torch.zeros(300, 300); "
        "from deepmotif.audit.hits import scan_hits; "
        "scan_hits({'m': np.full((4, 5), 0.25)}, np.eye(4, dtype=np.float32)[:, [0, 1, 2, 3, 0, 1]]"
        "[None], ['s']); print(torch.get_num_threads())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "1"


def test_hits_bed_only_with_coordinates():
    hits = pd.DataFrame(
        {
            "seq_id": ["chr2:100-110", "chr1:5-15"],
            "motif": ["m", "m"],
            "start": [2, 0],
            "end": [6, 4],
            "strand": ["+", "-"],
            "score": [5.0, 6.0],
            "p_value": [1e-5, 1e-6],
        }
    )
    bed = hits_bed(hits, 10)
    assert bed.values.tolist() == [["chr2", 102, 106, "m", 5.0, "+"], ["chr1", 5, 9, "m", 6.0, "-"]]
    assert hits_bed(hits, 11) is None  # the ids do not span the sequences
    assert hits_bed(hits.assign(seq_id=["s1", "s2"]), 10) is None


# ------------------------------------------------------------------ end to end on a tiny run


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """A CNN trained for one epoch on a simulated FASTA (so the run records its sites file)."""
    root = tmp_path_factory.mktemp("audit-run")
    fasta = root / "sim.fa"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(["simulate", "--motifs", "CTCF", "--n", "200", "--out", str(fasta)]) == 0
        cfg = root / "small.json"
        cfg.write_text(json.dumps({"epochs": 1, "model": {"filters": 8}}))
        code = main(["train", str(fasta), "--out", str(root / "cnn"), "--config", str(cfg),
                     "--quiet"])  # fmt: skip
    assert code == 0
    return root / "cnn"


def test_cli_audit_end_to_end(tiny_run, handmade, capsys):
    from deepmotif.audit.hits import known_motifs

    handmade("handmade", np.linspace(0, 1, 101))
    out = tiny_run / "audit"
    assert main(["audit", str(tiny_run), "--methods", "saliency,handmade", "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "chance: interpretation_auroc 0.500" in printed
    table = pd.read_csv(out / "audit.tsv", sep="\t")
    assert list(table.columns) == AUDIT_COLUMNS
    assert table["method"].tolist() == ["saliency", "handmade"]
    assert table["interpretation_auroc"].between(0, 1).all()
    assert table["agreement"].notna().all()
    for name in ("agreement.tsv", "hits.tsv", "audit.json", "audit.png", "audit.svg"):
        assert (out / name).is_file(), name
    info = json.loads((out / "audit.json").read_text())
    assert info["truth"].endswith("sim.sites.tsv")
    assert info["motifs"][0].startswith("CTCF ")
    assert info["chance"]["interpretation_auprc"] == pytest.approx(
        table["auprc_chance"].iloc[0], rel=1e-5
    )
    # the hits file is memelite's FIMO on the audited sequences (the test positives)
    from deepmotif import rundir

    test = rundir.read_run_data(tiny_run)
    pos = test.subset(np.nonzero(test.labels == 1)[0])
    want = scan_hits(known_motifs(tiny_run), pos.one_hot(dtype=np.float32), pos.ids)
    got = pd.read_csv(out / "hits.tsv", sep="\t", dtype={"seq_id": str})
    assert got[["seq_id", "start", "end", "strand"]].values.tolist() == (
        want[["seq_id", "start", "end", "strand"]].values.tolist()
    )
    assert not [p for p in tiny_run.iterdir() if p.name.startswith(".")]  # no temporary litter
    # a second audit into the same folder needs --force, and then replaces it as a whole
    assert main(["audit", str(tiny_run), "--methods", "saliency", "--quiet"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--force" in err[0]
    assert main(["audit", str(tiny_run), "--methods", "saliency", "--n", "5", "--quiet",
                 "--force", "--no-figures"]) == 0  # fmt: skip
    table = pd.read_csv(out / "audit.tsv", sep="\t")
    assert table["method"].tolist() == ["saliency"] and table["n_sequences"].iloc[0] == 5
    assert not (out / "audit.png").exists()


@pytest.mark.parametrize(
    "args, words",
    [
        (["--methods", "nosuch"], ["--methods", "unknown attribution method"]),
        (["--methods", "temporal"], ["--methods", "unknown attribution method"]),
        (["--methods", ","], ["--methods"]),
        (["--truth", "missing.tsv"], ["--truth", "no such file"]),
        (["--truth", "BAD"], ["--truth", "seq_id, start, end"]),
        (["--truth", "OTHER"], ["--truth", "no planted site"]),
        (["--n", "0"], ["--n"]),
        (["--ig-steps", "0"], ["--ig-steps"]),
    ],
)
def test_cli_audit_bad_input_one_line(tiny_run, tmp_path, capsys, args, words):
    bad = tmp_path / "bad.tsv"
    bad.write_text("id\tpos\nx\t1\n")
    other = tmp_path / "other.tsv"
    other.write_text("seq_id\tstart\tend\nnot_a_test_id\t1\t5\n")
    args = [{"BAD": str(bad), "OTHER": str(other)}.get(a, a) for a in args]
    out = tmp_path / "out"
    code = main(["audit", str(tiny_run), "--out", str(out), "--quiet", *args])
    err = capsys.readouterr().err.strip().splitlines()
    assert code != 0
    assert len(err) == 1 and "Traceback" not in err[0]
    for w in words:
        assert w in err[0], err[0]
    assert not out.exists()


def test_cli_audit_without_ground_truth(tmp_path, capsys):
    from deepmotif.data.simulate import simulate
    from deepmotif.training import train

    sim = simulate(["CTCF"], n=200, length=101, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        train(sim.dataset, None, arch="cnn", out=tmp_path / "run",
              model_config={"filters": 4}, config={"epochs": 1}, verbose=False)  # fmt: skip
    out = tmp_path / "a"
    assert main(["audit", str(tmp_path / "run"), "--out", str(out), "--quiet"]) == 0
    assert "agreement and hits only" in capsys.readouterr().out
    table = pd.read_csv(out / "audit.tsv", sep="\t")
    assert table["interpretation_auroc"].isna().all()
    assert table["hit_fraction"].between(0, 1).all()  # the simulation's CTCF is still known
    assert table["hit_fraction_chance"].between(0, 1).all()
