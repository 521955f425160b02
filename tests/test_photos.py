import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from facilities.photos import MAX_PIXELS, process_photo


def image_file(
    fmt="JPEG", size=(1200, 800), mode="RGB", exif=None, name=None
) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    image = Image.new(mode, size, (200, 120, 40) if mode == "RGB" else (200, 120, 40, 128))
    kwargs = {"exif": exif} if exif is not None else {}
    image.save(buffer, format=fmt, **kwargs)
    return SimpleUploadedFile(name or f"foto.{fmt.lower()}", buffer.getvalue())


def gps_exif() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "KameraHP"  # Make
    gps = exif.get_ifd(0x8825)
    gps[1] = "S"
    gps[2] = (6.0, 24.0, 0.0)
    gps[3] = "E"
    gps[4] = (106.0, 49.0, 0.0)
    return exif.tobytes()


def refusal(upload) -> str:
    with pytest.raises(ValidationError) as caught:
        process_photo(upload)
    return caught.value.code


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_real_photos_are_accepted_and_resized_keeping_the_aspect_ratio(fmt):
    photo = process_photo(image_file(fmt, size=(3000, 2000)))

    display = Image.open(io.BytesIO(photo.display.read()))
    thumbnail = Image.open(io.BytesIO(photo.thumbnail.read()))
    assert display.size == (1600, 1067)
    assert thumbnail.size == (480, 320)
    assert display.format == thumbnail.format == "WEBP"


def test_small_photos_are_not_enlarged():
    photo = process_photo(image_file(size=(400, 300)))

    assert Image.open(io.BytesIO(photo.display.read())).size == (400, 300)


def test_exif_and_gps_are_gone_from_what_is_stored():
    upload = image_file(exif=gps_exif())
    assert Image.open(io.BytesIO(upload.read())).getexif().get_ifd(0x8825)  # the input has GPS
    upload.seek(0)

    photo = process_photo(upload)

    for stored in (photo.display, photo.thumbnail):
        data = stored.read()
        image = Image.open(io.BytesIO(data))
        assert not image.getexif()
        assert b"Exif" not in data and b"KameraHP" not in data


def test_the_phone_s_orientation_is_applied_before_exif_is_dropped():
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated 90° clockwise
    photo = process_photo(image_file(size=(800, 600), exif=exif.tobytes()))

    assert Image.open(io.BytesIO(photo.display.read())).size == (600, 800)


def test_a_text_file_renamed_jpg_is_refused():
    assert (
        refusal(SimpleUploadedFile("foto.jpg", b"bukan gambar, hanya teks" * 10)) == "not_an_image"
    )


def test_a_truncated_image_is_refused():
    data = image_file(size=(1200, 900)).read()

    assert refusal(SimpleUploadedFile("foto.jpg", data[: len(data) // 2])) == "damaged"


def test_an_oversized_file_is_refused():
    upload = SimpleUploadedFile("besar.jpg", b"\xff\xd8" + b"0" * (10 * 1024 * 1024 + 1))

    assert refusal(upload) == "too_large"


def test_a_photo_over_40_megapixels_is_refused():
    # A PNG of one colour compresses to a few hundred KB whatever its size.
    assert refusal(image_file("PNG", size=(8000, 5001))) == "too_many_pixels"
    assert MAX_PIXELS == 40_000_000


def test_a_decompression_bomb_is_refused_before_it_is_decoded():
    # A 1-bit PNG of 30000 x 30000 (900 megapixels) is a small file.
    buffer = io.BytesIO()
    Image.new("1", (30000, 30000)).save(buffer, format="PNG")
    assert len(buffer.getvalue()) < 1024 * 1024

    assert refusal(SimpleUploadedFile("bom.png", buffer.getvalue())) in {
        "too_many_pixels",
        "not_an_image",
    }


def test_other_image_formats_are_refused():
    assert refusal(image_file("GIF", size=(100, 100), mode="RGB")) == "unsupported_format"
    assert refusal(image_file("BMP", size=(100, 100))) == "unsupported_format"


def test_the_messages_are_translated():
    from django.utils import translation

    with pytest.raises(ValidationError) as caught:
        process_photo(SimpleUploadedFile("x.jpg", b"teks"))

    with translation.override("en"):
        assert "JPEG, PNG or WebP" in caught.value.messages[0]
    with translation.override("id"):
        assert caught.value.messages[0].startswith("Berkas ini bukan foto")
