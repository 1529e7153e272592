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
