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
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from flask import abort, current_app, send_file
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from app.core.schemas import clean_filename

MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000
IMAGE_FORMATS = {"JPEG": ("image/jpeg", ".jpg"), "PNG": ("image/png", ".png")}
PDF = ("application/pdf", ".pdf")
_PDF_MAGIC = b"%PDF-"
_NAME_STEM_LENGTH = 100
# The names store_upload gave files before revision 0020 (and StoredUpload.stored gives rows since).
_STORAGE_NAME = re.compile(r"^[0-9a-f]{32}\.(?:jpg|png|pdf)$")


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
    """instance/<folder>: where uploads were written before they moved into the database (revision 0020)."""
    return Path(current_app.instance_path) / folder


def legacy_file(folder: str, storage_name: str) -> Path | None:
    """The file an upload from before revision 0020 was written to on this node, if it is here."""
    if not _STORAGE_NAME.match(storage_name or ""):
        return None  # never a path out of the folder, whatever a row says
    path = upload_dir(folder) / storage_name
    return path if path.is_file() else None


def remove_legacy_files(files) -> None:
    """Delete the files of removed upload rows, (folder, storage_name) pairs, where this node still has them."""
    for folder, name in files:
        path = legacy_file(folder, name)
        if path is not None:
            path.unlink(missing_ok=True)


@dataclass
class ImportReport:
    """What `uploads import-files` did with one table's legacy files on this node."""

    imported: int = 0      # bytes moved into the row, file removed
    leftover: int = 0      # the row had the bytes already (an earlier run stopped before removing): file removed
    missing: int = 0       # a row without bytes whose file is not on this node (another node's, or lost)
    mismatched: int = 0    # a file whose content is not what the row's sha256 says: left alone, row unchanged

    def summary(self) -> str:
        return (f"{self.imported} imported, {self.leftover} left over from an earlier run removed, "
                f"{self.missing} not on this node, {self.mismatched} not matching their checksum (kept)")


def import_legacy_files(folder: str, model) -> ImportReport:
    """Move the bytes of this node's files from before revision 0020 into their rows, one commit per file, then
    delete each file. Safe to run again and on several nodes at once: a row is only filled while it is empty."""
    from sqlalchemy import func, select, update

    from app.extensions import db

    directory = upload_dir(folder)
    on_disk = {p.name for p in directory.iterdir() if p.is_file()} if directory.is_dir() else set()
    rows = db.session.execute(select(model.id, model.storage_name, model.sha256, model.data.is_not(None))
                              .order_by(model.id)).all()
    db.session.rollback()
    report = ImportReport()
    for row_id, storage_name, sha256, has_bytes in rows:
        path = legacy_file(folder, storage_name) if storage_name in on_disk else None
        if path is None:
            continue
        if has_bytes:
            report.leftover += 1
        else:
            try:
                data = path.read_bytes()
            except FileNotFoundError:
                continue  # another run sharing this directory imported and removed it just now
            if hashlib.sha256(data).hexdigest() != sha256:
                report.mismatched += 1
                continue
            filled = db.session.execute(update(model).where(model.id == row_id, model.data.is_(None))
                                        .values(data=data).execution_options(synchronize_session=False)).rowcount
            db.session.commit()
            if filled:
                report.imported += 1
            else:
                report.leftover += 1  # another node sharing this directory filled it a moment ago
        path.unlink(missing_ok=True)
    # Counted at the end: a row another run filled meanwhile is not missing.
    report.missing = db.session.scalar(select(func.count()).select_from(model).where(model.data.is_(None)))
    report.missing -= report.mismatched
    db.session.rollback()
    return report


def content_disposition(filename: str) -> str:
    """`attachment` with an ASCII fallback and the exact name as RFC 5987 `filename*`."""
    ascii_name = "".join(c if 32 <= ord(c) < 127 and c not in '"\\;' else "_" for c in filename) or "datei"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def upload_bytes(folder: str, record) -> bytes | None:
    """The upload's bytes: from its row, else (rows from before revision 0020) from this node's file, else None."""
    if record.data is not None:
        return record.data
    path = legacy_file(folder, record.storage_name)
    if path is None:
        return None
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None  # removed between the look and the read (a purge on this node)


def send_upload(folder: str, record, *, inline: bool = False):
    """A stored upload (a StoredUpload row) that no browser sniffs or caches; a download unless inline (only
    for re-encoded photos). 404 with the normal error page when its bytes are nowhere."""
    data = upload_bytes(folder, record)
    if data is None:
        abort(404)
    response = send_file(io.BytesIO(data), mimetype=record.content_type, as_attachment=not inline,
                         download_name=None if inline else record.filename, max_age=0, etag=False, conditional=False)
    if not inline:
        response.headers["Content-Disposition"] = content_disposition(record.filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response
