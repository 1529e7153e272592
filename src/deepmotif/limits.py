"""Memory estimates before large allocations: refuse a request with one line, not a crash.

A request whose arrays would not fit (``inspect --length 100000000``, ``simulate --length
2000000000``, a config with ``filters: 1000000000``) is refused before anything is allocated,
with a message naming the estimate, the limit and how to raise it. The limit is
:data:`FRACTION` of the memory available now (``MemAvailable`` of ``/proc/meminfo``; elsewhere
the physical memory from ``os.sysconf``), or the ``DEEPMOTIF_MAX_MEMORY`` environment variable
(bytes, or with a K/M/G/T suffix: ``DEEPMOTIF_MAX_MEMORY=64G``; ``0`` turns the check off).
"""

from __future__ import annotations

import os

from deepmotif.errors import DeepMotifError

__all__ = ["ENV", "FRACTION", "check_memory", "format_bytes", "memory_limit"]

ENV = "DEEPMOTIF_MAX_MEMORY"
#: The share of the available memory one request may take without DEEPMOTIF_MAX_MEMORY.
FRACTION = 0.8
#: Requests below this many bytes are not checked against the available memory.
SMALL = 64 << 20
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def format_bytes(n: float) -> str:
    """``n`` bytes in the largest unit that keeps it at least 1 (``"23.3 GB"``)."""
    for unit in ("B", "KB", "MB", "GB", "TB", "PB"):
        if abs(n) < 1024 or unit == "PB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} PB"  # pragma: no cover


def _available() -> int | None:
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def memory_limit() -> tuple[int | None, str]:
    """The limit in bytes (None: no limit) and where it comes from, for messages."""
    text = os.environ.get(ENV, "").strip()
    if text:
        unit = text[-1].upper() if text[-1].upper() in _UNITS else ""
        number = text[:-1] if unit else text
        if unit and number.upper().endswith("I"):  # 64Gi
            number = number[:-1]
        try:
            value = float(number) * _UNITS[unit]
        except ValueError:
            raise DeepMotifError(
                f"{ENV}={text!r}: expected a number of bytes, optionally with K, M, G or T"
            ) from None
        if value < 0:
            raise DeepMotifError(f"{ENV}={text!r}: expected a number of at least 0")
        return (None, f"{ENV}=0") if value == 0 else (int(value), f"{ENV}={text}")
    available = _available()
    if available is None:
        return None, "unknown"
    return int(FRACTION * available), f"{FRACTION:.0%} of the memory available now"


def check_memory(nbytes: float, what: str) -> None:
    """Refuse ``what`` when it needs about ``nbytes`` bytes, more than :func:`memory_limit`."""
    if nbytes < SMALL and not os.environ.get(ENV):
        return  # called for every batch: small requests never read /proc/meminfo
    limit, source = memory_limit()
    if limit is None or nbytes <= limit:
        return
    raise DeepMotifError(
        f"{what} needs about {format_bytes(nbytes)} of memory, more than the limit of "
        f"{format_bytes(limit)} ({source}); ask for less, or raise the limit with "
        f"{ENV}=SIZE (e.g. {ENV}=64G)"
    )
