"""Is an uploaded file a document we accept? The one check every entry point (the check page,
the booking page, the API) calls before anything is stored.

The type comes from the content, never from the file's name or the Content-Type the client
declared: a renamed executable, an HTML page or a ZIP called .pdf is refused. PDFs are parsed
by pypdf (damaged, encrypted, empty or too long ones are refused); JPEG and PNG images are
opened by Pillow, whose header gives the size before any pixel is decoded, so a decompression
bomb (a small file of a huge image) stops there, and are then decoded in full (a truncated one
is refused) and re-encoded from their pixels, leaving EXIF (a phone's GPS position) behind, as
facility photos are (facilities/photos.py).
"""

import io
import logging
import unicodedata
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

logger = logging.getLogger(__name__)

# A 300 dpi A4 scan is 9 megapixels, a phone photo 12 to 50.
MAX_PIXELS = 50_000_000
ACCEPT = ".pdf,.jpg,.jpeg,.png"  # for the file inputs: a hint to the picker, checked here

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
EXTENSIONS = {PDF: "pdf", PNG: "png", JPEG: "jpg"}

MESSAGES = {
    "empty": _("The file is empty."),
    "too_large": _("The file is larger than %(limit)s. Please send a smaller one."),
    "unsupported_type": _(
        "Only PDF, JPEG and PNG files are accepted, and this file is none of them, whatever "
        "its name says."
    ),
    "pdf_damaged": _("The PDF is damaged or incomplete. Please save or scan it again."),
    "pdf_encrypted": _(
        "The PDF is protected with a password or encrypted. Please send it without protection."
    ),
    "pdf_no_pages": _("The PDF has no pages."),
    "pdf_too_many_pages": _("The PDF has %(pages)s pages; at most %(limit)s are accepted."),
    "image_too_large": _(
        "The image has more than %(megapixels)s megapixels. Please send a smaller scan or photo."
    ),
    "image_damaged": _("The image is damaged or incomplete. Please send it again."),
}


def refusal(code: str, **params) -> ValidationError:
    return ValidationError(MESSAGES[code], code=code, params=params)


def limits_text() -> str:
    """What the file inputs say about the limits."""
    return _("PDF, JPEG or PNG, at most %(size)s and %(pages)s pages.") % {
        "size": filesizeformat(settings.DOCUMENT_MAX_BYTES),
        "pages": settings.DOCUMENT_MAX_PAGES,
    }


@dataclass(frozen=True)
class CheckedDocument:
    """An accepted upload: what to store (an image re-encoded), as what, and its name."""

    content: bytes
    content_type: str
    pages: int | None
    original_name: str

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.content_type]

    @property
    def size(self) -> int:
        return len(self.content)


def check_document(upload) -> CheckedDocument:
    """The upload (a Django UploadedFile, or any file with .size and .name) as a document to
    store, or a ValidationError saying why not."""
    limit = settings.DOCUMENT_MAX_BYTES
    # The declared size first: an oversized upload is refused before it is read.
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise refusal("too_large", limit=filesizeformat(limit))
    upload.seek(0)
    # One byte more than the limit tells a file that lied about its size.
    content = upload.read(limit + 1)
    if len(content) > limit:
        raise refusal("too_large", limit=filesizeformat(limit))
    if not content:
        raise refusal("empty")
    name = clean_file_name(getattr(upload, "name", "") or "")
    if content.startswith(b"%PDF-"):
        return CheckedDocument(content, PDF, _pdf_pages(content), name)
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return CheckedDocument(_clean_image(content, "PNG"), PNG, None, name)
    if content.startswith(b"\xff\xd8\xff"):
        return CheckedDocument(_clean_image(content, "JPEG"), JPEG, None, name)
    raise refusal("unsupported_type")


def _pdf_pages(content: bytes) -> int:
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(content))
        if reader.is_encrypted:
            raise refusal("pdf_encrypted")
        pages = len(reader.pages)
        # Reading the first page's content proves the page tree leads somewhere real.
        if pages:
            reader.pages[0].get_contents()
    except ValidationError:
        raise
    except Exception:  # pypdf meets hostile input with many kinds of errors: all mean damaged
        logger.info("A PDF was refused as damaged", exc_info=True)
        raise refusal("pdf_damaged") from None
    if pages == 0:
        raise refusal("pdf_no_pages")
    if pages > settings.DOCUMENT_MAX_PAGES:
        raise refusal("pdf_too_many_pages", pages=pages, limit=settings.DOCUMENT_MAX_PAGES)
    return pages


def _clean_image(content: bytes, image_format: str) -> bytes:
    with warnings.catch_warnings():
        # Pillow only warns between MAX_IMAGE_PIXELS and twice that; refuse those too.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(content))
            width, height = image.size
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise refusal("image_too_large", megapixels=MAX_PIXELS // 1_000_000) from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            raise refusal("image_damaged") from None
        if image.format != image_format:
            raise refusal("unsupported_type")
        # The header tells the size before any pixel is decoded: a bomb stops here.
        if width * height > MAX_PIXELS:
            raise refusal("image_too_large", megapixels=MAX_PIXELS // 1_000_000)
        try:
            image.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise refusal("image_too_large", megapixels=MAX_PIXELS // 1_000_000) from None
        except (OSError, SyntaxError, ValueError, EOFError):
            raise refusal("image_damaged") from None
    # The orientation the phone recorded, applied before EXIF is dropped.
    image = ImageOps.exif_transpose(image)
    buffer = io.BytesIO()
    if image_format == "JPEG":
        clean = image if image.mode in ("L", "RGB") else image.convert("RGB")
        clean.info = {}
        clean.save(buffer, format="JPEG", quality=90)
    else:
        if image.mode in ("LA", "PA") or "transparency" in image.info:
            clean = image.convert("RGBA")
        elif image.mode in ("1", "L", "RGB", "RGBA"):
            clean = image
        else:
            clean = image.convert("RGB")
        clean.info = {}
        clean.save(buffer, format="PNG")
    return buffer.getvalue()


def clean_file_name(name: str) -> str:
    """The resident's file name as shown and offered on download: no folders, no control
    characters, at most 200 characters (the extension kept)."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(
        character
        for character in unicodedata.normalize("NFC", name)
        if unicodedata.category(character)[0] != "C" and character not in '"<>'
    ).strip(" .")
    if len(name) > 200:
        stem, dot, extension = name.rpartition(".")
        name = (stem[: 199 - len(extension)] + dot + extension) if dot else name[:200]
    return name or "dokumen"
