"""Photos of a defect or a wrong item: JPEG/PNG checked by decoding, size-limited, stripped of metadata."""
from __future__ import annotations

import hashlib
import io
import warnings
from pathlib import Path

from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from app.cases.attachments import CheckedUpload as CheckedPhoto
from app.cases.attachments import attachment_dir, store

PHOTO_FOLDER = "return_photos"
MAX_PHOTOS_PER_ITEM = 3
MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000
_FORMATS = {"JPEG": ("image/jpeg", ".jpg"), "PNG": ("image/png", ".png")}
_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")


class PhotoRejected(ValueError):
    """The message names the file and why it was refused."""


def photo_dir() -> Path:
    return attachment_dir(PHOTO_FOLDER)


def store_photo(photo: CheckedPhoto) -> str:
    return store(photo, PHOTO_FOLDER)


def check_photos(files) -> list[CheckedPhoto]:
    """Validate uploads (werkzeug FileStorage) by their bytes and re-encode them without EXIF (no GPS position)."""
    files = [f for f in files if f and f.filename]
    if len(files) > MAX_PHOTOS_PER_ITEM:
        raise PhotoRejected(_("Bitte laden Sie höchstens %(n)d Fotos pro Artikel hoch.", n=MAX_PHOTOS_PER_ITEM))
    return [check_photo(Path(f.filename).name[:150] or "foto", f.stream.read(MAX_BYTES + 1)) for f in files]


def check_photo(name: str, data: bytes) -> CheckedPhoto:
    if len(data) > MAX_BYTES:
        raise PhotoRejected(_("%(name)s ist größer als 5 MB.", name=name))
    not_a_photo = PhotoRejected(_("%(name)s ist kein Foto im Format JPEG oder PNG.", name=name))
    if not data.startswith(_MAGIC):
        raise not_a_photo
    try:
        with warnings.catch_warnings():
            # A decompression bomb is refused, not merely warned about.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                if image.format not in _FORMATS or image.width * image.height > MAX_PIXELS:
                    raise not_a_photo
                fmt = image.format
                clean = _reencode(ImageOps.exif_transpose(image), fmt)
    except PhotoRejected:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError,
            Image.DecompressionBombWarning) as exc:
        raise not_a_photo from exc
    mime, suffix = _FORMATS[fmt]
    return CheckedPhoto(name, mime, clean, hashlib.sha256(clean).hexdigest(), suffix)


def _reencode(image: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    if fmt == "JPEG":
        image.convert("RGB").save(out, "JPEG", quality=90)
    else:
        image.save(out, "PNG")
    return out.getvalue()
