"""The store's caches: a bounded, thread-safe mapping that computes each missing value once,
and the stamp that keys a file's parsed content until the file changes."""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

__all__ = ["LRU", "stamp"]


class LRU:
    """A bounded, thread-safe mapping that computes missing values once per key."""

    def __init__(self, size: int):
        self.size = size
        self._data: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self._key_locks: dict = {}

    def get(self, key, compute):
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                return self._data[key]
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:  # one computation per key; others wait for it
            with self._lock:
                if key in self._data:
                    return self._data[key]
            value = compute()
            with self._lock:
                self._data[key] = value
                self._data.move_to_end(key)
                while len(self._data) > self.size:
                    self._data.popitem(last=False)
                self._key_locks.pop(key, None)
            return value

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


def stamp(path: Path) -> tuple:
    """``(path, modification time, size)``: a cache key that changes when the file does."""
    st = path.stat()
    return (str(path), st.st_mtime_ns, st.st_size)
