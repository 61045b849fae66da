"""Contact attachments: photos (JPEG, PNG) and PDFs, recognised by content, images stripped of metadata."""
from __future__ import annotations

from pathlib import Path

from flask_babel import gettext as _

from app.core.uploads import MAX_BYTES, CheckedUpload, UploadRejected, check_upload, store_upload, upload_dir

MAX_FILES = 3
ATTACHMENT_FOLDER = "attachments"

__all__ = ["MAX_FILES", "MAX_BYTES", "ATTACHMENT_FOLDER", "CheckedUpload", "UploadRejected", "attachment_dir",
           "check_uploads", "store"]


def attachment_dir(folder: str = ATTACHMENT_FOLDER) -> Path:
    return upload_dir(folder)


def check_uploads(files) -> list[CheckedUpload]:
    """Validate uploaded files (werkzeug FileStorage) by their bytes, not by their names."""
    files = [f for f in files if f and f.filename]
    if len(files) > MAX_FILES:
        raise UploadRejected(_("Bitte laden Sie höchstens %(n)d Dateien hoch.", n=MAX_FILES))
    return [check_upload(f.filename, f.stream.read(MAX_BYTES + 1)) for f in files]


def store(upload: CheckedUpload, folder: str = ATTACHMENT_FOLDER) -> str:
    """Write the bytes under a random name in instance/<folder> (outside the web root); returns that name."""
    return store_upload(upload, folder)
