"""Who may do what to a booking: the one resolver every entry point asks."""

from communities.permissions import is_organizer, is_pemkot_staff
from facilities.models import Facility


def is_organizer_of(user, facility: Facility) -> bool:
    return is_organizer(user, facility.community_id)


def can_manage_bookings_of(user, facility: Facility) -> bool:
    """Staff see and manage every booking; organizers those of their community's facilities."""
    return is_pemkot_staff(user) or is_organizer_of(user, facility)


def can_decide(user, facility: Facility) -> bool:
    """Approve or reject: Pemkot staff always; organizers where the facility delegates to them."""
    if is_pemkot_staff(user):
        return True
    return facility.approval == Facility.Approval.COMMUNITY and is_organizer_of(user, facility)
