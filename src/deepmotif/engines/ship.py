"""``--ship-data``: a job's files travel through Ray's object store instead of a shared filesystem.

On the driver, every job value naming an existing file (the training and test data) is read and
put in the object store, and so is the job's run folder (``job["out"]``, when it exists). On the
worker both are unpacked into a private temporary folder, the job runs there, and the run
folder's files come back with the result. The driver writes the new or changed files into
``job["out"]`` one at a time, atomically, with the completion markers (``metrics.json``,
``motifs/motifs.json``) last, so a run interrupted mid-copy never looks finished.
"""

from __future__ import annotations

from pathlib import Path

from deepmotif import rundir as runs
from deepmotif.atomic import write_bytes

#: Files that mark a result complete: written back after every other file.
MARKERS = (runs.METRICS, runs.MOTIFS_JSON)


def _folder(path: Path) -> dict[str, bytes]:
    if not path.is_dir():
        return {}
    return {
        p.relative_to(path).as_posix(): p.read_bytes()
        for p in sorted(path.rglob("*"))
        if p.is_file()
    }


def pack_inputs(ray, job: dict) -> dict:
    """Object-store references to the job's input files and run folder (on the driver)."""
    files = {
        key: (Path(value).name, ray.put(Path(value).read_bytes()))
        for key, value in job.items()
        if key != "out" and isinstance(value, str) and value and Path(value).is_file()
    }
    return {"files": files, "out": ray.put(_folder(Path(job["out"])))}


def unpack_inputs(job: dict, shipped: dict, tmp) -> dict:
    """The job with its files and run folder materialised under ``tmp`` (on the worker)."""
    import ray

    local = dict(job)
    for key, (name, ref) in shipped["files"].items():
        path = Path(tmp) / "in" / key / name
        path.parent.mkdir(parents=True)
        path.write_bytes(ray.get(ref))
        local[key] = str(path)
    out = Path(tmp) / "out" / Path(job["out"]).name
    out.mkdir(parents=True)
    for rel, data in ray.get(shipped["out"]).items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_bytes(data)
    local["out"] = str(out)
    return local


def pack_outputs(local: dict) -> dict[str, bytes]:
    """Every file of the job's run folder after it ran (on the worker)."""
    return _folder(Path(local["out"]))


def write_back(job: dict, files: dict[str, bytes]) -> None:
    """Bring ``job["out"]`` in line with the worker's copy: markers last, then removals."""
    out = Path(job["out"])
    before = _folder(out)
    order = sorted(files, key=lambda rel: (Path(rel).name in MARKERS, rel))
    for rel in order:
        if before.get(rel) != files[rel]:
            (out / rel).parent.mkdir(parents=True, exist_ok=True)
            write_bytes(out / rel, files[rel])
    for rel in set(before) - set(files):  # e.g. the checkpoint, removed when training finished
        (out / rel).unlink(missing_ok=True)
