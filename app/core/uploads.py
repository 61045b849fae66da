"""Customer uploads: recognised by their bytes, images re-encoded without metadata, stored and served safely.

What a file is decides its type, extension and Content-Type, never the name or the browser's claim: a
PNG named `foto.jpg` is kept and served as `foto.png`, `image/png`. Every image is decoded by Pillow and
written anew, which drops EXIF (GPS position, camera serial), XMP, comments, text chunks and ICC
profiles — after turning it the way its EXIF orientation says — and drops anything appended to it
(the HTML or ZIP half of a polyglot). PDFs are recognised by their `%PDF-` header and kept as sent.
"""
from __future__ import annotations

import hashlib
import io
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from flask import current_app, send_file
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from app.core.schemas import clean_filename

MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000
IMAGE_FORMATS = {"JPEG": ("image/jpeg", ".jpg"), "PNG": ("image/png", ".png")}
PDF = ("application/pdf", ".pdf")
_PDF_MAGIC = b"%PDF-"
_NAME_STEM_LENGTH = 100


class UploadRejected(ValueError):
    """The message names the file and says why it was refused."""


@dataclass(frozen=True)
class CheckedUpload:
    filename: str
    content_type: str
    data: bytes
    sha256: str
    suffix: str


def display_name(raw: str | None, suffix: str, fallback: str = "datei") -> str:
    """The customer's file name without path, control or bidi characters, ending in the real extension."""
    name = clean_filename(raw, fallback)
    stem = name.rsplit(".", 1)[0].rstrip(". ") if "." in name else name
    return (stem or fallback)[:_NAME_STEM_LENGTH] + suffix


def check_upload(raw_name: str | None, data: bytes, *, allow_pdf: bool = True, fallback: str = "datei",
                 not_allowed=None) -> CheckedUpload:
    """Recognise one upload by its content; images come back re-encoded without metadata."""
    shown = clean_filename(raw_name, fallback)[-60:]
    if len(data) > MAX_BYTES:
        raise UploadRejected(_("%(name)s ist größer als 5 MB.", name=shown))

    def refused() -> UploadRejected:
        if not_allowed:
            return UploadRejected(str(not_allowed))
        return UploadRejected(_("%(name)s ist kein Foto (JPEG, PNG) und kein PDF.", name=shown))

    if data.startswith(_PDF_MAGIC):
        if not allow_pdf:
            raise refused()
        return _checked(raw_name, fallback, PDF, data)
    try:
        fmt, clean = _reencode_image(data)
    except _NotAnImage as exc:
        raise refused() from exc
    return _checked(raw_name, fallback, IMAGE_FORMATS[fmt], clean)


def _checked(raw_name, fallback, kind, data: bytes) -> CheckedUpload:
    content_type, suffix = kind
    return CheckedUpload(display_name(raw_name, suffix, fallback), content_type, data,
                         hashlib.sha256(data).hexdigest(), suffix)


class _NotAnImage(Exception):
    pass


def _reencode_image(data: bytes) -> tuple[str, bytes]:
    """Decode with Pillow (refusing decompression bombs) and write the pixels anew, without metadata."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format not in IMAGE_FORMATS:
                    raise _NotAnImage(probe.format)
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                if image.format not in IMAGE_FORMATS or image.width * image.height > MAX_PIXELS:
                    raise _NotAnImage(image.format)
                fmt = image.format
                upright = _to_srgb(ImageOps.exif_transpose(image))
                upright.load()
                return fmt, _encode(upright, fmt)
    except _NotAnImage:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, TypeError, EOFError, Image.DecompressionBombError,
            Image.DecompressionBombWarning) as exc:
        raise _NotAnImage(str(exc)) from exc


def _to_srgb(image: Image.Image) -> Image.Image:
    """Colours as the embedded ICC profile meant them, in sRGB, so the profile can be dropped (phones use P3)."""
    profile = image.info.get("icc_profile")
    if not profile or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    try:
        from PIL import ImageCms
        source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
        output_mode = "RGBA" if image.mode == "RGBA" else "RGB"
        converted = ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"), outputMode=output_mode)
    except (ImportError, OSError, ValueError, TypeError, ImageCms.PyCMSError):
        return image  # an unreadable profile: keep the pixels as they are, the profile still goes
    return converted or image


def _encode(image: Image.Image, fmt: str) -> bytes:
    transparency = image.info.get("transparency")
    # Pillow carries exif, xmp, icc_profile, comments and text chunks over from info when saving: start empty.
    image.info = {"transparency": transparency} if transparency is not None and fmt == "PNG" else {}
    out = io.BytesIO()
    if fmt == "JPEG":
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        image.save(out, "JPEG", quality=90)
    else:
        image.save(out, "PNG")
    return out.getvalue()


def upload_dir(folder: str) -> Path:
    """instance/<folder>: outside the web root, created on first use."""
    path = Path(current_app.instance_path) / folder
    path.mkdir(parents=True, exist_ok=True)
    return path


def store_upload(upload: CheckedUpload, folder: str) -> str:
    """Write the bytes under a random name with the real extension; returns that name."""
    storage_name = secrets.token_hex(16) + upload.suffix
    (upload_dir(folder) / storage_name).write_bytes(upload.data)
    return storage_name


def content_disposition(filename: str) -> str:
    """`attachment` with an ASCII fallback and the exact name as RFC 5987 `filename*`."""
    ascii_name = "".join(c if 32 <= ord(c) < 127 and c not in '"\\;' else "_" for c in filename) or "datei"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def send_upload(folder: str, record):
    """A stored upload (a StoredUpload row) as a download that no browser renders, sniffs or caches."""
    response = send_file(upload_dir(folder) / record.storage_name, mimetype=record.content_type, as_attachment=True,
                         download_name=record.filename, max_age=0, etag=False, conditional=False)
    response.headers["Content-Disposition"] = content_disposition(record.filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response
