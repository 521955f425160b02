"""Facts about the city of Depok that several apps share."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Kecamatan(models.TextChoices):
    BEJI = "beji", "Beji"
    BOJONGSARI = "bojongsari", "Bojongsari"
    CILODONG = "cilodong", "Cilodong"
    CIMANGGIS = "cimanggis", "Cimanggis"
    CINERE = "cinere", "Cinere"
    CIPAYUNG = "cipayung", "Cipayung"
    LIMO = "limo", "Limo"
    PANCORAN_MAS = "pancoran-mas", "Pancoran Mas"
    SAWANGAN = "sawangan", "Sawangan"
    SUKMAJAYA = "sukmajaya", "Sukmajaya"
    TAPOS = "tapos", "Tapos"


# A generous box around the city's boundary, used to refuse coordinates that are clearly
# elsewhere (a swapped latitude/longitude, a venue in Jakarta).
LATITUDE_RANGE = (-6.50, -6.30)
LONGITUDE_RANGE = (106.70, 106.92)

WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]
