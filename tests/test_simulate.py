"""deepmotif.data.simulate and ``deepmotif simulate``: planted sites are where the truth says."""

from __future__ import annotations

import gzip

import numpy as np
import pandas as pd
import pytest

from deepmotif.cli import main
from deepmotif.data.encoding import reverse_complement
from deepmotif.data.simulate import (
    SITE_COLUMNS,
    check_output,
    choose_decoys,
    motif_similarity,
    parse_spacing,
    simulate,
    sites_path,
    write_simulation,
)
from deepmotif.data.simulate.core import _place
from deepmotif.errors import DeepMotifError
from deepmotif.jaspar import Motif, get_motif

GC = 0.41
BG = {"A": (1 - GC) / 2, "C": GC / 2, "G": GC / 2, "T": (1 - GC) / 2}


def _log_odds(motif: Motif, site: str) -> float:
    """log2 P(site | PWM) / P(site | background), computed letter by letter."""
    return float(sum(np.log2(motif.pwm["ACGT".index(c), j] / BG[c]) for j, c in enumerate(site)))


def _oriented(seq: str, row) -> str:
    piece = seq[row.start : row.end]
    return reverse_complement(piece) if row.strand == "-" else piece


def _toy_motif(consensus: str, name: str) -> Motif:
    """A motif that can only ever emit ``consensus`` (one-hot PWM, no pseudocount)."""
    idx = ["ACGT".index(c) for c in consensus]
    pwm = np.zeros((4, len(consensus)))
    pwm[idx, np.arange(len(consensus))] = 1.0
    return Motif(f"TOY{len(name):04d}.1", name, pwm, pwm * 10, "toy", "CORE", None)


@pytest.fixture(scope="module")
def ctcf_sim():
    return simulate("CTCF", n=1000, length=101, decoys=2, seed=0)


def _seqs(sim) -> dict[str, str]:
    return dict(zip(sim.dataset.ids, sim.dataset.sequences))


# ---------------------------------------------------------------------------------------------
# the planted sites


def test_counts_labels_ids_and_table(ctcf_sim):
    ds, sites = ctcf_sim.dataset, ctcf_sim.sites
    assert len(ds) == 1000 and ds.n_positive == 500 and ds.n_negative == 500
    assert ds.format == "simulated" and ds.length == 101
    assert all(len(s) == 101 and set(s) <= set("ACGT") for s in ds.sequences)
    assert ds.ids == [f"sim{i:05d}" for i in range(1, 1001)]
    assert not np.all(ds.labels[:500] == 1)  # shuffled, not all positives first
    assert list(sites.columns) == SITE_COLUMNS
    label_of = dict(zip(ds.ids, ds.labels))
    assert (sites["label"] == sites["seq_id"].map(label_of)).all()
    per_seq = sites.groupby("seq_id")
    targets = sites[sites.role == "target"]
    # one CTCF site in every positive, none in negatives; exactly 2 decoys everywhere
    assert (targets.tf == "CTCF").all() and (targets.jaspar_id == "MA0139.2").all()
    assert sorted(targets.seq_id) == sorted(i for i, y in label_of.items() if y == 1)
    decoys = sites[sites.role == "decoy"]
    assert (decoys.groupby("seq_id").size() == 2).all() and decoys.seq_id.nunique() == 1000
    assert "CTCF" not in set(decoys.tf)
    meta = ds.meta["simulation"]
    assert meta["tfs"] == ["CTCF"] and meta["jaspar_ids"] == ["MA0139.2"]
    assert meta["mode"] == "default" and meta["seed"] == 0 and meta["release"].startswith("JASPAR")
    assert set(decoys.jaspar_id) <= set(meta["decoy_jaspar_ids"])
    assert per_seq.size().max() == 3


def test_sites_do_not_overlap_and_fit(ctcf_sim):
    sites = ctcf_sim.sites
    assert (sites.start >= 0).all() and (sites.end <= 101).all()
    lengths = sites.tf.map({k: m.length for k, m in ctcf_sim.motifs.items()})
    assert (sites.end - sites.start == lengths).all()
    for _, g in sites.groupby("seq_id"):
        g = g.sort_values("start")
        assert (g.start.values[1:] >= g.end.values[:-1]).all()


def test_planted_slices_score_like_their_motif(ctcf_sim):
    """Every site slice (reverse-complemented on '-') scores above the background's 99th
    percentile of that motif's log-odds for >= 99 % of CTCF sites and >= 90 % of each decoy's
    sites (a decoy as short as 6 bp has a wider score overlap with background), and on '-' the
    reverse-complemented slice beats the slice as read for >= 99 % of CTCF sites."""
    seqs = _seqs(ctcf_sim)
    rng = np.random.default_rng(12345)  # background windows independent of the simulation
    for tf, group in ctcf_sim.sites.groupby("tf"):
        motif = ctcf_sim.motifs[tf]
        windows = rng.choice(list("ACGT"), size=(2000, motif.length), p=list(BG.values()))
        threshold = np.percentile([_log_odds(motif, "".join(w)) for w in windows], 99)
        scores = np.array(
            [_log_odds(motif, _oriented(seqs[r.seq_id], r)) for r in group.itertuples()]
        )
        above = (scores > threshold).mean()
        assert above >= (0.99 if tf == "CTCF" else 0.90), (tf, above)
    ctcf_minus = ctcf_sim.sites.query("tf == 'CTCF' and strand == '-'")
    assert 150 < len(ctcf_minus) < 350  # strands are random (500 sites)
    better = [
        _log_odds(get_motif("CTCF"), _oriented(seqs[r.seq_id], r))
        > _log_odds(get_motif("CTCF"), seqs[r.seq_id][r.start : r.end])
        for r in ctcf_minus.itertuples()
    ]
    assert np.mean(better) >= 0.99


def test_one_hot_motif_is_planted_exactly():
    """A motif that can emit only its consensus must appear verbatim ('+') or reverse-complemented
    ('-') at every site, and nowhere else is needed for the check."""
    toy = _toy_motif("ACGTTGCAAGGC", "TOY")
    sim = simulate(toy, n=200, length=40, decoys=0, seed=3)
    seqs = _seqs(sim)
    assert len(sim.sites) == 100 and set(sim.sites.role) == {"target"}
    strands = set()
    for r in sim.sites.itertuples():
        piece = seqs[r.seq_id][r.start : r.end]
        expected = "ACGTTGCAAGGC" if r.strand == "+" else "GCCTTGCAACGT"
        assert piece == expected
        strands.add(r.strand)
    assert strands == {"+", "-"}


def test_background_gc_and_placement_uniform():
    sim = simulate(_toy_motif("AAAA", "A4"), n=2000, length=101, decoys=0, gc=0.6, seed=1)
    mask = np.ones((2000, 101), dtype=bool)
    row = {s: i for i, s in enumerate(sim.dataset.ids)}
    for r in sim.sites.itertuples():
        mask[row[r.seq_id], r.start : r.end] = False
    letters = np.array([list(s) for s in sim.dataset.sequences])[mask]
    gc = np.isin(letters, ["G", "C"]).mean()
    assert abs(gc - 0.6) < 0.01  # ~190k bases: standard error 0.0011
    # 98 possible starts; starts are uniform: each third of them gets about a third
    thirds = np.bincount(sim.sites.start.values * 3 // 98, minlength=3) / len(sim.sites)
    assert np.all(np.abs(thirds - 1 / 3) < 0.08)


def test_place_by_hand():
    rng = np.random.default_rng(0)
    for _ in range(200):
        starts = _place(rng, [5, 3, 7], 20)
        spans = sorted((s, s + w) for s, w in zip(starts, [5, 3, 7]))
        assert spans[0][0] >= 0 and spans[-1][1] <= 20
        assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))
    assert _place(rng, [4, 6], 10) in ([0, 4], [6, 0])  # no free space: two arrangements


def test_several_targets_each_positive_carries_all():
    sim = simulate(["CTCF", "REST"], n=100, length=101, decoys=1, seed=2)
    targets = sim.sites[sim.sites.role == "target"]
    pos = [i for i, y in zip(sim.dataset.ids, sim.dataset.labels) if y == 1]
    assert targets.groupby("seq_id").tf.apply(sorted).to_dict() == {
        i: ["CTCF", "REST"] for i in pos
    }


# ---------------------------------------------------------------------------------------------
# decoys


def test_decoys_unlike_targets_and_deterministic():
    ctcf = get_motif("CTCF")
    pool = choose_decoys([ctcf])
    assert len(pool) == 10
    assert pool == choose_decoys([get_motif("MA0139.2")])
    for m in pool:
        assert "CTCF" not in m.name.upper()
        assert 6 <= m.length <= 20 and m.information_content >= 8
        assert motif_similarity(m, ctcf) < 0.5
    # SP1's GC box resembles CTCF's core and must not be a decoy
    assert motif_similarity(get_motif("SP1"), ctcf) >= 0.5
    assert "SP1" not in {m.name for m in pool}


def test_motif_similarity_by_hand():
    a = _toy_motif("ACGTAC", "a").pwm
    assert motif_similarity(a, a) == pytest.approx(1.0)
    assert motif_similarity(a, a[::-1, ::-1]) == pytest.approx(1.0)  # reverse complement
    # a shifted copy: columns 1..5 of a equal columns 0..4 of b, overlap of 5 >= min_overlap 5
    b = _toy_motif("CGTACT", "b").pwm
    assert motif_similarity(a, b, min_overlap=5) == pytest.approx(1.0)
    # equal lengths and min_overlap = length: only the full alignment on either strand counts,
    # so the answer is the larger of two plain Pearson correlations
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(4), size=6).T
    q = rng.dirichlet(np.ones(4), size=6).T
    expected = max(
        np.corrcoef(p.ravel(), q.ravel())[0, 1], np.corrcoef(p.ravel(), q[::-1, ::-1].ravel())[0, 1]
    )
    assert motif_similarity(p, q, min_overlap=6) == pytest.approx(expected)


# ---------------------------------------------------------------------------------------------
# grammar


def _pair_ok(a, b, lo, hi) -> bool:
    """A then B on one strand with a gap in [lo, hi] (in that strand's reading direction)."""
    if a.strand != b.strand:
        return False
    gap = b.start - a.end if a.strand == "+" else a.start - b.end
    return lo <= gap <= hi


def test_grammar_positives_obey_negatives_violate():
    lo, hi = 3, 8
    sim = simulate(None, grammar=("CTCF", "REST"), spacing=f"{lo}-{hi}", n=600, decoys=1, seed=4)
    assert sim.dataset.meta["simulation"]["spacing"] == [lo, hi]
    targets = sim.sites[sim.sites.role == "target"]
    kinds = {"swapped": 0, "spaced": 0, "single": 0}
    assert targets.seq_id.nunique() == 600  # every sequence has target sites
    for _, g in targets.groupby("seq_id"):
        label = int(g.label.iloc[0])
        a = g[g.tf == "CTCF"]
        b = g[g.tf == "REST"]
        ok = len(a) == 1 and len(b) == 1 and _pair_ok(a.iloc[0], b.iloc[0], lo, hi)
        if label == 1:
            assert ok, g
        else:
            assert not ok, g
            if len(g) == 1:
                kinds["single"] += 1
            elif _pair_ok(b.iloc[0], a.iloc[0], lo, hi):
                kinds["swapped"] += 1
            else:
                assert a.iloc[0].strand == b.iloc[0].strand
                x, y = a.iloc[0], b.iloc[0]
                gap = y.start - x.end if x.strand == "+" else x.start - y.end
                assert hi < gap <= hi + 10
                kinds["spaced"] += 1
    assert kinds == {"swapped": 100, "spaced": 100, "single": 100}
    assert set(targets.strand) == {"+", "-"}
    assert sim.dataset.n_positive == 300


# ---------------------------------------------------------------------------------------------
# determinism and files


def test_same_seed_same_files_different_seed_differs(tmp_path):
    paths = []
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        sim = simulate("CTCF", n=50, seed=seed)
        paths.append(write_simulation(sim, tmp_path / f"{name}.fa.gz"))
    (fa, sa), (fb, sb), (fc, sc) = paths
    assert fa.read_bytes() == fb.read_bytes() and sa.read_bytes() == sb.read_bytes()
    assert fa.read_bytes() != fc.read_bytes() and sa.read_bytes() != sc.read_bytes()
    header = fa.read_bytes()[:10]
    assert header[4:8] == bytes(4) and not header[3] & 0x08  # no time stamp, no file name
    text = gzip.decompress(fa.read_bytes()).decode()
    lines = text.splitlines()
    assert lines[0] in (">sim00001 0", ">sim00001 1") and len(lines) == 100
    table = pd.read_csv(sa, sep="\t")
    assert list(table.columns) == SITE_COLUMNS and len(table) == 25 + 100


def test_fasta_is_read_back_by_read_dataset(tmp_path):
    from deepmotif.data import read_dataset  # an import error fails the test, never skips it

    sim = simulate("CTCF", n=40, seed=1)
    fasta, _ = write_simulation(sim, tmp_path / "sim.fa")
    back = read_dataset(fasta)
    assert back.ids == sim.dataset.ids and back.sequences == sim.dataset.sequences
    np.testing.assert_array_equal(back.labels, sim.dataset.labels)


@pytest.mark.parametrize(
    ("fasta", "truth"),
    [
        ("sim.fa", "sim.sites.tsv"),
        ("sim.fa.gz", "sim.sites.tsv"),
        ("dir/x.y.fasta", "dir/x.y.sites.tsv"),
        ("run.FNA.GZ", "run.sites.tsv"),
    ],
)
def test_sites_path_rule(fasta, truth):
    assert str(sites_path(fasta)) == truth


def test_no_overwrite_without_force(tmp_path):
    sim = simulate("CTCF", n=10, seed=0)
    fasta, truth = write_simulation(sim, tmp_path / "s.fa")
    truth.write_text("keep")
    with pytest.raises(DeepMotifError, match="already exists; use --force"):
        write_simulation(sim, fasta)
    assert truth.read_text() == "keep"
    fasta.unlink()
    with pytest.raises(DeepMotifError, match=r"s\.sites\.tsv already exists"):
        check_output(fasta)  # the sites file alone blocks the write too
    write_simulation(sim, fasta, force=True)
    assert truth.read_text().startswith("seq_id\ttf")
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        (dict(motifs="NOTATF"), r"no JASPAR motif .*'NOTATF'"),
        (dict(motifs="CTCF", n=1), r"n must be an even number of at least 2"),
        (dict(motifs="CTCF", n=7), r"n must be an even number"),
        (dict(motifs="CTCF", length=20), r"length 20 is too short: CTCF \(15 bp\)"),
        (dict(motifs="CTCF", length=14, decoys=0), r"length 14 is too short"),
        (dict(motifs="CTCF", gc=1.0), r"gc must be between 0 and 1"),
        (dict(motifs="CTCF", gc=0), r"gc must be between 0 and 1"),
        (dict(motifs="CTCF", spacing="2-5"), r"spacing only applies with a grammar"),
        (dict(motifs=None, grammar=["CTCF"]), r"exactly two motifs"),
        (dict(motifs=None, grammar=["CTCF", "REST", "SP1"]), r"exactly two motifs"),
        (dict(motifs=None, grammar=["CTCF", "MA0139.2"]), r"two different motifs"),
        (dict(motifs=None, grammar=["Arnt", "MAX"]), r"both palindromic"),
        (dict(motifs=["CTCF", "SP1"], grammar=["CTCF", "REST"]), r"grammar's two motifs"),
        (dict(motifs=None, grammar=["CTCF", "REST"], spacing="5-2"), r"LO <= HI"),
        (dict(motifs=None, grammar=["CTCF", "REST"], spacing="2..5"), r"LO-HI"),
        (dict(motifs=None, grammar=["CTCF", "REST"], length=60), r"too short.*gaps up to 20"),
        (dict(motifs=["CTCF", "ctcf"]), r"MA0139\.2 is listed twice"),
        (dict(motifs="CTCF", release="JASPAR1990"), r"unknown JASPAR release"),
        (dict(motifs=[]), r"at least one target motif"),
    ],
)
def test_bad_arguments_raise_one_line(kwargs, pattern):
    motifs = kwargs.pop("motifs")
    with pytest.raises(DeepMotifError, match=pattern) as info:
        simulate(motifs, **kwargs)
    assert "\n" not in str(info.value)


def test_parse_spacing():
    assert parse_spacing("2-10") == (2, 10)
    assert parse_spacing(" 4 ") == (4, 4)
    assert parse_spacing((0, 3)) == (0, 3)
    for bad in ("-1-3", "a-b", "3-", (1, 2, 3), (-1, 2)):
        with pytest.raises(DeepMotifError):
            parse_spacing(bad)


# ---------------------------------------------------------------------------------------------
# command line


def test_cli_writes_both_files_and_refuses_to_overwrite(tmp_path, capsys):
    out = tmp_path / "sim.fa"
    argv = ["simulate", "--motifs", "CTCF", "--n", "20", "--length", "60", "--out", str(out)]
    assert main(argv + ["--seed", "5"]) == 0
    stdout = capsys.readouterr().out
    assert "wrote 20 sequences of 60 bp (10 positive)" in stdout and "MA0139.2" in stdout
    truth = tmp_path / "sim.sites.tsv"
    assert out.exists() and truth.exists()
    expected = simulate("CTCF", n=20, length=60, seed=5)
    assert out.read_text().splitlines()[1] == expected.dataset.sequences[0]
    before = out.read_bytes()
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert (
        err.strip()
        == f"deepmotif simulate: error: {out} already exists; use --force (force=True) to overwrite it"
    )
    assert out.read_bytes() == before
    assert main(argv + ["--force", "--seed", "6"]) == 0
    assert out.read_bytes() != before


def test_cli_grammar(tmp_path, capsys):
    out = tmp_path / "g.fa.gz"
    argv = [
        "simulate",
        "--grammar",
        "CTCF,REST",
        "--spacing",
        "2-6",
        "--n",
        "30",
        "--out",
        str(out),
    ]
    assert main(argv) == 0
    table = pd.read_csv(tmp_path / "g.sites.tsv", sep="\t")
    assert set(table[table.role == "target"].tf) == {"CTCF", "REST"}
    assert "grammar mode" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("extra", "pattern"),
    [
        (["--motifs", "CTFC"], "no JASPAR motif"),
        (["--motifs", "CTCF", "--n", "1"], "n must be an even number"),
        (["--motifs", "CTCF", "--n", "x"], "--n must be a whole number, got 'x'"),
        (["--motifs", "CTCF", "--length", "10"], "length 10 is too short"),
        (["--motifs", "CTCF", "--gc", "1.5"], "gc must be between 0 and 1"),
        (["--motifs", "CTCF", "--gc", "high"], "--gc must be a number"),
        (["--grammar", "CTCF,REST", "--spacing", "x"], "spacing must look like LO-HI"),
        (["--grammar", "CTCF"], "--grammar needs exactly two motifs"),
        (["--motifs", "CTCF", "--spacing", "1-2"], "--spacing only applies with --grammar"),
        (["--motifs", "CTCF", "--release", "JASPAR1"], "unknown JASPAR release"),
        (["--n", "10"], "give --motifs"),
        (["--motifs", ","], "--motifs needs at least one motif name"),
    ],
)
def test_cli_bad_input_one_line_no_traceback(tmp_path, capsys, extra, pattern):
    out = tmp_path / "bad.fa"
    assert main(["simulate", *extra, "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("deepmotif simulate: error: ")
    assert pattern in err and "Traceback" not in err
    assert not out.exists() and not (tmp_path / "bad.sites.tsv").exists()


def test_cli_rejects_non_fasta_name_before_simulating(tmp_path, capsys):
    assert main(["simulate", "--motifs", "CTCF", "--out", str(tmp_path / "sim.txt")]) == 1
    assert "must be a FASTA file ending in .fa" in capsys.readouterr().err
