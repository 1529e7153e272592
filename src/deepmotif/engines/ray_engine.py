"""The Ray engine: every job is a Ray task with its own CPUs (and GPUs), on one machine or many.

Without an address a private Ray instance is started on the loopback interface (no dashboard,
no usage statistics, workers' output not forwarded) and shut down by :meth:`RayEngine.stop`.
With ``address`` the engine connects to a running cluster (``ray start --head``) and leaves it
running. In a program that already called ``ray.init``, that instance is used and left as it
is. See ``docs/distributed.md``.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from deepmotif.engines import Engine, TaskResult, call_job, one_line, report_failure
from deepmotif.errors import DeepMotifError

INSTALL = "pip install 'deepmotif[ray]'"
#: Object store of the private local instance (bytes); --ship-data moves files through it.
LOCAL_OBJECT_STORE = 256 * 1024**2


def import_ray():
    """The ``ray`` module, or one clear error naming the install command."""
    try:
        import ray
    except ImportError as exc:
        raise DeepMotifError(f"--engine ray: Ray is not installed; {INSTALL}") from exc
    return ray


@dataclass
class RayEngine(Engine):
    name: str = "ray"
    jobs: int | None = None
    address: str | None = None
    cpus_per_run: int = 1
    gpus_per_run: float = 0
    ship_data: bool = False

    _ray: Any = field(default=None, init=False, repr=False)
    _owns: bool = field(default=False, init=False, repr=False)
    _restore: Any = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.threads = max(1, int(self.cpus_per_run))

    # -- life cycle ---------------------------------------------------------------------------
    def start(self) -> None:
        if self._ray is not None:
            return
        os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
        if not self.address:
            self._restore = _loopback_only()
        try:
            self._start()
        except BaseException:
            self._undo_loopback()
            raise

    def _start(self) -> None:
        if self.address:
            _token_auth_if_configured()  # read by Ray when it is imported
        ray = import_ray()
        if self.address:
            _check_reachable(self.address)
        if ray.is_initialized():  # a program that called ray.init itself: use its instance
            self._ray, self._owns = ray, False
            self._check_resources()
            return
        common = {"log_to_driver": False, "logging_level": "ERROR", "configure_logging": True}
        try:
            if self.address:
                ray.init(address=self.address, **common)
            else:
                cores = os.cpu_count() or 1
                want = (self.jobs or cores) * self.cpus_per_run
                ray.init(
                    address="local",
                    num_cpus=min(cores, want),
                    include_dashboard=False,
                    _node_ip_address="127.0.0.1",
                    object_store_memory=LOCAL_OBJECT_STORE,
                    **common,
                )
        except DeepMotifError:
            raise
        except Exception as exc:
            where = f"--address {self.address}" if self.address else "--engine ray"
            hint = ""
            if self.address and os.environ.get("RAY_AUTH_MODE") != "token":
                hint = (
                    "; a cluster with token authentication needs RAY_AUTH_MODE=token and its "
                    "token in RAY_AUTH_TOKEN or ~/.ray/auth_token"
                )
            raise DeepMotifError(f"{where}: cannot start Ray ({one_line(str(exc))}){hint}") from exc
        self._ray, self._owns = ray, True
        try:
            self._check_resources()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        if self._ray is not None:
            if self._owns:  # a private instance goes with it; a cluster stays up
                self._ray.shutdown()
            self._ray = None
        self._undo_loopback()

    def _undo_loopback(self) -> None:
        if self._restore is not None:
            self._restore()
            self._restore = None

    def _check_resources(self) -> None:
        nodes = [n["Resources"] for n in self._ray.nodes() if n.get("Alive")]
        cpus, gpus = self.cpus_per_run, self.gpus_per_run
        if any(r.get("CPU", 0) >= cpus and r.get("GPU", 0) >= gpus for r in nodes):
            return
        where = f"at {self.address}" if self.address else "on this machine"
        biggest = max(nodes, key=lambda r: (r.get("GPU", 0), r.get("CPU", 0)), default={})
        opt = f"--gpus-per-run {gpus:g}" if gpus else f"--cpus-per-run {cpus}"
        raise DeepMotifError(
            f"{opt}: no node of the Ray cluster {where} has {cpus} CPU(s) and {gpus:g} GPU(s) "
            f"(largest: {biggest.get('CPU', 0):g} CPUs, {biggest.get('GPU', 0):g} GPUs)"
        )

    # -- running ------------------------------------------------------------------------------
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

        self.start()
        ray = self._ray
        task = ray.remote(_task).options(
            num_cpus=self.cpus_per_run,
            num_gpus=self.gpus_per_run,
            max_retries=self.max_retries,
            retry_exceptions=False,
        )
        if self.ship_data:
            from deepmotif.engines import ship

            refs = [task.remote(fn, job, self.threads, ship.pack_inputs(ray, job)) for job in jobs]
        else:
            refs = [task.remote(fn, job, self.threads, None) for job in jobs]
        index = {ref: i for i, ref in enumerate(refs)}
        results: list[TaskResult | None] = [None] * len(jobs)
        pending = list(refs)
        bar = tqdm(total=len(jobs), desc=desc, unit="task", disable=not verbose, position=0)
        try:
            while pending:
                done, pending = ray.wait(pending, num_returns=1)
                for ref in done:
                    i = index[ref]
                    results[i] = self._collect(ray, ref, jobs[i])
                    if not results[i].ok:
                        report_failure(results[i], label(jobs[i]), bar)
                    else:
                        bar.set_postfix_str(label(jobs[i])[-40:])
                    bar.update(1)
        except BaseException:
            for ref in pending:
                ray.cancel(ref, force=False)
            ray.wait(pending, num_returns=len(pending), timeout=10)
            raise
        finally:
            bar.close()
        return results  # type: ignore[return-value]

    def _collect(self, ray, ref, job) -> TaskResult:
        from ray.exceptions import RayError

        try:
            status, value, files = ray.get(ref)
        except RayError as exc:  # the worker died more than max_retries times, or similar
            return TaskResult(job, error=_ray_error(exc), attempts=self.max_retries + 1)
        if files:
            from deepmotif.engines import ship

            ship.write_back(job, files)
        if status == "ok":
            return TaskResult(job, value=value)
        return TaskResult(job, error=value)


def _task(fn, job: dict, threads: int | None, shipped) -> tuple:
    """The Ray task: ``call_job`` on this node (in a private folder with ``--ship-data``)."""
    if shipped is None:
        status, value = call_job(fn, job, threads)
        return status, value, None
    import tempfile

    from deepmotif.engines import ship

    with tempfile.TemporaryDirectory(prefix="deepmotif-ship-") as tmp:
        local = ship.unpack_inputs(job, shipped, tmp)
        status, value = call_job(fn, local, threads)
        return status, value, ship.pack_outputs(local)


def _loopback_only() -> Callable[[], None]:
    """Make a private instance listen on 127.0.0.1 only; returns a function that undoes it.

    Ray binds its services to the machine's network address unless told it is not part of a
    cluster (``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0``, read when Ray is imported, and inherited
    by the processes it starts); then it uses the loopback interface.
    """
    import sys

    name = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"
    env_before = os.environ.get(name)
    os.environ[name] = "0"
    constants = sys.modules.get("ray._private.ray_constants")
    const_before = getattr(constants, "ENABLE_RAY_CLUSTER", None)
    if constants is not None:  # Ray was imported before the variable was set
        constants.ENABLE_RAY_CLUSTER = False

    def undo() -> None:
        if env_before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = env_before
        now = sys.modules.get("ray._private.ray_constants")
        if now is not None:
            default = "false" if sys.platform in ("darwin", "win32") else "true"
            now.ENABLE_RAY_CLUSTER = (
                const_before
                if const_before is not None
                else os.environ.get(name, default).lower() in ("true", "1")
            )

    return undo


def _ray_error(exc) -> str:
    name = type(exc).__name__
    if "WorkerCrashed" in name or "NodeDied" in name or "OutOfMemory" in name:
        return f"its worker process died ({name})"
    if "Cancelled" in name:
        return "cancelled"
    return one_line(f"{name}: {str(exc).splitlines()[0] if str(exc) else ''}")


def _check_reachable(address: str, timeout: float = 5.0) -> None:
    """``host:port``: fail in seconds, with one line, when nothing listens there."""
    if address == "auto" or "://" in address:
        return
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise DeepMotifError(
            f"--address {address}: expected HOST:PORT (e.g. 10.0.0.1:6379) or auto"
        )
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            pass
    except OSError as exc:
        raise DeepMotifError(
            f"--address {address}: no Ray cluster reachable there ({exc.strerror or exc}); "
            "start one with `ray start --head`"
        ) from exc


def _token_auth_if_configured() -> None:
    """Connect with token authentication when the user has a Ray token and said nothing else.

    ``ray start`` (Ray 2.59 onwards) writes ``~/.ray/auth_token`` and then accepts only drivers
    that present it, which Ray's drivers do only under ``RAY_AUTH_MODE=token``. An explicit
    ``RAY_AUTH_MODE`` is left as it is.
    """
    if "RAY_AUTH_MODE" in os.environ:
        return
    token_file = os.environ.get("RAY_AUTH_TOKEN_PATH") or os.path.expanduser("~/.ray/auth_token")
    if os.environ.get("RAY_AUTH_TOKEN") or os.path.isfile(token_file):
        os.environ["RAY_AUTH_MODE"] = "token"
