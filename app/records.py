"""Column sets that several tables share: per-year number counters and stored uploads."""
from __future__ import annotations

import secrets

from app.extensions import db
from app.insights.models import utcnow
from app.privacy.columns import MaskedString


class YearCounter:
    """The last number handed out per year; incremented inside the numbered record's own transaction."""

    year = db.Column(db.Integer, primary_key=True, autoincrement=False)
    last_value = db.Column(db.Integer, nullable=False, default=0)


class StoredUpload:
    """A customer's file, checked by its bytes and kept in the row itself, so that every node serves it.

    `data` is deferred: lists of attachments and photos never load the bytes, only a download does. Rows from
    before revision 0020 have no `data`; their bytes are the file `storage_name` in the node's instance
    directory until `flask --app wsgi uploads import-files` moves them in. New rows keep a random
    `storage_name` all the same (a stable, unguessable key; no file is written under it).
    """

    filename = db.Column(MaskedString(200), nullable=False)
    content_type = db.Column(db.String(60), nullable=False)
    size = db.Column(db.Integer, nullable=False)
    sha256 = db.Column(db.String(64), nullable=False)
    storage_name = db.Column(db.String(80), nullable=False, unique=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    data = db.mapped_column(db.LargeBinary, nullable=True, deferred=True)

    @classmethod
    def stored(cls, upload):
        """The record of a checked upload (app/core/uploads.py CheckedUpload), bytes included: it is written
        in the transaction that adds the row, so there is never a row without its bytes nor bytes without a row."""
        return cls(filename=upload.filename, content_type=upload.content_type, size=len(upload.data),
                   sha256=upload.sha256, storage_name=secrets.token_hex(16) + upload.suffix, data=upload.data)


def stored_upload_tables():
    """Every StoredUpload model with the instance folder its rows from before revision 0020 were written to."""
    from app.cases.attachments import ATTACHMENT_FOLDER
    from app.cases.models import CaseAttachment
    from app.returns.models import ReturnPhoto
    from app.returns.photos import PHOTO_FOLDER

    return ((ATTACHMENT_FOLDER, CaseAttachment), (PHOTO_FOLDER, ReturnPhoto))
