"""The local engine's process pool: its workers do not outlive a killed parent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"

PARENT = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    from deepmotif.engines.local import LocalEngine

    def job(j):
        Path(j["pid_file"]).write_text(str(os.getpid()))
        time.sleep(120)  # "training" far longer than the test waits

    if __name__ == "__main__":
        LocalEngine(jobs=2).run(job, [{"pid_file": sys.argv[1]}], verbose=False)
    """
)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_pool_workers_end_when_the_parent_is_killed(tmp_path):
    script = tmp_path / "parent.py"
    script.write_text(PARENT)
    pid_file = tmp_path / "worker.pid"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
    }
    parent = subprocess.Popen([sys.executable, str(script), str(pid_file)], env=env, cwd=tmp_path)
    try:
        deadline = time.monotonic() + 120
        while not (pid_file.is_file() and pid_file.read_text()):
            assert parent.poll() is None, "the parent ended before its worker started"
            assert time.monotonic() < deadline, "the worker never started"
            time.sleep(0.1)
        worker = int(pid_file.read_text())
        assert _alive(worker)
        parent.send_signal(signal.SIGKILL)  # no shutdown, no cleanup: the worker is orphaned
        parent.wait()
        deadline = time.monotonic() + 10
        while _alive(worker) and time.monotonic() < deadline:
            time.sleep(0.1)
        alive = _alive(worker)
        if alive:
            os.kill(worker, signal.SIGKILL)
        assert not alive, "the pool worker outlived its killed parent by 10 s"
    finally:
        if parent.poll() is None:
            parent.kill()
