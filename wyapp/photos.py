"""Photos attached to records (work orders, incidents, inspection items…).

An upload is accepted only if Pillow can decode it as an image (the file name and the
browser's content type are not trusted), at most 10 MB. It is stored re-encoded as JPEG:
orientation applied, longest side at most 1600 px, and no EXIF at all (so no GPS
position leaves the phone's owner's control). Files live in the app's store (storage.py:
DATA_DIR/photos/ by default, the shared bucket when scaled out) under `photos/…` and are
served through the app only, to users of the photo's estate.
"""
import hashlib
import io
import uuid
from pathlib import Path

from flask import Blueprint, abort, current_app
from flask_login import current_user
from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField
from PIL import Image, ImageOps, UnidentifiedImageError

from .auth import estate_required, get_or_404
from .db import BaseModel, MigrationGroup, utcnow
from .errors import DomainError
from .features import Feature
from .models import Estate, User
from .storage import NotStored, storage

MAX_BYTES = 10 * 1024 * 1024
MAX_SIDE = 1600
MAX_PIXELS = 60_000_000  # refuse decompression bombs well before memory runs out


class Photo(BaseModel):
    estate = ForeignKeyField(Estate, on_delete="CASCADE")
    uploaded_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    path = CharField(max_length=200, unique=True)  # the store's key without "photos/"
    width = IntegerField()
    height = IntegerField()
    size = IntegerField()
    sha256 = CharField(max_length=64)
    created_at = DateTimeField(default=utcnow)

    @property
    def key(self):
        """The photo's key in the store (storage.py)."""
        return f"photos/{self.path}"

    def read(self):
        """The stored JPEG's bytes; raises storage.NotStored when the file is gone."""
        return storage().read(self.key)

    def delete_file(self):
        """Remove the stored file (already gone is fine); the row is the caller's."""
        storage().delete(self.key)

    def file(self):
        """The file on disk with the default local store (tests and local tools only)."""
        return Path(current_app.config["DATA_DIR"]) / self.key

    def referred(self, *but):
        """Whether any row of any feature refers to this photo (every foreign key to Photo:
        a work order's, an incident's, an inspection item's, a visit's…; what an archived
        document shows of a record it reads through those rows), apart from the rows `but`
        (model instances, e.g. the leave being withdrawn)."""
        for field in self._meta.backrefs:
            query = field.model.select().where(field == self.id)
            for row in but:
                if isinstance(row, field.model):
                    query = query.where(field.model._meta.primary_key != row.get_id())
            if query.exists():
                return True
        return False


def save_photo(estate, upload, user=None, field="photo"):
    """Store one uploaded file (a werkzeug FileStorage or bytes) of `estate` as a Photo: a
    JPEG at most MAX_SIDE pixels a side, EXIF dropped. Raises DomainError on `field` when
    it is empty, too large or not an image."""
    data = upload if isinstance(upload, bytes) else upload.read(MAX_BYTES + 1)
    if not data:
        raise DomainError("照片是空文件，请重新拍摄。", field)
    if len(data) > MAX_BYTES:
        raise DomainError("照片不能超过 10 MB。", field)
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_PIXELS:
                raise DomainError("照片尺寸过大。", field)
            image = ImageOps.exif_transpose(image)
            image.thumbnail((MAX_SIDE, MAX_SIDE))
            image = image.convert("RGB")
            out = io.BytesIO()
            image.save(out, "JPEG", quality=85, optimize=True)  # no exif= : EXIF dropped
    except DomainError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as error:
        raise DomainError("只能上传照片（JPEG、PNG、WebP 等图片）。", field) from error
    body = out.getvalue()
    relative = f"{estate.id}/{utcnow():%Y%m}/{uuid.uuid4().hex}.jpg"
    storage().put(f"photos/{relative}", body, "image/jpeg")
    return Photo.create(estate=estate, uploaded_by=user, path=relative, width=image.width,
                        height=image.height, size=len(body),
                        sha256=hashlib.sha256(body).hexdigest())


def save_photos(estate, uploads, user=None, limit=9, field="photo"):
    """Several uploads (empty file inputs skipped) as Photos: all accepted, or DomainError
    on `field` (more than `limit`, or one that save_photo refuses)."""
    uploads = [u for u in uploads if getattr(u, "filename", None) or isinstance(u, bytes)]
    if len(uploads) > limit:
        raise DomainError(f"最多上传 {limit} 张照片。", field)
    return [save_photo(estate, u, user, field) for u in uploads]


bp = Blueprint("photos", __name__)
PRIVATE_RULES = []  # rule(photo, user) -> None (not its photo) | True / False (may see it)


def private_rule(rule):
    """Register a feature's rule for its private photos (a sick note may be seen by its
    applicant and the leads only, issue 21): rule(photo, user) answers None for a photo
    that is not its own, else whether `user` may see it. A decorator; returns `rule`."""
    PRIVATE_RULES.append(rule)
    return rule


@bp.route("/photos/<int:photo_id>.jpg")
@estate_required
def show(photo_id):
    """A stored photo, for users of its estate only (and of a private one, only those its
    feature's rule lets see it: 404 to anyone else)."""
    photo = get_or_404(Photo, photo_id)
    if any(rule(photo, current_user) is False for rule in PRIVATE_RULES):
        abort(404)
    try:
        response = storage().send(photo.key, "image/jpeg", max_age=86400)
    except NotStored:
        abort(404)
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response


feature = Feature(name="photos", blueprint=bp,
                  migrations=MigrationGroup("photos", [Photo]))
