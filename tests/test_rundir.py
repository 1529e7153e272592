"""The run-directory room: one layout, one atomic write, one file mode for every run file."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from deepmotif import rundir
from deepmotif.atomic import atomic_path, file_mode, write_json
from deepmotif.rundir.npz import NpzStream


@pytest.fixture(scope="module")
def explained_run(tmp_path_factory, tiny_run):
    """conftest's tiny trained run (copied with its files' modes), explained with saliency."""
    import shutil

    from deepmotif.explain.run import explain_run

    root = tmp_path_factory.mktemp("rundir")
    shutil.copytree(tiny_run["run"], root / "run")
    run = root / "run"
    (run / rundir.EXPLAIN_DIR).mkdir()
    explain_run(
        run,
        rundir.read_run_data(run),
        method="saliency",
        out=rundir.explain_file(run, "saliency"),
        figures=run / rundir.EXPLAIN_FIGURES,
        select=[0, 1],
        verbose=False,
    )
    return run


def test_every_run_file_has_the_ordinary_mode(explained_run):
    files = [p for p in explained_run.rglob("*") if p.is_file()]
    names = {p.name for p in files}
    assert {rundir.WEIGHTS, rundir.CONFIG, rundir.METRICS, "saliency.npz"} <= names
    modes = {p.relative_to(explained_run).as_posix(): stat.S_IMODE(p.stat().st_mode) for p in files}
    assert set(modes.values()) == {file_mode()}, modes


def test_no_temporary_litter(explained_run):
    hidden = [p for p in explained_run.rglob(".*")]
    assert hidden == []


def test_layout_helpers(tmp_path):
    assert rundir.explain_file(tmp_path, "ism") == tmp_path / "explain" / "ism.npz"
    assert rundir.motif_file(tmp_path, rundir.MOTIFS_JSON) == tmp_path / "motifs" / "motifs.json"
    assert rundir.MOTIF_FILES[-1] == rundir.MOTIFS_JSON  # the completion marker is last


def test_atomic_path_leaves_the_old_file_on_failure(tmp_path):
    target = tmp_path / "x.json"
    write_json(target, {"a": 1})
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("interrupted")
    assert target.read_text().strip().startswith("{") and '"a": 1' in target.read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.json"]
    write_json(target, {"nan": float("nan"), "x": np.float32(1.5), "p": Path("a/b")})
    assert '"nan": null' in target.read_text() and '"x": 1.5' in target.read_text()


def test_npz_stream_round_trip_and_abandon(tmp_path):
    out = tmp_path / "a.npz"
    s = NpzStream(out)
    s.open("x", (5, 2), np.float32)
    s.append("x", np.ones((3, 2)))
    s.append("x", np.zeros((2, 2)))
    s.put("ids", np.array(["a", "b"]))
    s.finish()
    with np.load(out) as z:
        np.testing.assert_array_equal(z["x"], np.r_[np.ones((3, 2)), np.zeros((2, 2))])
        assert list(z["ids"]) == ["a", "b"]
    assert stat.S_IMODE(out.stat().st_mode) == file_mode()
    s = NpzStream(tmp_path / "b.npz")
    s.open("x", (5, 2), np.float32)
    s.append("x", np.ones((3, 2)))
    with pytest.raises(RuntimeError, match="wrote 3 rows of 5"):
        s.finish()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.npz"]


def test_rooms_below_training_do_not_import_it():
    """plots, explain, motifs, dashboard, rundir, evaluation and data never import training."""
    src = Path(__file__).resolve().parents[1] / "src" / "deepmotif"
    offenders = []
    for room in ("plots", "explain", "motifs", "dashboard", "rundir", "evaluation", "data"):
        for path in (src / room).rglob("*.py"):
            for n, line in enumerate(path.read_text().splitlines(), 1):
                code = line.split("#")[0]
                if "import" in code and "deepmotif.training" in code:
                    offenders.append(f"{path.relative_to(src)}:{n}")
                if "from deepmotif import training" in code:
                    offenders.append(f"{path.relative_to(src)}:{n}")
    assert offenders == []


def test_no_module_over_600_lines():
    src = Path(__file__).resolve().parents[1] / "src" / "deepmotif"
    long = {
        str(p.relative_to(src)): n
        for p in src.rglob("*.py")
        if (n := len(p.read_text().splitlines())) > 600
    }
    assert long == {}


def test_one_atomic_write_implementation():
    src = Path(__file__).resolve().parents[1] / "src" / "deepmotif"
    users = sorted(
        str(p.relative_to(src))
        for p in src.rglob("*.py")
        if "mkstemp" in p.read_text() or "os.replace" in p.read_text()
    )
    assert users == ["atomic.py"]


def _fresh_python_prints(code: str) -> str:
    """What ``code`` prints, run in a fresh interpreter (imports not shared with the tests)."""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_importing_archs_does_not_load_torch():
    code = "import sys, deepmotif.archs; print('torch' in sys.modules)"
    assert _fresh_python_prints(code) == "False"


def test_cli_help_does_not_load_torch():
    """``deepmotif --help`` and every command's ``--help`` answer without importing torch."""
    code = (
        "import sys, contextlib, io\n"
        "from deepmotif.cli import main\n"
        "for cmd in ([], ['explain'], ['audit'], ['train'], ['dependencies']):\n"
        "    with contextlib.redirect_stdout(io.StringIO()):\n"
        "        assert main([*cmd, '--help']) == 0\n"
        "print('torch' in sys.modules)"
    )
    assert _fresh_python_prints(code) == "False"


def test_exported_functions_survive_their_submodules_import():
    """``deepmotif.explain.saliency`` is a function even after the module of that name is
    imported (the lazy package keeps its exports; the quickstart's panel relies on it)."""
    code = (
        "import deepmotif.explain.saliency, deepmotif.explain.ism, deepmotif.motifs.run\n"
        "from deepmotif.explain import saliency, ism, integrated_gradients\n"
        "import deepmotif.explain.integrated_gradients\n"
        "import deepmotif.explain as e, deepmotif.motifs as m\n"
        "print(all(callable(f) and not hasattr(f, '__path__') for f in "
        "(saliency, ism, integrated_gradients, e.integrated_gradients, m.run_motifs)))"
    )
    assert _fresh_python_prints(code) == "True"


#: The layers of README's "How the code is laid out": a room imports only its layer or below.
LAYERS = {
    "errors": 0, "atomic": 0, "archs": 0, "_device": 0, "limits": 0, "__init__": 0, "_lazy": 0,
    "data": 1, "jaspar": 1, "models": 1, "motifs.pwm": 1, "motifs.align": 1,
    "rundir": 2, "evaluation": 2, "plots": 2,
    "training": 3, "explain": 3,
    "motifs": 4, "dependencies": 4, "audit": 4,
    "dashboard": 5,
    "benchmark": 6, "benchmark_stats": 6, "quickstart": 6, "engines": 6,
    "cli": 7,
}  # fmt: skip


def _room(dotted: str) -> str:
    parts = dotted.split(".")
    two = ".".join(parts[:2])
    return two if two in LAYERS else parts[0]


def test_rooms_import_only_their_layer_or_below():
    import re

    src = Path(__file__).resolve().parents[1] / "src" / "deepmotif"
    wrong = []
    for path in src.rglob("*.py"):
        rel = path.relative_to(src).with_suffix("")
        own = _room(".".join(rel.parts))
        if own == "__init__" and len(rel.parts) == 1:
            continue  # the package's lazy public API
        for n, line in enumerate(path.read_text().splitlines(), 1):
            m = re.match(r"\s*(?:from|import) deepmotif\.([\w.]+)", line) or re.match(
                r"\s*from deepmotif import (\w+)", line
            )
            if m and m.group(1) != "__version__":
                other = _room(m.group(1))
                if LAYERS[other] > LAYERS[own]:
                    wrong.append(f"{rel}:{n} ({own}, layer {LAYERS[own]}) imports {m.group(1)}")
    assert wrong == []
