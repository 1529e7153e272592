"""explain_run and 'deepmotif explain': the .npz contents, streaming, figures and bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from deepmotif.cli import main
from deepmotif.data.dataset import SequenceDataset
from deepmotif.errors import DeepMotifError
from deepmotif.explain import class_optimization, saliency, temporal_scores
from deepmotif.explain import run as explain_module
from deepmotif.explain.run import explain_run, parse_select
from deepmotif.training import load_run
from tests.conftest import PLANTED_LENGTH

LENGTH = PLANTED_LENGTH


@pytest.fixture(scope="module")
def make_data(planted_data):
    """``make_data(n, seed)``: positives carry GGATCC at 8..14; ids ``q<seed>_<i>``."""
    return planted_data


@pytest.fixture(scope="module")
def runs(planted_runs):
    return planted_runs


def fasta(tmp_path, ds: SequenceDataset, name="seqs.fa"):
    path = tmp_path / name
    path.write_text("".join(f">{i}\n{s}\n" for i, s in zip(ds.ids, ds.sequences)))
    return path


def test_saliency_npz_equals_library_call(runs, tmp_path, make_data):
    data = make_data(9, 3)
    res = explain_run(runs["cnn"], data, method="saliency", out=tmp_path / "s.npz", verbose=False)
    assert res["n"] == 9 and res["length"] == LENGTH
    with np.load(tmp_path / "s.npz", allow_pickle=False) as z:
        assert str(z["method"]) == "saliency"
        assert list(z["ids"]) == data.ids
        model, _ = load_run(runs["cnn"])
        ref = saliency(model, data.one_hot(), device="cpu")
        np.testing.assert_allclose(z["saliency"], ref.saliency, rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(z["gradient"], ref.gradient, rtol=1e-5, atol=1e-7)
        # the key every attribution method writes: saliency's is gradient x input
        np.testing.assert_allclose(z["attributions"], ref.grad_x_input, rtol=1e-5, atol=1e-7)
        np.testing.assert_array_equal(z["labels"], data.labels)
    assert res["keys"] == ["method", "ids", "labels", "attributions", "saliency", "gradient"]


def test_temporal_streams_in_chunks_with_ids_in_given_order(runs, tmp_path, monkeypatch, make_data):
    data = make_data(11, 4)
    monkeypatch.setattr(explain_module, "CHUNK", 3)  # 4 chunks, the last one short
    wanted = [data.ids[7], data.ids[2], data.ids[10], data.ids[0]]
    explain_run(
        runs["rnn"], data, method="temporal", out=tmp_path / "t.npz", ids=wanted, verbose=False
    )
    model, _ = load_run(runs["rnn"])
    ref = temporal_scores(model, data.one_hot()[[7, 2, 10, 0]], device="cpu")
    with np.load(tmp_path / "t.npz", allow_pickle=False) as z:
        assert list(z["ids"]) == wanted
        np.testing.assert_allclose(z["forward"], ref.forward, atol=1e-6)
        np.testing.assert_allclose(z["backward"], ref.backward, atol=1e-6)


def test_optimize_npz_and_figure(runs, tmp_path):
    res = explain_run(
        runs["cnn"],
        None,
        method="optimize",
        out=tmp_path / "o.npz",
        figures=tmp_path / "f",
        steps=20,
        n_restarts=3,
        verbose=False,
    )
    model, _ = load_run(runs["cnn"])
    ref = class_optimization(
        model, length=LENGTH, n_restarts=3, steps=20, random_state=0, device="cpu"
    )
    with np.load(tmp_path / "o.npz", allow_pickle=False) as z:
        np.testing.assert_allclose(z["pwm"], ref.pwm, atol=1e-5)
        np.testing.assert_allclose(z["scores"], ref.scores, rtol=1e-5)
        assert z["inputs"].shape == (3, 4, LENGTH) and int(z["best"]) == ref.best
    assert sorted(p.rsplit("/", 1)[1] for p in res["figures"]) == [
        "cnn_optimization_logo.png",
        "cnn_optimization_logo.svg",
    ]


def test_cli_run_test_set_with_figures_and_force(runs, tmp_path, capsys):
    out, figs = tmp_path / "s.npz", tmp_path / "figs"
    args = [
        "explain",
        str(runs["cnn"]),
        "--method",
        "saliency",
        "--out",
        str(out),
        "--figures",
        str(figs),
        "--select",
        "0:2",
        "--quiet",
    ]
    assert main(args) == 0
    assert "2 sequences" in capsys.readouterr().out
    names = sorted(p.name for p in figs.iterdir())
    assert len(names) == 2 * 2 * 2 and all(n.endswith((".png", ".svg")) for n in names)
    before = out.read_bytes()
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "already exists; pass --force" in err and err.count("\n") == 1
    assert out.read_bytes() == before
    assert main([*args, "--force"]) == 0
    one = tmp_path / "one"
    assert main([*args, "--force", "--figures", str(one), "--max-figures", "1"]) == 0
    assert len(list(one.iterdir())) == 1 * 2 * 2
    capsys.readouterr()
    assert main([*args, "--force", "--max-figures", "-1"]) == 2
    err = capsys.readouterr().err
    assert "--max-figures" in err and err.count("\n") == 1


def test_cli_reads_a_fasta_file_at_the_run_length(runs, tmp_path, capsys, make_data):
    data = make_data(4, 5)
    data.sequences[1] = (
        "AC" + data.sequences[1] + "GT"
    )  # longer: centre-cropped to the run's length
    path = fasta(tmp_path, data)
    out = tmp_path / "t.npz"
    assert (
        main(
            [
                "explain",
                str(runs["rnn"]),
                str(path),
                "--method",
                "temporal",
                "--out",
                str(out),
                "--quiet",
            ]
        )
        == 0
    )
    with np.load(out, allow_pickle=False) as z:
        assert z["forward"].shape == (4, LENGTH) and list(z["ids"]) == data.ids


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--select", "5:5"], "holds no sequences"),
        (["--select", "x:y"], "expected START:STOP"),
        (["--select", "40"], "out of range"),
        (["--ids", "q2_0,nope"], "nope not found"),
    ],
)
def test_cli_bad_selection(runs, tmp_path, capsys, extra, message):
    code = main(
        [
            "explain",
            str(runs["cnn"]),
            "--method",
            "saliency",
            "--out",
            str(tmp_path / "x.npz"),
            *extra,
        ]
    )
    err = capsys.readouterr().err
    assert code == 1 and message in err and err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "x.npz").exists()


def test_cli_broken_runs(runs, tmp_path, capsys):
    import shutil

    missing = tmp_path / "missing"
    shutil.copytree(runs["cnn"], missing)
    (missing / "model.safetensors").unlink()
    misfit = tmp_path / "misfit"
    shutil.copytree(runs["cnn"], misfit)
    config = json.loads((misfit / "config.json").read_text())
    config["model"]["filters"] = 16
    (misfit / "config.json").write_text(json.dumps(config))
    for run_dir, message in (
        (missing, "no model.safetensors"),
        (misfit, "do not fit the run's config"),
        (tmp_path / "nothing", "no such run directory"),
    ):
        code = main(
            ["explain", str(run_dir), "--method", "temporal", "--out", str(tmp_path / "x.npz")]
        )
        err = capsys.readouterr().err
        assert code == 1 and message in err and err.count("\n") == 1, err


def test_bad_arguments_in_the_library(runs, tmp_path, make_data):
    data = make_data(3, 6)
    with pytest.raises(DeepMotifError, match="ending in .npz"):
        explain_run(runs["cnn"], data, method="saliency", out=tmp_path / "x.txt", verbose=False)
    with pytest.raises(DeepMotifError, match="not both"):
        explain_run(
            runs["cnn"],
            data,
            method="saliency",
            out=tmp_path / "x.npz",
            select="0:1",
            ids="a",
            verbose=False,
        )
    with pytest.raises(DeepMotifError, match="method must be one of"):
        explain_run(runs["cnn"], data, method="lime", out=tmp_path / "x.npz", verbose=False)
    short = SequenceDataset(["a"], ["ACGTACGTAC"], np.array([1]))
    with pytest.warns(UserWarning, match="trained on 24 bp"):
        explain_run(
            runs["cnn"], short, method="saliency", out=tmp_path / "short.npz", verbose=False
        )


def test_a_model_that_cannot_take_the_length(runs, tmp_path, monkeypatch, make_data):
    """A model whose convolution has no padding refuses short sequences with one clear line."""

    class Valid(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv1d(4, 1, 30)

        def forward(self, x):
            return self.conv(x).amax(dim=(1, 2))

    monkeypatch.setattr(
        "deepmotif.rundir.load_run",
        lambda path: (Valid().eval(), {"arch": "valid", "data": {}}),
    )
    with pytest.raises(DeepMotifError, match="cannot take these 24 bp sequences"):
        explain_run(
            runs["cnn"], make_data(2, 7), method="saliency", out=tmp_path / "v.npz", verbose=False
        )
    assert not (tmp_path / "v.npz").exists()


def test_parse_select():
    assert list(parse_select("2:5", 10)) == [2, 3, 4]
    assert list(parse_select("-2:", 10)) == [8, 9]
    assert list(parse_select("7,1", 10)) == [7, 1]
    assert list(parse_select("-1", 10)) == [9]
    assert list(parse_select(None, 3)) == [0, 1, 2]


TOY_WEIGHT = np.where((np.arange(LENGTH) >= 8) & (np.arange(LENGTH) < 14), 1.0, 0.01).astype(
    np.float32
)


@pytest.fixture
def toy_method(monkeypatch):
    """A toy attribution method registered for one test: the input times a constant weight per
    position (high where the planted GGATCC lies)."""
    from deepmotif.explain import registry

    calls = []

    def compute(model, X, *, batch_size=None, device=None, verbose=False):
        calls.append(len(X))
        return {"attributions": TOY_WEIGHT * np.asarray(X, dtype=np.float32)}

    method = registry.Method("toy", "attribution", compute, ("attributions",), "weighted input")
    monkeypatch.setitem(registry._METHODS, "toy", method)
    return calls


@pytest.mark.filterwarnings("ignore:tfmodisco_seqlets could not call seqlets")
def test_a_registered_method_is_explained_and_used_for_motifs(
    runs, tmp_path, make_data, toy_method
):
    """Registering a method is all it takes: explain_run writes it, the motif code uses it."""
    from deepmotif.evaluation import predict
    from deepmotif.motifs.extract import extract_motifs
    from deepmotif.motifs.from_saliency import saliency_motifs

    data = make_data(6, 8)
    res = explain_run(
        runs["cnn"],
        data,
        method="toy",
        out=tmp_path / "toy.npz",
        figures=tmp_path / "f",
        verbose=False,
    )
    assert res["keys"] == ["method", "ids", "labels", "attributions"] and toy_method == [6]
    with np.load(tmp_path / "toy.npz", allow_pickle=False) as z:
        assert str(z["method"]) == "toy" and set(z.files) == set(res["keys"])
        np.testing.assert_array_equal(z["attributions"], TOY_WEIGHT * data.one_hot())
    assert len(res["figures"]) == 6 * 2 * 2  # a heatmap and a logo per sequence, PNG and SVG
    fewer = explain_run(
        runs["cnn"], data, method="toy", out=tmp_path / "toy2.npz", figures=tmp_path / "f2",
        verbose=False, max_figures=2,
    )  # fmt: skip
    names = [p.rsplit("/", 1)[1] for p in fewer["figures"]]
    drawn = {i for i in data.ids if any(n.startswith(i + "_") for n in names)}
    assert drawn == set(data.ids[:2]) and len(names) == 2 * 2 * 2

    model, _ = load_run(runs["cnn"])
    ds = make_data(60, 9)
    X, y = ds.one_hot(), ds.labels
    scores = predict(model, X, device="cpu")
    scores[y == 1] = 0.9  # every positive counts as correctly classified
    options = {"min_sites": 2, "min_fraction": 0.0}
    # the toy's map, computed here, gives what saliency_motifs finds by looking the method up
    expected = saliency_motifs(
        model, X, y, scores, attributions=TOY_WEIGHT * X, device="cpu", **options
    )
    del toy_method[:]
    found = saliency_motifs(model, X, y, scores, attribution="toy", device="cpu", **options)
    assert toy_method == [int((y == 1).sum())]
    ext = extract_motifs(
        model,
        X,
        y,
        scores,
        sources="saliency",
        options={"saliency": options},
        attribution="toy",
        device="cpu",
    )
    assert len(toy_method) == 2
    assert expected, "the toy map should give at least one motif"
    for motifs in (found, ext.motifs):
        assert [m.name for m in motifs] == [m.name for m in expected]
        for a, b in zip(motifs, expected):
            np.testing.assert_array_equal(a.pwm, b.pwm)
    with pytest.raises(DeepMotifError, match="unknown attribution method 'temporal'"):
        saliency_motifs(model, X, y, scores, attribution="temporal")
