"""Why a booking cannot be checked in at the venue: a stable code and a translated message,
as bookings.errors does for the booking's own changes."""

from django.utils.translation import gettext_lazy as _

MESSAGES = {
    "not_allowed": _("Only the facility's organizers and Pemkot staff may check a booking in."),
    "not_approved": _("A booking that is %(status)s cannot be checked in."),
    "too_early": _("Check-in opens %(minutes)s minutes before the start, at %(opens)s WIB."),
    "ended": _("This booking has ended: it can no longer be checked in."),
    "already_checked_in": _("Already checked in at %(time)s WIB by %(actor)s."),
}


class CheckInError(Exception):
    """The check-in was refused; nothing was written."""

    def __init__(self, code: str, **params):
        if code not in MESSAGES:
            raise ValueError(f"unknown check-in error code {code!r}")
        self.code = code
        self.params = params
        super().__init__(code)

    @property
    def message(self) -> str:
        text = str(MESSAGES[self.code])
        return text % self.params if self.params else text

    def __str__(self):
        return f"{self.code}: {self.message}"
