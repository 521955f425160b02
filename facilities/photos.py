"""Facility photos: accept only real, reasonably sized images, and store clean copies.

An upload is decoded in full before anything is stored, so a truncated file, a file that only
claims to be an image, or a decompression bomb is refused with a clear message. What is
stored is re-encoded from the pixels: EXIF (with its GPS position) and other metadata are
left behind, the orientation the phone recorded is applied first, and the aspect ratio kept.
"""

import io
import warnings
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP"}
DISPLAY_BOX = (1600, 1600)
THUMBNAIL_BOX = (480, 480)

MESSAGES = {
    "too_large": _("The photo is larger than 10 MB."),
    "not_an_image": _("This file is not a photo we can read. Upload a JPEG, PNG or WebP image."),
    "unsupported_format": _("Only JPEG, PNG and WebP photos are accepted."),
    "too_many_pixels": _("The photo has more than 40 megapixels. Please upload a smaller one."),
    "damaged": _("The photo is damaged or incomplete. Please upload it again."),
}


def photo_error(code: str) -> ValidationError:
    return ValidationError(MESSAGES[code], code=code)


@dataclass(frozen=True)
class ProcessedPhoto:
    display: ContentFile
    thumbnail: ContentFile
    width: int
    height: int


def process_photo(upload) -> ProcessedPhoto:
    """Validate an uploaded file and return clean display and thumbnail copies (WebP)."""
    if upload.size > MAX_BYTES:
        raise photo_error("too_large")
    image = _open_checked(upload)
    # Apply the orientation recorded in EXIF before EXIF is dropped, or portraits lie down.
    image = ImageOps.exif_transpose(image)
    mode = "RGBA" if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info else "RGB"
    clean = image.convert(mode)
    clean.info = {}
    display = _encoded(_fitted(clean, DISPLAY_BOX))
    thumbnail = _encoded(_fitted(clean, THUMBNAIL_BOX))
    return ProcessedPhoto(
        display=ContentFile(display, name="photo.webp"),
        thumbnail=ContentFile(thumbnail, name="thumbnail.webp"),
        width=clean.width,
        height=clean.height,
    )


def _open_checked(upload) -> Image.Image:
    upload.seek(0)
    with warnings.catch_warnings():
        # Pillow only warns between MAX_IMAGE_PIXELS and twice that; refuse those too.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(upload)
            image_format = image.format
            width, height = image.size
        except (
            UnidentifiedImageError,
            Image.DecompressionBombError,
            Image.DecompressionBombWarning,
        ):
            raise photo_error("not_an_image") from None
        except (OSError, SyntaxError, ValueError):
            raise photo_error("not_an_image") from None
        if image_format not in ALLOWED_FORMATS:
            raise photo_error("unsupported_format")
        # The header tells the size before any pixel is decoded: a bomb stops here.
        if width * height > MAX_PIXELS:
            raise photo_error("too_many_pixels")
        try:
            image.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise photo_error("too_many_pixels") from None
        except (OSError, SyntaxError, ValueError):
            raise photo_error("damaged") from None
    return image


def _fitted(image: Image.Image, box: tuple[int, int]) -> Image.Image:
    copy = image.copy()
    copy.thumbnail(box, Image.Resampling.LANCZOS)  # shrinks only, keeps the aspect ratio
    return copy


def _encoded(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="WEBP", quality=82, method=4)
    return buffer.getvalue()
