"""Streaming ``.npz`` results: arrays appended chunk by chunk, zipped and renamed when complete.

Large explanations (thousands of sequences x 4 x L) are never held in memory whole: each array
is written row block by row block to an ``.npy`` file in a temporary folder beside the target,
then the folder is zipped into the target through :func:`deepmotif.atomic.atomic_path`, so a
killed command leaves the old file or none. The temporary folder is removed when the stream
finishes or fails; one left by a killed process is removed by the next stream to the same
target (:func:`deepmotif.atomic.clean_stale`).
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import numpy as np

from deepmotif.atomic import atomic_path, clean_stale, kill_point, temp_sibling_dir

__all__ = ["NpzStream"]


class NpzStream:
    """Arrays appended chunk by chunk to ``.npy`` files in a temporary folder, then zipped.

    Use ``open(key, shape, dtype)`` then ``append(key, chunk)`` for streamed arrays,
    ``put(key, array)`` for small ones, and ``finish()`` (or ``close()`` to abandon).
    """

    def __init__(self, out: Path):
        self.out = Path(out)
        clean_stale(self.out)
        self.tmpdir = temp_sibling_dir(self.out)
        self.files: dict[str, object] = {}
        self.shapes: dict[str, tuple] = {}
        self.done: dict[str, int] = {}

    def open(self, key: str, shape: tuple, dtype) -> None:
        fh = open(self.tmpdir / f"{key}.npy", "wb")
        np.lib.format.write_array_header_2_0(
            fh,
            {
                "descr": np.lib.format.dtype_to_descr(np.dtype(dtype)),
                "fortran_order": False,
                "shape": tuple(shape),
            },
        )
        self.files[key] = fh
        self.shapes[key] = (tuple(shape), np.dtype(dtype))
        self.done[key] = 0

    def append(self, key: str, chunk: np.ndarray) -> None:
        shape, dtype = self.shapes[key]
        chunk = np.ascontiguousarray(chunk, dtype=dtype)
        if chunk.shape[1:] != shape[1:]:
            raise ValueError(f"{key}: chunk shape {chunk.shape} does not fit {shape}")
        self.files[key].write(chunk.tobytes())
        self.done[key] += chunk.shape[0]
        kill_point("npz:append")

    def put(self, key: str, array) -> None:
        array = np.asarray(array)
        with open(self.tmpdir / f"{key}.npy", "wb") as fh:
            np.lib.format.write_array(fh, array, allow_pickle=False)

    def finish(self) -> None:
        try:
            for key, fh in self.files.items():
                fh.close()
                if self.done[key] != self.shapes[key][0][0]:
                    raise RuntimeError(
                        f"{key}: wrote {self.done[key]} rows of {self.shapes[key][0][0]}"
                    )
            with atomic_path(self.out) as tmp:
                with zipfile.ZipFile(
                    tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1, allowZip64=True
                ) as zf:
                    for path in sorted(self.tmpdir.glob("*.npy")):
                        zf.write(path, arcname=path.name)
        finally:
            self.close()

    def close(self) -> None:
        for fh in self.files.values():
            if not fh.closed:
                fh.close()
        shutil.rmtree(self.tmpdir, ignore_errors=True)
