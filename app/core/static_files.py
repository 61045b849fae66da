"""Static file URLs with a content hash (`/static/css/helpcenter.css?v=3f9a…`).

nginx serves app/static/ with a one-year cache (deploy/nginx/helpcenter.conf): a deploy that changes a file
changes its URL, so no browser keeps yesterday's CSS or JavaScript.
"""
from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from flask import Flask, current_app


@functools.lru_cache(maxsize=256)
def _content_hash(path: str, mtime_ns: int) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def _add_version(endpoint: str, values: dict) -> None:
    if endpoint != "static" or "v" in values or "filename" not in values:
        return
    path = Path(current_app.static_folder, values["filename"])
    try:
        values["v"] = _content_hash(str(path), path.stat().st_mtime_ns)
    except OSError:
        pass  # a missing file keeps its plain URL (and answers 404 as before)


def version_static_urls(app: Flask) -> None:
    app.url_defaults(_add_version)
