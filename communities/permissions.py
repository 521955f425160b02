"""Who may manage a community and its facilities: the one rule the workspace, the booking
services and the API ask. Outsiders get a 404, as if the object did not exist."""

from django.http import Http404

from communities.models import Community, Membership


def is_pemkot_staff(user) -> bool:
    """Staff who act for the city: active staff accounts with the "Pemkot staff" group's right
    to change bookings (superusers have it too). The is_staff flag alone only opens the admin
    door; it decides nothing."""
    return (
        user.is_authenticated
        and user.is_active
        and user.is_staff
        and user.has_perm("bookings.change_booking")
    )


def is_organizer(user, community_id: int) -> bool:
    if not user.is_authenticated:
        return False
    return Membership.objects.filter(
        user=user, community_id=community_id, role=Membership.Role.ORGANIZER
    ).exists()


def can_verify_communities(user) -> bool:
    """Pemkot staff with the right to change communities (the group's, or a superuser's)."""
    return user.is_staff and user.has_perm("communities.change_community")


def managed_communities(user):
    if not user.is_authenticated:
        return Community.objects.none()
    if is_pemkot_staff(user):
        return Community.objects.all()
    return Community.objects.managed_by(user)


def community_for_manager(user, slug: str) -> Community:
    community = managed_communities(user).filter(slug=slug).first()
    if community is None:
        raise Http404
    return community
