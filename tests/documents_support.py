"""Files for the documents' tests: real small PDFs and images, and bad ones."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from pypdf import PdfWriter

from documents.models import DocumentRequirement


def pdf_bytes(pages: int = 1, *, password: str | None = None) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if password:
        writer.encrypt(password)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def image_bytes(image_format: str = "PNG", size=(60, 40), *, exif: bool = False) -> bytes:
    image = Image.new("RGB", size, "white")
    buffer = io.BytesIO()
    if exif:
        data = Image.Exif()
        data[0x010F] = "KameraHP"  # Make
        data[0x0131] = "Rahasia 1.0"  # Software
        image.save(buffer, image_format, exif=data.tobytes())
    else:
        image.save(buffer, image_format)
    return buffer.getvalue()


def upload(content: bytes, name: str = "surat.pdf", content_type: str = "application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def pdf_upload(name: str = "surat-permohonan.pdf", pages: int = 1):
    return upload(pdf_bytes(pages), name)


def requirement(facility, name: str = "Surat permohonan", classes=(), **fields):
    return DocumentRequirement.objects.create(
        facility=facility, name=name, tariff_classes=list(classes), **fields
    )
