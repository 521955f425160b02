"""Cover photos for the demo facilities, drawn by the project itself (no stock photos, no network):
a scene per kind of place under a gradient sky, with the facility's name, so that the demo
catalog looks like a real one. The same facility always gets the same picture (the colours come
from its slug), and it goes through the photo pipeline (services.photo_add) like an upload, so
the thumbnails and the cover flag are made as for any photo.
"""

import hashlib
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw, ImageFont

from communities import permissions
from facilities import services

SIZE = (1200, 675)
FONT_PATHS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
)
SKIES = (
    ((126, 186, 230), (232, 244, 236)),
    ((244, 176, 120), (250, 232, 200)),
    ((150, 200, 220), (240, 248, 240)),
)
GREENS = ((63, 154, 95), (79, 174, 111), (47, 128, 80))


def seed_photos(facilities: dict, organizer) -> None:
    """Give every demo facility without a photo its drawn cover (idempotent: a facility that has
    any photo, drawn or uploaded, is left alone)."""
    for facility in facilities.values():
        if facility.photos.exists() or not permissions.can_add_photo(organizer, facility):
            continue
        upload = SimpleUploadedFile(
            f"{facility.slug}.png", drawn_cover(facility), content_type="image/png"
        )
        services.photo_add(
            facility=facility,
            upload=upload,
            alt_text=f"Ilustrasi {facility.name}",
            actor=organizer,
        )


def drawn_cover(facility) -> bytes:
    """The PNG of a facility's cover: deterministic for its slug, kind and name."""
    seed = int.from_bytes(hashlib.sha256(facility.slug.encode()).digest()[:4], "big")
    width, height = SIZE
    image = Image.new("RGB", SIZE)
    draw = ImageDraw.Draw(image)
    top, bottom = SKIES[seed % len(SKIES)]
    for y in range(height):
        share = y / height
        draw.line(
            [(0, y), (width, y)],
            fill=tuple(round(a + (b - a) * share) for a, b in zip(top, bottom, strict=True)),
        )
    draw.ellipse((950, 60, 1070, 180), fill=(242, 194, 48))
    ground = GREENS[seed % len(GREENS)]
    draw.rectangle((0, 470, width, height), fill=ground)
    SCENES.get(facility.kind, _other)(draw, seed)
    _caption(draw, facility.name)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _hall(draw, seed):
    left = 300 + seed % 80
    draw.polygon([(left - 40, 250), (left + 260, 120), (left + 560, 250)], fill=(11, 93, 59))
    draw.rectangle((left - 10, 250, left + 530, 480), fill=(250, 250, 245))
    for x in range(left + 20, left + 520, 90):
        draw.rectangle((x, 260, x + 22, 480), fill=(11, 93, 59))
    draw.rectangle((left + 220, 340, left + 300, 480), fill=(7, 61, 39))
    draw.rectangle((left - 40, 475, left + 560, 495), fill=(90, 90, 90))


def _field(draw, seed):
    draw.polygon([(160, 480), (1040, 480), (1180, 660), (20, 660)], outline="white", width=6)
    draw.line([(600, 480), (600, 660)], fill="white", width=6)
    draw.ellipse((520, 540, 680, 600), outline="white", width=6)
    for x in (120, 1040):
        draw.rectangle((x, 330, x + 12, 480), fill="white")
        draw.rectangle((x, 330, x + 80, 342), fill="white")


def _park(draw, seed):
    for index, x in enumerate((180, 420, 800, 1010)):
        size = 90 + (seed >> index) % 50
        draw.rectangle((x - 12, 480 - size, x + 12, 500), fill=(107, 74, 43))
        draw.ellipse((x - size, 420 - 2 * size, x + size, 500 - size), fill=(11, 93, 59))
    draw.rectangle((540, 440, 700, 455), fill=(107, 74, 43))
    draw.arc((300, 520, 1100, 900), 180, 300, fill=(217, 199, 160), width=40)


def _court(draw, seed):
    draw.polygon([(220, 470), (980, 470), (1100, 660), (100, 660)], fill=(47, 127, 168))
    draw.polygon([(220, 470), (980, 470), (1100, 660), (100, 660)], outline="white", width=6)
    draw.line([(160, 565), (1040, 565)], fill="white", width=6)
    draw.rectangle((150, 420, 1050, 430), fill=(7, 61, 39))
    draw.line([(600, 470), (600, 660)], fill="white", width=4)


def _room(draw, seed):
    draw.rectangle((0, 0, 1200, 470), fill=(238, 245, 241))
    draw.rectangle((380, 90, 820, 350), fill="white", outline=(11, 93, 59), width=10)
    draw.line(
        [(420, 300), (520, 200), (600, 270), (660, 220), (780, 300)], fill=(31, 122, 77), width=10
    )
    draw.rectangle((300, 400, 900, 440), fill=(11, 93, 59))
    for x in (230, 930):
        draw.rounded_rectangle((x, 380, x + 50, 470), radius=10, fill=(77, 90, 84))


def _other(draw, seed):
    draw.polygon([(480, 300), (600, 200), (720, 300)], fill=(11, 93, 59))
    draw.rectangle((480, 300, 720, 480), fill="white")
    draw.rectangle((570, 380, 630, 480), fill=(11, 93, 59))


SCENES = {"hall": _hall, "field": _field, "park": _park, "court": _court, "room": _room}


def _caption(draw, name: str) -> None:
    font = _font(56)
    box = draw.textbbox((0, 0), name, font=font)
    text_width = box[2] - box[0]
    while text_width > SIZE[0] - 120 and font.size > 28:
        font = _font(font.size - 4)
        box = draw.textbbox((0, 0), name, font=font)
        text_width = box[2] - box[0]
    draw.rounded_rectangle(
        (40, 40, 40 + text_width + 60, 60 + box[3] + 40), radius=18, fill=(7, 61, 39)
    )
    draw.text((70, 60), name, font=font, fill="white")


def _font(size: int):
    for path in FONT_PATHS:
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)  # Pillow's own font: an image without DejaVu
