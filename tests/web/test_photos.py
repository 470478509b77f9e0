"""Photos: decoded, not trusted by name; EXIF gone; resized; estate-scoped."""
import io

import pytest
from PIL import Image

from wyapp.auth import current_estate
from wyapp.db import db
from wyapp.errors import DomainError
from wyapp.models import Estate, User
from wyapp.photos import Photo, save_photo


def _jpeg_with_gps_and_rotation(size=(3000, 2000)):
    image = Image.new("RGB", size, "red")
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to display
    exif[0x8825] = {1: "N", 2: (39.0, 54.0, 0.0)}  # GPS IFD
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def test_photo_is_stripped_rotated_and_resized(app):
    with app.test_request_context(), db.connection_context():
        estate = Estate.get()
        photo = save_photo(estate, _jpeg_with_gps_and_rotation())
        stored = Image.open(photo.file())
        assert max(stored.size) == 1600
        assert stored.size == (1067, 1600)  # portrait after orientation was applied
        assert not stored.getexif()


@pytest.mark.parametrize("data,message", [
    (b"", "空文件"),
    (b"<?php echo 1; ?>", "只能上传照片"),
    (b"\xff\xd8\xff\xe0 truncated jpeg", "只能上传照片"),
    (b"x" * (10 * 1024 * 1024 + 1), "不能超过 10 MB"),
])
def test_non_images_are_refused(app, data, message):
    with app.test_request_context(), db.connection_context(), \
            pytest.raises(DomainError, match=message):
        save_photo(Estate.get(), data)


def test_photo_served_only_within_its_estate(app, login):
    with app.test_request_context(), db.connection_context():
        mine = save_photo(Estate.get(), _jpeg_with_gps_and_rotation((200, 100)))
        other_estate = Estate.create(name="别处")
        theirs = save_photo(other_estate, _jpeg_with_gps_and_rotation((200, 100)))
        assert current_estate() is None
        assert Photo.select().count() == 2
        assert User.select().count() == 7
    client = login("guard")
    response = client.get(f"/photos/{mine.id}.jpg")
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert client.get(f"/photos/{theirs.id}.jpg").status_code == 404
    client.post("/logout")
    assert client.get(f"/photos/{mine.id}.jpg").status_code == 302
