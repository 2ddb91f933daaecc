"""The in-memory side of preparations: what this process used last for try-ons (prepared sides and
decoded photos), least recently used first out, so back-to-back jobs on one photo or garment read
nothing twice."""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np
from django.conf import settings

from tryon.pipeline.contract import PreparedSide


class SideCache:
    """What this process used last for try-ons, by file name: prepared sides and decoded photos, up to
    `settings.TRYON_SIDE_CACHE_BYTES` in all; the least recently used go first. Safe across threads.
    Engines only read their inputs, so one cached entry serves every job that uses it."""

    def __init__(self) -> None:
        self._entries: OrderedDict[str, tuple[PreparedSide | np.ndarray, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, file_name: str) -> PreparedSide | np.ndarray | None:
        with self._lock:
            entry = self._entries.get(file_name)
            if entry is None:
                return None
            self._entries.move_to_end(file_name)
            return entry[0]

    def put(self, file_name: str, value: PreparedSide | np.ndarray) -> None:
        arrays = [value] if isinstance(value, np.ndarray) else value.arrays.values()
        size = sum(array.nbytes for array in arrays)
        limit = settings.TRYON_SIDE_CACHE_BYTES
        with self._lock:
            self._drop(file_name)
            if size > limit:
                return
            self._entries[file_name] = (value, size)
            self._bytes += size
            while self._bytes > limit:
                self._drop(next(iter(self._entries)))

    def forget(self, *file_names: str) -> None:
        with self._lock:
            for file_name in file_names:
                self._drop(file_name)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def _drop(self, file_name: str) -> None:
        entry = self._entries.pop(file_name, None)
        if entry is not None:
            self._bytes -= entry[1]


side_cache = SideCache()
