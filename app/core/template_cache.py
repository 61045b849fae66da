"""Compiled templates shared by every app in a process.

Jinja compiles each template once per environment, and every app has its own environment: a
process that creates many apps (the test suite makes one per test) would compile the same
templates thousands of times. Jinja's bytecode cache keys each entry by the template's name and a
checksum of its source, so sharing it between apps can never serve stale code.
"""
from __future__ import annotations

import threading

from jinja2 import BytecodeCache


class SharedMemoryBytecodeCache(BytecodeCache):
    """Jinja bytecode kept in this process's memory (a few hundred kilobytes for all templates)."""

    def __init__(self):
        self._entries: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def load_bytecode(self, bucket) -> None:
        code = self._entries.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket) -> None:
        code = bucket.bytecode_to_string()
        with self._lock:
            self._entries[bucket.key] = code

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


SHARED_BYTECODE_CACHE = SharedMemoryBytecodeCache()
