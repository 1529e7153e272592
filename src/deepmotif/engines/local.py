"""The local engine: jobs one at a time in this process, or in a pool of worker processes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from deepmotif.engines import Engine, TaskResult, call_job, report_failure


@dataclass
class LocalEngine(Engine):
    """``jobs == 1``: in this process, in order; otherwise a pool of ``jobs`` spawned processes,
    each with ``cpu_count // jobs`` torch threads.

    A job that raises is reported and the others go on. When a pool worker dies (killed, out of
    memory), the pool is rebuilt and every job it had not finished is submitted again, each at
    most ``max_retries`` times. When this process dies without shutting the pool down (killed,
    e.g. ``kill -9`` or a terminal closed), its workers end within about a second instead of
    training on unseen, writing into folders a new run may be using.
    """

    name: str = "local"
    jobs: int = 1

    in_process: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        import os

        self.in_process = self.jobs <= 1
        if not self.in_process:  # the cores shared out between the pool's processes
            self.threads = max(1, (os.cpu_count() or 1) // self.jobs)

    def run(
        self,
        fn: Callable[[dict], Any],
        jobs: list[dict],
        *,
        desc: str = "jobs",
        label: Callable[[dict], str] = str,
        verbose: bool = True,
    ) -> list[TaskResult]:
        from tqdm.auto import tqdm

        results: list[TaskResult | None] = [None] * len(jobs)
        bar = tqdm(total=len(jobs), desc=desc, unit="job", disable=not verbose, position=0)
        try:
            if self.in_process:
                for i, job in enumerate(jobs):
                    bar.set_postfix_str(label(job)[-40:])
                    results[i] = _finish(job, call_job(fn, job), 1, label, bar)
            else:
                self._pool(fn, jobs, results, label, bar)
        finally:
            bar.close()
        return results  # type: ignore[return-value]

    def _pool(self, fn, jobs, results, label, bar) -> None:
        import multiprocessing as mp
        import os
        from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
        from concurrent.futures.process import BrokenProcessPool

        attempts = [0] * len(jobs)
        todo = list(range(len(jobs)))
        while todo:
            pool = ProcessPoolExecutor(
                max_workers=min(self.jobs, len(todo)),
                mp_context=mp.get_context("spawn"),
                initializer=exit_with_parent,
                initargs=(os.getpid(),),
            )
            try:
                futures = {}
                for i in todo:
                    attempts[i] += 1
                    futures[pool.submit(call_job, fn, jobs[i], self.threads)] = i
                broken: list[int] = []
                pending = set(futures)
                while pending:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for fut in done:
                        i = futures[fut]
                        try:
                            outcome = fut.result()
                        except BrokenProcessPool:
                            broken.append(i)
                            continue
                        results[i] = _finish(jobs[i], outcome, attempts[i], label, bar)
            except BaseException:
                pool.shutdown(wait=False, cancel_futures=True)
                raise
            pool.shutdown(wait=True)
            todo = []
            for i in sorted(broken):
                if attempts[i] > self.max_retries:
                    died = ("error", f"its worker process died {attempts[i]} times")
                    results[i] = _finish(jobs[i], died, attempts[i], label, bar)
                else:
                    todo.append(i)


def exit_with_parent(parent: int, interval: float = 0.5) -> None:
    """Pool-worker initializer: end this worker as soon as ``parent`` (the process whose pool
    it serves) is gone, i.e. this worker has been handed to another parent."""
    import os
    import threading
    import time

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        os._exit(1)

    threading.Thread(target=watch, name="deepmotif-exit-with-parent", daemon=True).start()


def _finish(job, outcome, attempts, label, bar) -> TaskResult:
    status, value = outcome
    if status == "ok":
        res = TaskResult(job, value=value, attempts=attempts)
    else:
        res = TaskResult(job, error=value, attempts=attempts)
        report_failure(res, label(job), bar)
    bar.update(1)
    return res
