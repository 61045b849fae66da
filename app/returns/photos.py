"""Photos of a defect or a wrong item: JPEG/PNG checked by decoding, size-limited, stripped of metadata."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core.schemas import clean_filename
from app.core.uploads import MAX_BYTES, CheckedUpload, UploadRejected, check_upload

CheckedPhoto = CheckedUpload
# Where this node wrote photos before they moved into the database (revision 0020); see app/core/uploads.py.
PHOTO_FOLDER = "return_photos"
MAX_PHOTOS_PER_ITEM = 3


class PhotoRejected(UploadRejected):
    """The message names the file and why it was refused."""


def check_photos(files) -> list[CheckedPhoto]:
    """Validate uploads (werkzeug FileStorage) by their bytes and re-encode them without EXIF (no GPS position)."""
    files = [f for f in files if f and f.filename]
    if len(files) > MAX_PHOTOS_PER_ITEM:
        raise PhotoRejected(_("Bitte laden Sie höchstens %(n)d Fotos pro Artikel hoch.", n=MAX_PHOTOS_PER_ITEM))
    return [check_photo(f.filename, f.stream.read(MAX_BYTES + 1)) for f in files]


def _not_a_photo(name):
    # Lazy: translated only when a file is refused (checks also run outside a request, e.g. in the CLI).
    return _l("%(name)s ist kein Foto im Format JPEG oder PNG.", name=clean_filename(name, "foto")[-60:])


def check_photo(name: str | None, data: bytes) -> CheckedPhoto:
    try:
        return check_upload(name, data, allow_pdf=False, fallback="foto", not_allowed=_not_a_photo(name))
    except PhotoRejected:
        raise
    except UploadRejected as exc:
        raise PhotoRejected(str(exc)) from exc
