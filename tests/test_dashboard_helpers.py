"""Shared builders for the dashboard tests (no tests here): small real runs, precomputed
explanations with known values, motif files, and stand-ins for the explanation methods of
:mod:`deepmotif.explain.registry`.

The three runs are trained once per test session (about 5 s) and copied where a test needs to
change them.
"""

from __future__ import annotations

import dataclasses
import shutil
import types
from pathlib import Path

import numpy as np
import pandas as pd

LENGTH = 60
DATASET = "TOY"
ARCHS = ("cnn", "rnn", "cnn-rnn")
_MODEL = {"cnn": {"filters": 8}, "rnn": {"hidden": 8}, "cnn-rnn": {"filters": 8, "hidden": 8}}
_CACHE: dict = {}


def toy_dataset(n: int = 160, length: int = LENGTH, seed: int = 0):
    """Half the sequences carry ``CCGCGGGC`` somewhere; ids ``s0``, ``s1``..."""
    from deepmotif.data.dataset import SequenceDataset

    rng = np.random.default_rng(seed)
    seqs, labels = [], []
    for i in range(n):
        s = list(rng.choice(list("ACGT"), length))
        if i % 2:
            p = int(rng.integers(0, length - 8))
            s[p : p + 8] = list("CCGCGGGC")
        seqs.append("".join(s))
        labels.append(i % 2)
    return SequenceDataset(ids=[f"s{i}" for i in range(n)], sequences=seqs, labels=labels)


def gradient_values(n: int, length: int, arch_index: int) -> np.ndarray:
    """The known 'gradient' stored in the precomputed saliency.npz: sin(i + 2b + 0.1 j + arch)."""
    i, b, j = np.meshgrid(np.arange(n), np.arange(4), np.arange(length), indexing="ij")
    return np.sin(i + 2 * b + 0.1 * j + arch_index).astype(np.float32)


def temporal_values(n: int, length: int, arch_index: int) -> tuple[np.ndarray, np.ndarray]:
    """Known forward/backward scores: forward rises 0..1 along the sequence, backward falls."""
    ramp = np.linspace(0, 1, length, dtype=np.float32)
    fwd = np.tile(ramp, (n, 1)) * (0.5 + 0.1 * arch_index)
    return fwd, fwd[:, ::-1].copy()


def _train_runs(root: Path) -> Path:
    import torch

    from deepmotif.training import train

    ds = toy_dataset()
    base = root / "bench" / DATASET
    # One torch thread: with two on two busy cores every small LSTM step waits for both to be
    # scheduled (measured: 34 s instead of well under 1 s for these three tiny runs).
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for arch in ARCHS:
            train(
                ds,
                arch=arch,
                out=base / arch,
                model_config=_MODEL[arch],
                config={"epochs": 1, "dtype": "fp32"},  # bf16 autocast is slow on small CPUs
                verbose=False,
            )
    finally:
        torch.set_num_threads(threads)
    return root / "bench"


def add_precomputed(bench: Path) -> None:
    """cnn: saliency + temporal + optimize precomputed; rnn: temporal only; cnn-rnn: nothing."""
    from deepmotif.data.encoding import one_hot

    for k, arch in enumerate(ARCHS[:2]):
        run = bench / DATASET / arch
        table = pd.read_csv(run / "test.tsv", sep="\t", dtype={"id": str})
        X = one_hot(table["sequence"].tolist())
        n = len(table)
        (run / "explain").mkdir(exist_ok=True)
        ids = np.array(table["id"].tolist())
        if arch == "cnn":
            g = gradient_values(n, LENGTH, k)
            np.savez(run / "explain" / "saliency.npz", ids=ids, saliency=np.abs(g) * X, gradient=g)
            pwm = np.full((4, LENGTH), 0.25, dtype=np.float32)
            pwm[:, 20:28] = one_hot("CCGCGGGC").astype(np.float32) * 0.97 + 0.0075
            np.savez(run / "explain" / "optimize.npz", pwm=pwm, scores=np.array([0.91, 0.97]))
        fwd, bwd = temporal_values(n, LENGTH, k)
        np.savez(run / "explain" / "temporal.npz", ids=ids, forward=fwd, backward=bwd)


MEME = """MEME version 4

ALPHABET= ACGT

strands: + -

Background letter frequencies
A 0.25 C 0.25 G 0.25 T 0.25

MOTIF cnn_filter_1
letter-probability matrix: alength= 4 w= 4 nsites= 10 E= 0
0.7 0.1 0.1 0.1
0.1 0.7 0.1 0.1
0.1 0.1 0.7 0.1
0.1 0.1 0.1 0.7

MOTIF cnn_filter_2
letter-probability matrix: alength= 4 w= 3 nsites= 10 E= 0
0.1 0.1 0.1 0.7
0.1 0.1 0.7 0.1
0.1 0.7 0.1 0.1
"""


def add_motifs(bench: Path) -> None:
    """cnn gets motifs.meme and a matches.tsv whose values the tests know."""
    d = bench / DATASET / "cnn" / "motifs"
    d.mkdir(exist_ok=True)
    (d / "motifs.meme").write_text(MEME)
    pd.DataFrame(
        {
            "query": ["cnn_filter_1", "cnn_filter_1", "cnn_filter_2"],
            "rank": [1, 2, 1],
            "target_id": ["MA0139.2", "MA0002.3", "MA0079.5"],
            "target_name": ["CTCF", "Runx1", "SP1"],
            "p_value": [1e-6, 0.02, 0.5],
            "e_value": [1e-3, 20.0, 500.0],
            "q_value": [0.001, 0.3, 0.9],
            "offset": [2, 0, -1],
            "orientation": ["+", "-", "+"],
        }
    ).to_csv(d / "matches.tsv", sep="\t", index=False)


def trained_runs(tmp_root: Path) -> Path:
    """The session's three trained runs (``bench/TOY/{cnn,rnn,cnn-rnn}``), trained once."""
    if "bench" not in _CACHE:
        bench = _train_runs(tmp_root)
        add_precomputed(bench)
        add_motifs(bench)
        pd.DataFrame(
            {
                "dataset": [DATASET],
                "arch": ["cnn"],
                "auroc": [0.5],
                "auprc": [0.5],
                "deepbind_star": [0.931],
                "deepbind": [0.912],
            }
        ).to_csv(bench / "benchmark.csv", index=False)
        _CACHE["bench"] = bench
    return _CACHE["bench"]


def copy_runs(src: Path, dst: Path) -> Path:
    """A private copy of the runs that a test may break."""
    shutil.copytree(src, dst)
    return dst


def fake_methods():
    """Stand-ins for the registry's ``saliency``, ``temporal`` and ``optimize`` methods whose
    outputs the tests can compute by hand.

    ``saliency``: gradient = 0.01 * (position + 1) at every base; ``temporal``: forward
    = position / L, backward = 1 - position / L; ``optimize``: a PWM preferring A, C, G, T in
    turn. Returns ``(methods by name, calls)``; ``calls`` counts the calls of each.
    """
    import torch

    from deepmotif.explain.registry import get_method

    calls = {"saliency": 0, "temporal": 0, "optimize": 0}

    def saliency(model, X, **kw):
        calls["saliency"] += 1
        X = torch.as_tensor(X, dtype=torch.float32)
        L = X.shape[-1]
        g = torch.arange(1, L + 1, dtype=torch.float32).expand(X.shape[0], 4, L) * 0.01
        return {
            "attributions": (g * X).numpy(),
            "saliency": g.abs().numpy(),
            "gradient": g.numpy(),
        }

    def temporal(model, X, **kw):
        calls["temporal"] += 1
        L = X.shape[-1]
        f = torch.arange(L, dtype=torch.float32).expand(X.shape[0], L) / L
        return {"forward": f.numpy(), "backward": (1 - f).numpy()}

    def optimize(model, *, length, **kw):
        calls["optimize"] += 1
        pwm = np.full((4, length), 0.1, dtype=np.float32)
        pwm[np.arange(length) % 4, np.arange(length)] = 0.7
        return {"pwm": pwm, "pwm_softmax": pwm, "scores": np.array([0.8, 0.99])}

    fakes = {"saliency": saliency, "temporal": temporal, "optimize": optimize}
    methods = {
        name: dataclasses.replace(get_method(name), compute=fn) for name, fn in fakes.items()
    }
    return methods, calls


def install_fake_explain(monkeypatch, only=("saliency", "temporal", "optimize")):
    """Replace the registry's explanation methods named in ``only`` by :func:`fake_methods` for
    one test; returns a namespace whose ``calls`` counts the calls of each stand-in."""
    from deepmotif.explain import registry

    methods, calls = fake_methods()
    for name in only:
        monkeypatch.setitem(registry._METHODS, name, methods[name])
    return types.SimpleNamespace(calls=calls, methods=methods)
