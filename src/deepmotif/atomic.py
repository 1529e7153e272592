"""Writing files so that a crash never leaves one half-written: the package's one atomic write.

Every file the package writes (run files, results, figures, simulated data) goes through
:func:`atomic_path`: it is written under a temporary name beside its target and renamed into
place only when complete, with the mode an ordinary ``open()`` would have given it (0666 less
the umask).

A result made of several files is written as a unit:

* :func:`atomic_dir` -- a folder the command owns (``motifs --out DIR``, ``evaluate --out DIR``,
  ``dependencies --out DIR``): everything is written into a temporary sibling folder, which
  then takes the target's place (an old result is renamed aside first and removed after);
* :func:`atomic_files` -- several files beside others (a FASTA and its sites table): each is
  written under a temporary name and all are renamed into place once every one is complete,
  the last one (the completion marker) last;
* :func:`atomic_group` -- files added to a shared folder (explanation figures): drawn into a
  temporary sibling folder, then moved in.

Temporary names carry the writer's process id (``.NAME.<pid>.<random>.tmp|new|old``). A
command killed mid-write (SIGKILL, power loss) leaves such a name behind; the next write to
the same target removes it when its process is gone, and puts an old result renamed aside back
in place when the new one never arrived (:func:`clean_stale`). An interrupted command thus
leaves the old complete result or nothing, and no litter once the command runs again.

This module imports nothing from the package: every room may use it.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

__all__ = [
    "atomic_dir",
    "atomic_files",
    "atomic_group",
    "atomic_path",
    "clean_stale",
    "dir_mode",
    "file_mode",
    "foreign_entries",
    "jsonable",
    "kill_point",
    "target_name",
    "temp_sibling_dir",
    "write_bytes",
    "write_json",
]

#: Environment variable naming a step at which a test kills the writer (see :func:`kill_point`).
KILL_HOOK = "DEEPMOTIF_TEST_KILL_AT"


def file_mode() -> int:
    """The mode a newly created file gets here: 0666 less the process umask."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def dir_mode() -> int:
    """The mode a newly created folder gets here: 0777 less the process umask."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o777 & ~mask


def kill_point(step: str) -> None:
    """Test seam: ``DEEPMOTIF_TEST_KILL_AT=step`` makes the process SIGKILL itself at ``step``.

    The reliability tests use it to stop a real command at a known point of a write, as a
    kill or a power cut would; unset (always, outside those tests) it does nothing.
    """
    if os.environ.get(KILL_HOOK) == step:
        import signal

        os.kill(os.getpid(), signal.SIGKILL)


def _temp_prefix(path: Path) -> str:
    return f".{path.name}.{os.getpid()}."


def _stale_pattern(path: Path) -> re.Pattern:
    return re.compile(rf"^\.{re.escape(path.name)}\.(\d+)\.[A-Za-z0-9_]+\.(tmp|new|old)$")


def target_name(name) -> str:
    """The target a temporary name of this module stands for (``.x.json.12.ab.tmp`` -> ``x.json``).

    Error messages name the file the user asked for, not the temporary one that failed.
    """
    pattern = re.compile(r"^\.(.+)\.\d+\.[A-Za-z0-9_]+\.(tmp|new|old)$")
    parts = [(m.group(1) if (m := pattern.match(p)) else p) for p in Path(os.fsdecode(name)).parts]
    return str(Path(*parts)) if parts else os.fsdecode(name)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def clean_stale(path: str | os.PathLike) -> list[Path]:
    """Remove what killed writers of ``path`` left beside it; returns the names removed.

    Only temporaries of processes that no longer run are touched. An old result renamed aside
    by a replacement that was killed before the new result took its place is put back.
    """
    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        return []
    pattern = _stale_pattern(path)
    removed = []
    try:
        entries = sorted(parent.iterdir())
    except OSError:
        return []
    for entry in entries:
        m = pattern.match(entry.name)
        if not m or _alive(int(m.group(1))):
            continue
        if m.group(2) == "old" and not os.path.lexists(path):
            os.rename(entry, path)  # the new result never arrived: the old one is the result
            continue
        _remove(entry)
        removed.append(entry)
    return removed


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it is renamed to ``path``.

    On any exception (or interrupt) the temporary file is removed and ``path`` is left as it
    was. The file gets :func:`file_mode` (``mkstemp`` alone would give 0600).
    """
    path = Path(path)
    clean_stale(path)
    fd, tmp = tempfile.mkstemp(prefix=_temp_prefix(path), suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        # set the mode last: some writers (safetensors) replace the file we made with their own
        os.chmod(tmp, file_mode())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


@contextmanager
def atomic_files(paths: Sequence[str | os.PathLike]) -> Iterator[list[Path]]:
    """Yield one temporary path per target; on success all are renamed into place, in order.

    Give the completion marker (the file readers look for first) last. On failure every
    temporary file is removed and the targets are left as they were.
    """
    targets = [Path(p) for p in paths]
    tmps: list[Path] = []
    try:
        for target in targets:
            clean_stale(target)
            fd, tmp = tempfile.mkstemp(
                prefix=_temp_prefix(target), suffix=".tmp", dir=target.parent
            )
            os.close(fd)
            tmps.append(Path(tmp))
        yield list(tmps)
        for tmp in tmps:
            os.chmod(tmp, file_mode())
        kill_point("atomic_files:written")
        for tmp, target in zip(tmps, targets):  # back to back: the only window is here
            os.replace(tmp, target)
    except BaseException:
        for tmp in tmps:
            if os.path.exists(tmp):
                os.unlink(tmp)
        raise


def foreign_entries(path: str | os.PathLike, owned: Callable[[str], bool]) -> list[str]:
    """Names in the folder ``path`` that ``owned`` does not claim (``[]`` when absent)."""
    path = Path(path)
    if not path.is_dir():
        return []
    pattern = re.compile(r"^\..+\.\d+\.[A-Za-z0-9_]+\.(tmp|new|old)$")
    return sorted(e.name for e in path.iterdir() if not owned(e.name) and not pattern.match(e.name))


def temp_sibling_dir(path: str | os.PathLike, suffix: str = ".new") -> Path:
    """A new empty folder beside ``path`` with a temporary name :func:`clean_stale` knows."""
    path = Path(path)
    tmp = Path(tempfile.mkdtemp(prefix=_temp_prefix(path), suffix=suffix, dir=path.parent))
    os.chmod(tmp, dir_mode())
    return tmp


@contextmanager
def atomic_dir(path: str | os.PathLike, *, marker: str | None = None) -> Iterator[Path]:
    """Yield a temporary sibling folder; on success it becomes ``path``, as a unit.

    Write every file of the result into the yielded folder, ``marker`` (the file that says the
    result is complete) last. On success an existing ``path`` is renamed aside, the new folder
    renamed into its place, and the old one removed; on failure the temporary folder is
    removed and ``path`` is left as it was. Callers decide beforehand whether ``path`` may be
    replaced (``--force``; :func:`foreign_entries` finds files that are not theirs).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    clean_stale(path)
    tmp = temp_sibling_dir(path, ".new")
    old = None
    try:
        yield tmp
        if marker is not None and not (tmp / marker).is_file():
            raise RuntimeError(f"{path}: the result is incomplete (no {marker})")
        kill_point("atomic_dir:commit")
        if os.path.lexists(path):
            old = path.parent / f"{_temp_prefix(path)}{secrets.token_hex(4)}.old"
            os.rename(path, old)
            kill_point("atomic_dir:swap")
        os.rename(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None and old.exists() and not os.path.lexists(path):
            os.rename(old, path)
        raise
    if old is not None:
        _remove(old)


@contextmanager
def atomic_group(folder: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary sibling of ``folder``; on success its files are moved into ``folder``.

    For files added to a folder that holds others (figures beside earlier figures): nothing
    appears in ``folder`` until every file is drawn, and a failure leaves it as it was.
    """
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    clean_stale(folder)
    tmp = temp_sibling_dir(folder, ".new")
    try:
        yield tmp
        folder.mkdir(exist_ok=True)
        for entry in sorted(tmp.iterdir()):
            os.replace(entry, folder / entry.name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def jsonable(obj):
    """``obj`` with numpy scalars, paths and non-finite floats made JSON-safe (NaN -> None)."""
    import math

    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [jsonable(v) for v in obj]
    if hasattr(obj, "item") and callable(obj.item) and getattr(obj, "shape", None) == ():
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, Path):
        return str(obj)
    return obj


def write_json(path: str | os.PathLike, data) -> None:
    """Write ``data`` as indented JSON, atomically (NaN becomes null)."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(jsonable(data), indent=2, allow_nan=False) + "\n")
