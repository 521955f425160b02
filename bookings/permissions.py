"""Who may do what to a booking: the one resolver every entry point asks."""

from communities.permissions import has_admin_permission, is_organizer, is_pemkot_staff
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


def can_read_papers_of(user, booking) -> bool:
    """A booking's private papers (its supporting documents, its permit letter): the resident
    who made it; whoever manages the bookings of its facility (its organizers, Pemkot staff,
    who may change bookings); and staff whom the admin lets view bookings."""
    if not user.is_authenticated:
        return False
    if booking.user_id is not None and booking.user_id == user.pk:
        return True
    return has_admin_permission(user, "bookings.view_booking") or can_manage_bookings_of(
        user, booking.facility
    )
