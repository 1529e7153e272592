"""Motif-pair marginalisation (RQ4): values against a hand-computed toy model, the naive
one-arrangement-at-a-time loop and tangermeme's ``space``/``substitute``; batch-size invariance;
significance; files; bad input."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from deepmotif.cli import main
from deepmotif.dependencies.marginalize import (
    grid_effects,
    pair_effects,
    plant,
    reverse_complement,
)
from deepmotif.dependencies.stats import cooperativity_table, mark_significant, shuffled_motif

A = "GATTACAG"
B = "CCTGAGTA"
L = 40
WINDOW = (2, 5)  # the toy model's grammar: A then B, 2 to 5 bases apart, both on +


class ToyGrammar(nn.Module):
    """logit = 1 * [A on +] + 2 * [B on +] + 3 * [A then B, WINDOW bases apart], exactly."""

    def __init__(self):
        super().__init__()
        self.a = nn.Parameter(_onehot(A)[None], requires_grad=False)
        self.b = nn.Parameter(_onehot(B)[None], requires_grad=False)

    def forward(self, X):
        ka, kb = self.a.shape[-1], self.b.shape[-1]
        hit_a = (nn.functional.conv1d(X, self.a) > ka - 0.5).float()[:, 0]  # (n, L-ka+1)
        hit_b = (nn.functional.conv1d(X, self.b) > kb - 0.5).float()[:, 0]
        i = torch.arange(hit_a.shape[1])[:, None]
        j = torch.arange(hit_b.shape[1])[None, :]
        gap = j - (i + ka)
        band = ((gap >= WINDOW[0]) & (gap <= WINDOW[1])).float()
        pair = ((hit_a @ band) * hit_b).sum(1) > 0
        return 1.0 * hit_a.amax(1) + 2.0 * hit_b.amax(1) + 3.0 * pair.float()


def _onehot(seq: str) -> torch.Tensor:
    return torch.tensor([[float(c == b) for c in seq] for b in "ACGT"])


def _backgrounds(n: int, seed: int = 0) -> torch.Tensor:
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, 4, (n, L))
    return torch.from_numpy(np.eye(4, dtype=np.float32)[idx].transpose(0, 2, 1).copy())


SPACINGS = list(range(0, 9))


@pytest.fixture(scope="module")
def toy():
    model = ToyGrammar().eval()
    X = _backgrounds(30)
    assert (model(X) == 0).all()  # the backgrounds hold neither motif
    return model, X


def _expected(order: str, orientation: str, s: int) -> tuple[float, float, float]:
    """(effect_a, effect_b, cooperativity) of the toy model, by hand."""
    a_plus = orientation[0 if order == "AB" else 1] == "+"
    b_plus = orientation[1 if order == "AB" else 0] == "+"
    ea, eb = (1.0 if a_plus else 0.0), (2.0 if b_plus else 0.0)
    grammar = order == "AB" and orientation == "++" and WINDOW[0] <= s <= WINDOW[1]
    return ea, eb, 3.0 if grammar else 0.0


def test_toy_model_values_by_hand(toy):
    model, X = toy
    table = cooperativity_table(grid_effects(model, X, A, B, SPACINGS), SPACINGS, n_boot=50)
    assert len(table) == 2 * 4 * len(SPACINGS)
    for r in table.itertuples():
        ea, eb, coop = _expected(r.order, r.orientation, r.spacing)
        assert (r.effect_a, r.effect_b, r.cooperativity) == (ea, eb, coop), r
        assert r.effect_ab == pytest.approx(ea + eb + coop)
        assert r.ci_low == r.ci_high == coop  # no spread: every background gives the same
    marked = mark_significant(table, null_threshold=0.0)
    hits = marked[marked["significant"]]
    assert set(zip(hits["order"], hits["orientation"])) == {("AB", "++")}
    assert sorted(hits["spacing"]) == list(range(WINDOW[0], WINDOW[1] + 1))


def test_grid_equals_the_naive_loop_and_tangermeme(toy):
    """Each arrangement alone, one call per sequence set, and tangermeme's own planting."""
    from tangermeme.ersatz import substitute
    from tangermeme.space import space

    class Column(nn.Module):  # tangermeme's predict wants (n, outputs)
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, X):
            return self.m(X)[:, None]

    model, X = toy
    grid = grid_effects(model, X, A, B, SPACINGS, batch_size=7)
    for order, (m1, m2) in {"AB": (A, B), "BA": (B, A)}.items():
        start = grid.starts[order]
        for orient in ("++", "+-", "-+", "--"):
            f = m1 if orient[0] == "+" else reverse_complement(m1)
            g = m2 if orient[1] == "+" else reverse_complement(m2)
            with torch.no_grad():
                np.testing.assert_array_equal(
                    grid.first[(order, orient[0])], model(plant(X, f, start)).numpy()
                )
                np.testing.assert_array_equal(
                    grid.first[(order, orient[0])],
                    model(substitute(X, f, start=start)).numpy(),
                )
                y_before, y_afters = space(
                    Column(model), X, [f, g], spacing=[[s] for s in SPACINGS], start=start
                )
            np.testing.assert_array_equal(grid.base, y_before[:, 0].numpy())
            np.testing.assert_array_equal(grid.both[(order, orient)], y_afters[:, :, 0].T.numpy())
            for j, s in enumerate(SPACINGS):
                with torch.no_grad():
                    naive = model(plant(X, g, start + len(f) + s)).numpy()
                np.testing.assert_array_equal(grid.second[(order, orient[1])][j], naive)
    single = pair_effects(model, X, A, B, SPACINGS)
    np.testing.assert_array_equal(single.both, grid.both[("AB", "++")])


def test_batch_size_invariance_on_a_trained_style_model():
    torch.manual_seed(0)
    from deepmotif.models import build_model

    model = build_model("cnn-rnn", filters=6, hidden=4).eval()
    X = _backgrounds(9, seed=3)
    g1 = grid_effects(model, X, A, B, [0, 3, 7], batch_size=1024)
    g2 = grid_effects(model, X, A, B, [0, 3, 7], batch_size=5)
    for key in g1.both:
        np.testing.assert_allclose(g1.both[key], g2.both[key], rtol=1e-5, atol=1e-5)
    t1 = cooperativity_table(g1, [0, 3, 7], random_state=4)
    t2 = cooperativity_table(g1, [0, 3, 7], random_state=4)
    pd.testing.assert_frame_equal(t1, t2)  # seeded bootstrap


def test_worker_threads_give_the_one_thread_logits():
    """batched_logits with several worker threads: the logits of one thread, in order, for
    batches of uneven sizes; torch's thread count is restored; workers 1 on a GPU."""
    from deepmotif.dependencies.marginalize import batched_logits, cpu_workers
    from deepmotif.models import build_model

    torch.manual_seed(0)
    model = build_model("cnn-rnn", filters=6, hidden=4).eval()
    parts = [torch.as_tensor(_backgrounds(k, seed=k)) for k in (7, 1, 12, 5)]
    with torch.no_grad():
        direct = torch.cat([model(p.float()) for p in parts]).double().numpy()
    before = torch.get_num_threads()
    one = batched_logits(model, iter(parts), "cpu", 3, workers=1)
    three = batched_logits(model, iter(parts), "cpu", 3, workers=3)
    assert torch.get_num_threads() == before
    np.testing.assert_allclose(one, direct, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(three, one, rtol=1e-6, atol=1e-7)
    assert cpu_workers("cpu") == max(1, min(8, before))
    if torch.cuda.is_available():
        assert cpu_workers("cuda") == 1


def test_null_shuffles_are_not_the_motif():
    shuffles = shuffled_motif(B, 3, random_state=1)
    assert len(shuffles) == 3 and all(sorted(s) == sorted(B) for s in shuffles)
    assert B not in shuffles and reverse_complement(B) not in shuffles
    assert shuffled_motif(B, 3, random_state=1) == shuffles


def test_minimum_effect_and_null_threshold():
    table = pd.DataFrame(
        {
            "motif_a": "A", "motif_b": "B", "order": "AB", "orientation": "++",
            "spacing": [0, 1, 2, 3, 4, 5], "effect_a": 1.0, "effect_b": 1.0, "effect_ab": 2.0,
            "cooperativity": [0.2, 0.9, 2.0, 1.3, -2.0, -2.0],
            "ci_low": [0.1, 0.8, 1.9, 0.9, -2.1, -2.1], "ci_high": [0.3, 1.0, 2.1, 1.7, -1.9, -1.9],
            "se": 0.01, "p_value": [1e-9, 1e-9, 1e-9, 1e-9, 1e-9, 0.01],
        }
    )  # fmt: skip
    marked = mark_significant(table, null_threshold=1.0, min_effect=0.5)
    # below the minimum; inside the null; a dependency; interval reaching into the null;
    # sub-additive; sub-additive but not beyond chance after correcting for 6 tests
    assert marked["significant"].tolist() == [False, False, True, False, False, False]
    assert marked["sub_additive"].tolist() == [False, False, False, False, True, False]
    assert marked["p_adjusted"].tolist() == pytest.approx([6e-9] * 5 + [0.06])


def test_captured_grammar_on_a_hand_made_table():
    from deepmotif.dependencies.run import _ranges, captured_grammar

    rows = []

    def add(run, order, orientation, spacing, coop, sig):
        rows.append((run, order, orientation, spacing, coop, sig))

    # x: the planted arrangement, strongest at spacing 0, below the planted 2-4
    for s, c in ((0, 9.0), (1, 8.5), (2, 8.0), (3, 7.0), (4, 6.0)):
        add("x", "AB", "++", s, c, True)
    add("x", "BA", "--", 6, 5.0, True)
    add("x", "AB", "-+", 3, 4.0, True)
    # y: another arrangement is strongest; z: the planted one read on the other strand, inside
    add("y", "AB", "-+", 3, 6.0, True)
    add("y", "AB", "++", 3, 2.0, True)
    add("z", "BA", "--", 3, 6.0, True)
    add("z", "AB", "++", 9, 7.0, False)  # stronger, but not significant
    add("w", "AB", "++", 3, 6.0, False)
    cols = ["run", "order", "orientation", "spacing", "cooperativity", "significant"]
    table = pd.DataFrame(rows, columns=cols)
    got = {r: captured_grammar(table, r, (2, 4)) for r in "xyzw"}
    assert got["x"] == {
        "captured": False, "best": "AB ++ 0 bp", "arrangement": True, "spacings": "0-4, 6"
    }  # fmt: skip
    assert got["y"] == {
        "captured": False,
        "best": "AB -+ 3 bp",
        "arrangement": False,
        "spacings": "3",
    }
    assert got["z"] == {
        "captured": True,
        "best": "BA -- 3 bp",
        "arrangement": True,
        "spacings": "3",
    }
    assert got["w"] == {"captured": False, "best": None, "arrangement": False, "spacings": ""}
    assert _ranges([0, 1, 2, 5, 7, 8]) == "0-2, 5, 7-8" and _ranges([]) == ""
    # the quickstart's sentence for each case
    from deepmotif.dependencies.run import capture_phrase

    assert capture_phrase(got["x"]) == (
        "the planted order and orientation, but strongest at AB ++ 0 bp, outside the planted "
        "spacings (significant at 0-4, 6 bp)"
    )
    assert capture_phrase(got["y"]).endswith("AB -+ 3 bp, not the planted one")
    assert (
        capture_phrase(got["z"]) == "captured the planted order and spacing (strongest: BA -- 3 bp)"
    )
    assert capture_phrase(got["w"]) == "no dependency beyond the null"


# ------------------------------------------------------------------ runs, files and the CLI


@pytest.fixture(scope="module")
def tiny_runs(tmp_path_factory):
    from deepmotif.data.simulate import simulate
    from deepmotif.training import train

    root = tmp_path_factory.mktemp("dep-runs")
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, length in (("cnn", 101), ("cnn-rnn", 101), ("short", 80)):
            sim = simulate(["CTCF"], n=200, length=length, seed=0)
            arch = "cnn" if name == "short" else name
            train(
                sim.dataset,
                None,
                arch=arch,
                out=root / name,
                model_config={"filters": 4} if arch == "cnn" else {"filters": 4, "hidden": 3},
                config={"epochs": 1},
                verbose=False,
            )
            out[name] = root / name
    return out


def test_cli_writes_table_json_and_figures(tiny_runs, tmp_path, capsys):
    out = tmp_path / "dep"
    args = ["dependencies", str(tiny_runs["cnn"]), str(tiny_runs["cnn-rnn"]), "--out", str(out)]
    args += ["--motifs", "CTCF,REST", "--spacing", "0-4", "--n", "20", "--n-boot", "50", "--quiet"]
    assert main(args) == 0, capsys.readouterr().err
    table = pd.read_csv(out / "dependencies.tsv", sep="\t")
    needed = ["run", "arch", "motif_a", "motif_b", "order", "orientation", "spacing", "effect_a",
              "effect_b", "effect_ab", "cooperativity", "ci_low", "ci_high"]  # fmt: skip
    assert list(table.columns[: len(needed)]) == needed
    assert len(table) == 2 * 2 * 4 * 5 and set(table["arch"]) == {"cnn", "cnn-rnn"}
    assert (table["ci_low"] <= table["cooperativity"] + 1e-9).all()
    info = json.loads((out / "dependencies.json").read_text())
    assert set(info["runs"]) == {"cnn", "cnn-rnn"}
    for r in info["runs"].values():
        assert {"order", "orientation", "spacing", "cooperativity", "ci_low", "ci_high"} <= set(
            r["best"]
        )
        assert isinstance(r["significant"], bool)
    assert info["motifs"]["a"]["source"].startswith("JASPAR MA0139")
    assert all(r["planted"] is None for r in info["runs"].values())  # CTCF alone: no grammar
    for f in ("cooperativity.png", "cooperativity.svg", "heatmap_cnn.png", "heatmap_cnn-rnn.png"):
        assert (out / f).is_file()
    # never overwritten without --force
    assert main(args) == 1
    assert "already holds dependency results" in capsys.readouterr().err


def test_planted_grammar_read_from_hand_made_sites():
    from deepmotif.dependencies.temporal import planted_grammar

    rows = [
        ("s1", "A", 10, 18, "+", 1, "target"), ("s1", "B", 21, 30, "+", 1, "target"),  # gap 3
        ("s2", "B", 40, 49, "-", 1, "target"), ("s2", "A", 55, 63, "-", 1, "target"),  # gap 6
        ("s2", "X", 0, 12, "+", 1, "decoy"),
        ("s3", "A", 5, 13, "+", 0, "target"),  # a negative: ignored
        ("s4", "A", 70, 78, "+", 1, "target"),  # one site only: ignored
    ]  # fmt: skip
    cols = ["seq_id", "tf", "start", "end", "strand", "label", "role"]
    sites = pd.DataFrame(rows, columns=cols)
    assert planted_grammar(sites, "A", "B") == {
        "spacing": (3, 6), "length_a": 8, "length_b": 9, "n_positives": 2
    }  # fmt: skip
    assert planted_grammar(sites, "B", "A") is None  # not the planted order
    other = sites.copy()
    other.loc[1, "strand"] = "-"  # s1 now A(+) then B(-): another arrangement
    assert planted_grammar(other, "A", "B") is None
    assert planted_grammar(sites, "A", "Z") is None


def test_cli_reports_the_planted_grammar_of_simulated_data(tmp_path, capsys):
    from deepmotif.dependencies.run import _planted, _read_truth

    fasta = tmp_path / "grammar.fa"
    sim = ["simulate", "--grammar", "CTCF,REST", "--spacing", "2-10", "--n", "200"]
    assert main([*sim, "--seed", "3", "--out", str(fasta)]) == 0
    run = tmp_path / "run"
    train = ["train", str(fasta), "--arch", "cnn", "--epochs", "1", "--out", str(run), "--quiet"]
    assert main(train) == 0, capsys.readouterr().err
    capsys.readouterr()
    out = tmp_path / "dep"
    args = ["dependencies", str(run), "--motifs", "CTCF,REST", "--spacing", "0-12", "--n", "20"]
    assert main([*args, "--n-boot", "50", "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    info = json.loads((out / "dependencies.json").read_text())
    planted = info["runs"]["run"]["planted"]
    n_pos = sum(line.split()[1] == "1" for line in fasta.read_text().splitlines() if line[0] == ">")
    assert planted["spacing"] == [2, 10] and planted["n_positives"] == n_pos
    assert {"captured", "arrangement", "spacings", "best"} <= set(planted)
    assert "  planted grammar (A then B, 2-10 bp apart, one strand): " in printed
    # named in the other order, the planted grammar is not the one asked about
    swapped = ["dependencies", str(run), "--motifs", "REST,CTCF", *args[4:]]
    assert main([*swapped, "--n-boot", "50", "--out", str(tmp_path / "ba"), "--quiet"]) == 0
    other = json.loads((tmp_path / "ba" / "dependencies.json").read_text())
    assert other["runs"]["run"]["planted"] is None
    # motifs of other lengths than the planted sites (e.g. another JASPAR release): no verdict
    table = pd.read_csv(out / "dependencies.tsv", sep="\t")
    a, b = {"name": "CTCF", "consensus": "A" * 19}, {"name": "REST", "consensus": "C" * 20}
    got = _planted(table, "run", a, b, _read_truth(run, None))
    assert "captured" not in got and "planted sites 15 and 20 bp" in got["reason"]


@pytest.mark.parametrize(
    "case, message",
    [
        ("unknown", "ZZZNOTATF"),
        ("too-long", "need"),
        ("lengths", "trained on different lengths"),
        ("one-motif", "--motifs needs two names"),
        ("spacing", "spacing LO-HI needs LO <= HI"),
    ],
)
def test_cli_bad_input_is_one_line_and_writes_nothing(tiny_runs, tmp_path, capsys, case, message):
    runs, motifs, spacing = [str(tiny_runs["cnn"])], "CTCF,REST", "0-4"
    if case == "unknown":
        motifs = "CTCF,ZZZNOTATF"
    elif case == "too-long":
        spacing = "0-90"
    elif case == "lengths":
        runs.append(str(tiny_runs["short"]))
    elif case == "one-motif":
        motifs = "CTCF"
    elif case == "spacing":
        spacing = "9-2"
    out = tmp_path / "dep"
    code = main(["dependencies", *runs, "--out", str(out), "--motifs", motifs,
                 "--spacing", spacing, "--n", "5", "--quiet"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 1 and message in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not out.exists()


def test_temporal_view_on_hand_made_scores():
    from deepmotif.dependencies.temporal import crossings, grammar_spans, temporal_summary

    sites = pd.DataFrame(
        {
            "seq_id": ["s0", "s0", "s1", "s1", "s2"],
            "tf": ["A", "B", "B", "A", "A"],
            "start": [2, 10, 3, 12, 5],
            "end": [6, 14, 7, 16, 9],
            "role": "target",
        }
    )
    spans = grammar_spans(sites, ["s0", "s1", "s2"], "A", "B")
    assert spans.tolist() == [[2, 6, 10, 14], [3, 7, 12, 16], [-1, -1, -1, -1]]
    L = 20
    fwd = np.zeros((3, L))
    bwd = np.zeros((3, L))
    fwd[0, 12:] = 0.9  # s0: bound once inside the right motif (after both)
    fwd[1, 5:] = 0.9  # s1: bound inside the left motif already
    fwd[1, 8] = 0.4  # ... with a dip: "for good" starts at 9
    bwd[0, :5] = 0.8  # s0: suffixes bound up to position 4, inside the left motif
    bwd[1, :15] = 0.8  # s1: up to 14, inside the right motif
    t_f, t_b = crossings(fwd[:2], bwd[:2])
    assert t_f.tolist() == [12, 9] and t_b.tolist() == [4, 14]
    s = temporal_summary(fwd, bwd, spans)
    assert s["n_positives"] == 2 and s["n_forward_crossing"] == 2
    assert s["forward_needs_both"] == 0.5 and s["backward_needs_both"] == 0.5
    assert s["forward_after_left_end"] == np.median([12 - 5, 9 - 6])
    assert s["forward_after_right_end"] == np.median([12 - 13, 9 - 15])


def test_dependency_map_equals_tangermeme_and_finds_the_toy_grammar(toy):
    from tangermeme.dependency_map import dependency_map as tangermeme_map
    from tangermeme.saturation_mutagenesis import saturation_mutagenesis

    from deepmotif.dependencies.pairwise import dependency_map, ism_effects

    class Column(nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, X):
            return self.m(X)[:, None]

    torch.manual_seed(0)
    from deepmotif.models import build_model

    model = build_model("cnn-rnn", filters=4, hidden=3).eval()
    x = _backgrounds(1, seed=5)[0, :, :17]
    ours = dependency_map(model, x, batch_size=7)
    ref = tangermeme_map(Column(model), x[None], func=saturation_mutagenesis, batch_size=64)
    np.testing.assert_allclose(ours, ref[0].numpy(), rtol=1e-4, atol=1e-6)
    window = dependency_map(model, x, start=3, end=9)
    np.testing.assert_allclose(window, ours[:, 3:9], rtol=1e-5, atol=1e-6)
    # the toy grammar: with A and B planted 3 apart, mutating A changes B's effects
    toy_model, X = toy
    seq = plant(plant(X[:1], A, 4), B, 4 + len(A) + 3)[0]
    e = ism_effects(toy_model, seq[None])[0]
    b_at = slice(4 + len(A) + 3, 4 + len(A) + 3 + len(B))
    assert np.all(e[b_at] == -(2 + 3) * 3 / 4)  # 3 of 4 bases break B: lose 2 + 3
    dmap = dependency_map(toy_model, seq)
    assert dmap[b_at, 4 : 4 + len(A)].min() > 0  # B's effects depend on A's bases
    assert dmap[30:, 4 : 4 + len(A)].max() == 0  # and nothing outside the motifs does


def test_dashboard_page_downloads_and_report(tiny_runs, tmp_path):
    """The Dependencies tab shows the curves, verdicts and heatmap of results found below the
    dashboard's folders; downloads are allow-listed; the report has the section."""
    import shutil

    from deepmotif.dashboard import ids
    from deepmotif.dashboard.app import create_app
    from deepmotif.dashboard.report import render_report
    from tests.dash_client import DashClient

    root = tmp_path / "shown"
    shutil.copytree(tiny_runs["cnn"], root / "TOY" / "cnn")
    args = ["dependencies", str(root / "TOY" / "cnn"), "--out", str(root / "deps")]
    args += ["--motifs", "CTCF,REST", "--spacing", "0-3", "--n", "10", "--n-boot", "20", "--quiet"]
    assert main(args) == 0
    app = create_app([root])
    client = DashClient(flask_client=app.server.test_client())
    status, layout = client.get("/_dash-layout")
    assert status == 200 and "shown/deps" in json.dumps(json.loads(layout))
    out = client.call(
        [
            f"{ids.DEP_CURVES}.figure",
            f"{ids.DEP_MESSAGE}.children",
            f"{ids.DEP_LINKS}.children",
            f"{ids.DEP_RUN}.options",
            f"{ids.DEP_RUN}.value",
        ],
        {f"{ids.DEP_RESULT}.value": "shown/deps"},
    )
    table = pd.read_csv(root / "deps" / "dependencies.tsv", sep="\t")
    lines = [t for t in out[f"{ids.DEP_CURVES}.figure"]["data"] if t.get("mode") == "lines"]
    assert len(lines) == 8  # one per order x orientation for the one run
    first = table[(table["order"] == "AB") & (table["orientation"] == "++")]
    assert lines[0]["y"] == pytest.approx(first.sort_values("spacing")["cooperativity"].tolist())
    assert "cnn (cnn):" in json.dumps(out[f"{ids.DEP_MESSAGE}.children"])
    assert out[f"{ids.DEP_RUN}.value"] == "cnn"
    heat = client.call(
        [f"{ids.DEP_HEATMAP}.figure"],
        {f"{ids.DEP_RESULT}.value": "shown/deps", f"{ids.DEP_RUN}.value": "cnn"},
    )
    z = heat[f"{ids.DEP_HEATMAP}.figure"]["data"][0]["z"]
    assert len(z) == 8 and len(z[0]) == 4
    status, body = client.get("/download-dependencies?result=shown/deps&file=dependencies.tsv")
    assert status == 200 and body == (root / "deps" / "dependencies.tsv").read_bytes()
    status, _ = client.get("/download-dependencies?result=shown/deps&file=../TOY/cnn/config.json")
    assert status == 404
    outputs = [f"{ids.DEP_CURVES}.figure", f"{ids.DEP_MESSAGE}.children"]
    outputs += [f"{ids.DEP_LINKS}.children", f"{ids.DEP_RUN}.options", f"{ids.DEP_RUN}.value"]
    bad = client.call(outputs, {f"{ids.DEP_RESULT}.value": "nope"})
    assert "unknown result set" in json.dumps(bad)
    html = render_report(app.store)
    assert "Dependencies between motifs" in html and "cnn (cnn):" in html
