"""Column sets that several tables share: per-year number counters and stored uploads."""
from __future__ import annotations

from app.extensions import db
from app.insights.models import utcnow
from app.privacy.columns import MaskedString


class YearCounter:
    """The last number handed out per year; incremented inside the numbered record's own transaction."""

    year = db.Column(db.Integer, primary_key=True, autoincrement=False)
    last_value = db.Column(db.Integer, nullable=False, default=0)


class StoredUpload:
    """A customer's file, checked by its bytes and kept under a random name outside the web root."""

    filename = db.Column(MaskedString(200), nullable=False)
    content_type = db.Column(db.String(60), nullable=False)
    size = db.Column(db.Integer, nullable=False)
    sha256 = db.Column(db.String(64), nullable=False)
    storage_name = db.Column(db.String(80), nullable=False, unique=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    @classmethod
    def stored(cls, upload, storage_name: str):
        """The record of a checked upload (app/cases/attachments.py CheckedUpload) written as storage_name."""
        return cls(filename=upload.filename, content_type=upload.content_type, size=len(upload.data),
                   sha256=upload.sha256, storage_name=storage_name)
