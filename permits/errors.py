"""Why a booking cannot be checked in at the venue: a stable code and a translated message,
as bookings.errors does for the booking's own changes."""

from django.utils.translation import gettext_lazy as _

from haidepok.errors import CodedError

MESSAGES = {
    "not_allowed": _("Only the facility's organizers and Pemkot staff may check a booking in."),
    "not_approved": _("A booking that is %(status)s cannot be checked in."),
    "too_early": _("Check-in opens %(minutes)s minutes before the start, at %(opens)s WIB."),
    "ended": _("This booking has ended: it can no longer be checked in."),
    "already_checked_in": _("Already checked in at %(time)s WIB by %(actor)s."),
}


class CheckInError(CodedError):
    """The check-in was refused; nothing was written."""

    MESSAGES = MESSAGES
    subject = "check-in"
