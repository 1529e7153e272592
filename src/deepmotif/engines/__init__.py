"""Engines that run many independent jobs: a local process pool or a Ray cluster.

The benchmark builds one list of jobs (plain dicts) and hands it, with a function, to an
engine; the engine decides where each call runs and returns one :class:`TaskResult` per job,
in job order. Swapping ``--engine local`` for ``--engine ray`` changes where the work happens,
never what is written.

Every engine follows the same rules:

* one progress bar over all jobs; a job that fails is printed as one line
  (``deepmotif: warning: LABEL: failed (...)``) and reported in its result, and the other jobs
  go on;
* a worker process that dies is replaced and its job run again, at most ``max_retries`` times;
* Ctrl+C cancels the jobs not yet finished and re-raises :class:`KeyboardInterrupt`; jobs that
  finished keep their results.

Use an engine as a context manager (``with make_engine("ray") as eng: eng.run(fn, jobs)``), or
call :meth:`Engine.start` early to validate it (Ray installed, cluster reachable, resources
present) before anything is written, and :meth:`Engine.stop` at the end.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from deepmotif.errors import DeepMotifError

ENGINES = ("local", "ray")

#: How often a job whose worker process died is started again.
MAX_RETRIES = 2


@dataclass
class TaskResult:
    """What became of one job: its return value, or a one-line error."""

    job: dict
    value: Any = None
    error: str | None = None
    attempts: int = 1

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class Engine:
    """Base class: runs ``fn(job)`` for every job; subclasses say where.

    Attributes
    ----------
    in_process : bool
        True when jobs run in this process, one at a time (they may show their own progress).
    threads : int or None
        Intra-op threads each job should use (None: leave the job's own setting).
    """

    name: str = "base"
    max_retries: int = MAX_RETRIES
    in_process: bool = field(default=False, init=False)
    threads: int | None = field(default=None, init=False)

    def start(self) -> None:
        """Validate and start the engine (idempotent)."""

    def stop(self) -> None:
        """Release every process the engine started (idempotent)."""

    def run(
        self,
        fn: Callable[[dict], Any],
        jobs: list[dict],
        *,
        desc: str = "jobs",
        label: Callable[[dict], str] = str,
        verbose: bool = True,
    ) -> list[TaskResult]:
        """Run ``fn(job)`` for every job; one :class:`TaskResult` per job, in job order.

        ``fn`` must be importable by name (a module-level function) so worker processes find it.
        """
        raise NotImplementedError

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def make_engine(
    name: str = "local",
    *,
    jobs: int = 1,
    address: str | None = None,
    cpus_per_run: int | None = None,
    gpus_per_run: float = 0,
    ship_data: bool = False,
    max_retries: int = MAX_RETRIES,
) -> Engine:
    """An engine by name (nothing is started yet; see :meth:`Engine.start`).

    Parameters
    ----------
    name : {"local", "ray"}
    jobs : int
        ``local``: jobs run at once (1: in this process). ``ray`` without ``address``: the local
        Ray instance gets ``jobs * cpus_per_run`` CPUs (default: all cores).
    address : str, optional
        ``ray``: the address of a running cluster (``host:port`` of ``ray start --head``, or
        ``auto``). Without it a local instance is started on the loopback interface.
    cpus_per_run, gpus_per_run : number
        ``ray``: resources each job asks for (default 1 CPU, no GPU). Jobs use as many threads
        as CPUs.
    ship_data : bool
        ``ray``: send each job's input files and run folder through Ray's object store instead of
        reading them by path (for nodes that do not share a filesystem with this one).
    max_retries : int
        Times a job whose worker process died is run again.
    """
    if name == "local":
        from deepmotif.engines.local import LocalEngine

        for opt, value in (
            ("--address", address),
            ("--cpus-per-run", cpus_per_run),
            ("--gpus-per-run", gpus_per_run or None),
            ("--ship-data", ship_data or None),
        ):
            if value is not None:
                raise DeepMotifError(f"{opt}: only with --engine ray")
        return LocalEngine(jobs=jobs, max_retries=max_retries)
    if name == "ray":
        from deepmotif.engines.ray_engine import RayEngine

        return RayEngine(
            jobs=jobs,
            address=address,
            cpus_per_run=cpus_per_run or 1,
            gpus_per_run=gpus_per_run or 0,
            ship_data=ship_data,
            max_retries=max_retries,
        )
    raise DeepMotifError(f"--engine: unknown engine {name!r} (expected {', '.join(ENGINES)})")


def call_job(fn: Callable[[dict], Any], job: dict, threads: int | None = None) -> tuple:
    """Run ``fn(job)`` in a worker: ``("ok", value)`` or ``("error", one-line message)``.

    An ordinary exception becomes the job's error (the other jobs go on); an interrupt or the
    death of the process is left to the engine.
    """
    if threads:
        import torch

        torch.set_num_threads(threads)
    try:
        return "ok", fn(job)
    except DeepMotifError as exc:
        return "error", one_line(str(exc))
    except Exception as exc:  # any bug in one job must not sink the others
        return "error", one_line(f"{type(exc).__name__}: {exc}")


def one_line(text: str) -> str:
    """``text`` on one line (a message printed per failed job)."""
    return " ".join(str(text).split()) or "failed"


def report_failure(result: TaskResult, label: str, bar=None) -> None:
    """Print a failed job as one warning line."""
    import warnings

    from deepmotif.errors import DeepMotifWarning

    if bar is not None:
        bar.clear()
    warnings.warn(f"{label}: failed ({result.error})", DeepMotifWarning, stacklevel=3)
    if bar is not None:
        bar.refresh()


__all__ = ["ENGINES", "MAX_RETRIES", "Engine", "TaskResult", "call_job", "make_engine"]
