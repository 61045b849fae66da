"""Contact attachments: photos (JPEG, PNG) and PDFs, recognised by content, images stripped of metadata."""
from __future__ import annotations

from flask_babel import gettext as _

from app.core.uploads import MAX_BYTES, CheckedUpload, UploadRejected, check_upload

MAX_FILES = 3

# Where this node wrote attachments before they moved into the database (revision 0020); see app/core/uploads.py.
ATTACHMENT_FOLDER = "attachments"

__all__ = ["MAX_FILES", "MAX_BYTES", "ATTACHMENT_FOLDER", "CheckedUpload", "UploadRejected", "check_uploads"]


def check_uploads(files) -> list[CheckedUpload]:
    """Validate uploaded files (werkzeug FileStorage) by their bytes, not by their names."""
    files = [f for f in files if f and f.filename]
    if len(files) > MAX_FILES:
        raise UploadRejected(_("Bitte laden Sie höchstens %(n)d Dateien hoch.", n=MAX_FILES))
    return [check_upload(f.filename, f.stream.read(MAX_BYTES + 1)) for f in files]
