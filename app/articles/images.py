"""Pictures in articles: uploaded by editors, re-encoded without metadata (app/core/uploads.py), stored in the
database so that every node serves them, under /hilfe-bilder/<sha256>.<png|jpg> — a name that is the content's
hash never changes meaning, so browsers may keep it for good."""
from __future__ import annotations

import re

from sqlalchemy import select

from app.articles.models import ArticleImage
from app.core.uploads import check_upload
from app.extensions import db

IMAGE_PATH = "/hilfe-bilder/"
# The only <img src> the sanitizer lets through (app/articles/rendering.py): our own stored pictures.
IMAGE_NAME = re.compile(r"^[0-9a-f]{64}\.(?:png|jpg)$")


def image_url(name: str) -> str:
    return IMAGE_PATH + name


def store_image(filename: str | None, data: bytes, uploaded_by_id: int | None) -> str:
    """Check and re-encode one picture (UploadRejected with the reason otherwise) and keep it; returns its URL.
    The same picture uploaded twice is stored once."""
    checked = check_upload(filename, data, allow_pdf=False, fallback="bild")
    name = checked.sha256 + checked.suffix
    if db.session.scalar(select(ArticleImage.name).where(ArticleImage.name == name)) is None:
        db.session.add(ArticleImage(name=name, content_type=checked.content_type, data=checked.data,
                                    uploaded_by_id=uploaded_by_id))
        db.session.flush()
    return image_url(name)


def find_image(name: str) -> ArticleImage | None:
    if not IMAGE_NAME.match(name):
        return None
    return db.session.get(ArticleImage, name)
