"""Customer uploads: type checked by content, size-limited, stored outside the web root."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

MAX_FILES = 3
MAX_BYTES = 5 * 1024 * 1024
_SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"%PDF-", "application/pdf", ".pdf"),
)


class UploadRejected(ValueError):
    """The message says which file and why."""


@dataclass(frozen=True)
class CheckedUpload:
    filename: str
    content_type: str
    data: bytes
    sha256: str
    suffix: str


def attachment_dir(folder: str = "attachments") -> Path:
    path = Path(current_app.instance_path) / folder
    path.mkdir(parents=True, exist_ok=True)
    return path


def check_uploads(files) -> list[CheckedUpload]:
    """Validate uploaded files (werkzeug FileStorage) by their bytes, not by their names."""
    files = [f for f in files if f and f.filename]
    if len(files) > MAX_FILES:
        raise UploadRejected(_("Bitte laden Sie höchstens %(n)d Dateien hoch.", n=MAX_FILES))
    checked = []
    for upload in files:
        data = upload.stream.read(MAX_BYTES + 1)
        name = Path(upload.filename).name[:150] or "datei"
        if len(data) > MAX_BYTES:
            raise UploadRejected(_("%(name)s ist größer als 5 MB.", name=name))
        kind = next(((mime, suffix) for magic, mime, suffix in _SIGNATURES if data.startswith(magic)), None)
        if kind is None:
            raise UploadRejected(_("%(name)s ist kein Foto (JPEG, PNG) und kein PDF.", name=name))
        checked.append(CheckedUpload(name, kind[0], data, hashlib.sha256(data).hexdigest(), kind[1]))
    return checked


def store(upload: CheckedUpload, folder: str = "attachments") -> str:
    """Write the bytes under a random name in instance/<folder> (outside the web root); returns that name."""
    storage_name = secrets.token_hex(16) + upload.suffix
    (attachment_dir(folder) / storage_name).write_bytes(upload.data)
    return storage_name
