"""A file of the index generation, read once per process and again only when it is replaced."""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Callable, Generic, TypeVar

T = TypeVar("T")


class FileCache(Generic[T]):
    """Keyed by the file's inode, modification time and size: a writer swaps a new file in with
    os.replace, so a changed key means a complete new file, never a half-written one."""

    def __init__(self, read: Callable[[Path], T | None]):
        self._read = read
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[tuple, T | None]] = {}

    def get(self, path: Path) -> T | None:
        try:
            stat = path.stat()
        except FileNotFoundError:
            return None
        key = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        entry = self._entries.get(str(path))
        if entry is not None and entry[0] == key:
            return entry[1]
        value = self._read(path)
        with self._lock:
            # One entry per file name and index directory: an older generation's file is let go.
            self._entries = {p: e for p, e in self._entries.items() if Path(p).name != path.name
                             or Path(p).parent.parent != path.parent.parent}
            self._entries[str(path)] = (key, value)
        return value
