"""Shared test fixtures: files written in the test, and the real data folder (skips if absent)."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture
def write_file(tmp_path):
    """``write_file(name, text, gz=False, crlf=False) -> Path``: a small input file in tmp_path.

    ``gz=True`` gzips the bytes (whatever the name); ``crlf=True`` writes Windows line ends.
    """

    def _write(name: str, text: str, *, gz: bool = False, crlf: bool = False) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if crlf:
            text = text.replace("\n", "\r\n")
        data = text.encode()
        path.write_bytes(gzip.compress(data) if gz else data)
        return path

    return _write


@pytest.fixture
def shared_data() -> Path:
    """The real data folder ``../shared/data``; the test is skipped when it is absent."""
    if not (SHARED_DATA / "deepbind_encode").is_dir():
        pytest.skip(f"real data folder {SHARED_DATA} is absent")
    return SHARED_DATA


# ------------------------------------------------------------------------------------------
# toy models and tiny data shared by the explain, motifs and training tests


def _random_onehot(n: int, length: int, seed: int = 0, *, n_fraction: float = 0.0, n_at=None):
    import torch
    from torch import nn

    g = torch.Generator().manual_seed(seed)
    idx = torch.randint(0, 4, (n, length), generator=g)
    X = nn.functional.one_hot(idx, 4).permute(0, 2, 1).float().contiguous()
    if n_fraction:
        X[torch.rand(n, 1, length, generator=g).expand(-1, 4, -1) < n_fraction] = 0.0
    if n_at is not None:
        X[0, :, n_at] = 0  # an N in the first sequence
    return X


@pytest.fixture(scope="session")
def random_onehot():
    """``random_onehot(n, length, seed=0, *, n_fraction=0.0, n_at=None) -> Tensor (n, 4, length)``.

    Seeded uniform one-hot sequences; ``n_fraction`` of the columns set to ``N`` (all zero) at
    random, and/or column ``n_at`` of the first sequence.
    """
    return _random_onehot


def _toy_model(arch: str, seed: int = 0, **hp):
    import torch

    from deepmotif.models import build_model

    torch.manual_seed(seed)
    return build_model(arch, **hp).eval()


@pytest.fixture(scope="session")
def toy_model():
    """``toy_model(arch, seed=0, **hp)``: ``build_model(arch, **hp)`` in eval mode, its weights
    drawn after ``torch.manual_seed(seed)`` (so the same call gives the same model)."""
    return _toy_model


def _planted_dataset(
    n: int,
    *,
    length: int,
    seed: int,
    motif: str,
    at: int | None = None,
    prefix: str = "s",
    format: str | None = None,
):
    import numpy as np

    from deepmotif.data.dataset import SequenceDataset

    rng = np.random.default_rng(seed)
    seqs, labels = [], []
    for i in range(n):
        s = list(rng.choice(list("ACGT"), size=length))
        if i % 2 == 0:
            p = at if at is not None else int(rng.integers(0, length - len(motif)))
            s[p : p + len(motif)] = motif
        seqs.append("".join(s))
        labels.append(1 - i % 2)
    extra = {"format": format} if format is not None else {}
    return SequenceDataset([f"{prefix}{i}" for i in range(n)], seqs, np.array(labels), **extra)


@pytest.fixture(scope="session")
def planted_dataset():
    """``planted_dataset(n, *, length, seed, motif, at=None, prefix="s", format=None)``.

    Random sequences, alternately positive (label 1, ``motif`` planted at ``at`` or at a random
    place) and negative; ids ``<prefix><i>``.
    """
    return _planted_dataset


@pytest.fixture(scope="session")
def simulated():
    """``simulated(motifs, n=..., length=..., seed=...)``: :func:`deepmotif.data.simulate.simulate`,
    computed once per set of arguments in the test session (do not modify the result)."""
    from deepmotif.data.simulate import simulate

    cache: dict = {}

    def _sim(motifs, **kwargs):
        key = (
            tuple([motifs] if isinstance(motifs, str) else motifs),
            tuple(sorted(kwargs.items())),
        )
        if key not in cache:
            cache[key] = simulate(motifs, **kwargs)
        return cache[key]

    return _sim


@pytest.fixture(scope="session")
def one_thread():
    """``with one_thread(): ...`` runs torch single-threaded inside the block (reference libraries'
    LSTM backward and many tiny model calls crawl over OpenMP threads on a loaded machine)."""
    import contextlib

    @contextlib.contextmanager
    def _one_thread():
        import torch

        before = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            yield
        finally:
            torch.set_num_threads(before)

    return _one_thread


#: The motif :func:`planted` plants in the positives of the training tests.
TRAINING_MOTIF = "TTGACGTCAA"


@pytest.fixture(scope="session")
def planted(planted_dataset):
    """``planted(n=400, length=40, seed=0)``: random sequences; positives carry
    :data:`TRAINING_MOTIF` at a random place (the training and CLI training tests' data)."""

    def make(n=400, length=40, seed=0):
        return planted_dataset(n, length=length, seed=seed, motif=TRAINING_MOTIF, format="test")

    return make


# ------------------------------------------------------------------------------------------
# one-epoch CNN and RNN runs on a planted motif, for the explanation tests

#: :func:`planted_runs`' data: GGATCC at ``PLANTED_AT .. PLANTED_AT + 6`` of ``PLANTED_LENGTH`` bp
PLANTED_LENGTH, PLANTED_AT = 24, 8


@pytest.fixture(scope="session")
def planted_data(planted_dataset):
    """``planted_data(n, seed)``: :data:`PLANTED_LENGTH` bp, positives carry GGATCC at
    :data:`PLANTED_AT`; ids ``q<seed>_<i>``."""

    def make(n: int, seed: int):
        return planted_dataset(
            n, length=PLANTED_LENGTH, seed=seed, motif="GGATCC", at=PLANTED_AT, prefix=f"q{seed}_"
        )

    return make


@pytest.fixture(scope="session")
def planted_runs(tmp_path_factory, planted_data):
    """``{"cnn": RUN, "rnn": RUN}``: one epoch each (8 filters; 6 units) on ``planted_data``;
    tests write their outputs elsewhere."""
    import warnings

    from deepmotif.training import train

    root = tmp_path_factory.mktemp("planted-runs")
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for arch, hp in (("cnn", {"filters": 8}), ("rnn", {"hidden": 6})):
            train(
                planted_data(80, 1),
                planted_data(20, 2),
                arch=arch,
                out=root / arch,
                model_config=hp,
                config={"epochs": 1},
                verbose=False,
            )
            out[arch] = root / arch
    return out


# ------------------------------------------------------------------------------------------
# a finished tiny run for the command-line reliability tests


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory, simulated):
    """A finished 1-epoch CNN run (4 filters) and the FASTA it was trained on."""
    import json
    import warnings

    from deepmotif.data.simulate import write_simulation
    from deepmotif.training import train

    root = tmp_path_factory.mktemp("reliab")
    sim = simulated(["CTCF"], n=120, length=60, seed=0)
    fasta, _ = write_simulation(sim, root / "sim.fa")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        train(
            sim.dataset,
            None,
            arch="cnn",
            out=root / "run",
            model_config={"filters": 4},
            config={"epochs": 1},
            verbose=False,
        )
    (root / "cfg.json").write_text(json.dumps({"epochs": 1, "model": {"filters": 4}}))
    return {"run": root / "run", "fasta": fasta, "config": root / "cfg.json", "root": root}


@pytest.fixture
def tiny_run_copy(tiny_run, tmp_path):
    """A copy of :func:`tiny_run`'s run directory, free to damage."""
    import shutil

    dst = tmp_path / "run"
    shutil.copytree(tiny_run["run"], dst)
    return dst


# ------------------------------------------------------------------------------------------
# the dashboard tests' runs, app and client (one set per test module; a module may define
# its own, as test_dashboard_audit.py does)


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    """Trained runs for the dashboard tests (tests/test_dashboard_helpers.py)."""
    import tests.test_dashboard_helpers as H

    return H.trained_runs(tmp_path_factory.mktemp("dash"))


@pytest.fixture(scope="module")
def app(bench):
    from deepmotif.dashboard.app import create_app

    return create_app([bench])


@pytest.fixture
def client(app):
    from tests.dash_client import DashClient

    return DashClient(flask_client=app.server.test_client())
