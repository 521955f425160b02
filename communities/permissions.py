"""Who may do what to a community and its facilities: the one resolver that the workspace
(/kelola/...), its templates, the services and the booking rules ask.

Organizers of a community may do everything in the workspace to it and its facilities.
Anyone else may do exactly what the Django admin lets them do: an active staff account (the
admin's door) holding the model permission for the change (Pemkot staff through their group,
see bookings/migrations/0003; a superuser through being one). The is_staff flag alone allows
nothing. Who may not even view an object gets a 404, as if it did not exist.
"""

from django.http import Http404

from communities.models import Community, Membership
from facilities.models import Facility

# The model permissions that allow, in the admin, what each workspace action does. Replacing
# the opening hours deletes and adds intervals; the photos' upload is an add even though the
# admin itself takes no uploads (they skip the image checks there).
ACTIONS: dict[str, tuple[str, ...]] = {
    "invite_organizers": ("communities.add_membership",),
    "remove_organizers": ("communities.delete_membership",),
    "add_facility": ("facilities.add_facility",),
    "edit_facility": ("facilities.change_facility",),
    "edit_opening_hours": (
        "facilities.add_openinghours",
        "facilities.change_openinghours",
        "facilities.delete_openinghours",
    ),
    "add_closure": ("facilities.add_closure",),
    "delete_closure": ("facilities.delete_closure",),
    "add_photo": ("facilities.add_facilityphoto",),
    "change_photos": ("facilities.change_facilityphoto",),
    "delete_photo": ("facilities.delete_facilityphoto",),
    # The retribusi: a facility's tariffs, and the add-ons a community lends (facilities/tariffs.py).
    "edit_tariffs": (
        "facilities.add_tariff",
        "facilities.change_tariff",
        "facilities.delete_tariff",
    ),
    "edit_addons": (
        "facilities.add_addon",
        "facilities.change_addon",
        "facilities.delete_addon",
    ),
}


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


def is_organizer(user, community_id: int | None) -> bool:
    if not user.is_authenticated or community_id is None:
        return False
    return Membership.objects.filter(
        user=user, community_id=community_id, role=Membership.Role.ORGANIZER
    ).exists()


def has_admin_permission(user, *permissions: str) -> bool:
    """What the Django admin lets `user` do: open it (an active staff account) and hold every
    one of `permissions`, through a group, directly, or as a superuser."""
    return (
        user.is_authenticated and user.is_active and user.is_staff and user.has_perms(permissions)
    )


def _may(user, action: str, community_id: int | None) -> bool:
    # The permissions first: Django caches them on the user, the membership costs a query.
    return has_admin_permission(user, *ACTIONS[action]) or is_organizer(user, community_id)


def rights(user, community_id: int) -> dict[str, bool]:
    """Every action above for `user` in one community: what a page offers (one query)."""
    organizer = is_organizer(user, community_id)
    return {
        action: organizer or has_admin_permission(user, *permissions)
        for action, permissions in ACTIONS.items()
    }


# --- Communities ---------------------------------------------------------------------------


def can_view_community(user, community: Community) -> bool:
    # As the admin's has_view_permission: the right to change includes the right to look.
    return (
        has_admin_permission(user, "communities.view_community")
        or has_admin_permission(user, "communities.change_community")
        or is_organizer(user, community.pk)
    )


def can_invite_organizers(user, community: Community) -> bool:
    return _may(user, "invite_organizers", community.pk)


def can_remove_organizers(user, community: Community) -> bool:
    return _may(user, "remove_organizers", community.pk)


def can_add_facility(user, community: Community) -> bool:
    return _may(user, "add_facility", community.pk)


def can_verify_communities(user) -> bool:
    """Pemkot staff with the right to change communities (the group's, or a superuser's)."""
    return user.is_staff and user.has_perm("communities.change_community")


# --- Facilities ----------------------------------------------------------------------------


def can_view_facility(user, facility: Facility) -> bool:
    return (
        has_admin_permission(user, "facilities.view_facility")
        or has_admin_permission(user, "facilities.change_facility")
        or is_organizer(user, facility.community_id)
    )


def can_edit_facility(user, facility: Facility) -> bool:
    """Its details, booking policy and publication."""
    return _may(user, "edit_facility", facility.community_id)


def can_edit_opening_hours(user, facility: Facility) -> bool:
    return _may(user, "edit_opening_hours", facility.community_id)


def can_add_closure(user, facility: Facility | None) -> bool:
    """`facility` None is a city-wide closure, which only the permission allows."""
    return _may(user, "add_closure", facility.community_id if facility else None)


def can_delete_closure(user, facility: Facility | None) -> bool:
    return _may(user, "delete_closure", facility.community_id if facility else None)


def can_add_photo(user, facility: Facility) -> bool:
    return _may(user, "add_photo", facility.community_id)


def can_change_photos(user, facility: Facility) -> bool:
    """Reorder the gallery, choose the cover."""
    return _may(user, "change_photos", facility.community_id)


def can_delete_photo(user, facility: Facility) -> bool:
    return _may(user, "delete_photo", facility.community_id)


def can_view_tariffs(user, facility: Facility) -> bool:
    """Who sees the facility's settings, and staff who may see or edit tariffs in the admin."""
    return (
        can_view_facility(user, facility)
        or has_admin_permission(user, "facilities.view_tariff")
        or has_admin_permission(user, *ACTIONS["edit_tariffs"])
    )


def can_edit_tariffs(user, facility: Facility) -> bool:
    """Add, change, end and delete the facility's tariffs."""
    return _may(user, "edit_tariffs", facility.community_id)


# --- Add-ons -------------------------------------------------------------------------------


def can_view_addons(user, community: Community) -> bool:
    """Who sees the community's page, and staff who may see or edit add-ons in the admin."""
    return (
        can_view_community(user, community)
        or has_admin_permission(user, "facilities.view_addon")
        or has_admin_permission(user, *ACTIONS["edit_addons"])
    )


def can_edit_addons(user, community: Community) -> bool:
    """Add add-ons to the community, change them (stock, price, where offered), withdraw them."""
    return _may(user, "edit_addons", community.pk)


# --- Fetching for a user -------------------------------------------------------------------


def managed_communities(user):
    """The communities of the workspace's home and booking pages: an organizer's own; every
    one for Pemkot staff."""
    if not user.is_authenticated:
        return Community.objects.none()
    if is_pemkot_staff(user):
        return Community.objects.all()
    return Community.objects.managed_by(user)


def communities_allowing(user, action: str, communities) -> set[int]:
    """The ids of `communities` in which `user` may do `action` (one query at most)."""
    ids = {community.pk for community in communities}
    if has_admin_permission(user, *ACTIONS[action]):
        return ids
    if not user.is_authenticated:
        return set()
    return set(
        Membership.objects.filter(
            user=user, community_id__in=ids, role=Membership.Role.ORGANIZER
        ).values_list("community_id", flat=True)
    )


def community_for_viewer(user, slug: str) -> Community:
    """The community, for someone who may at least view it; a 404 for anyone else."""
    community = Community.objects.filter(slug=slug).first()
    if community is None or not can_view_community(user, community):
        raise Http404
    return community


def facility_for_tariff_viewer(user, slug: str) -> Facility:
    """The facility, for someone who may at least see its tariffs; a 404 for anyone else."""
    facility = Facility.objects.select_related("community").filter(slug=slug).first()
    if facility is None or not can_view_tariffs(user, facility):
        raise Http404
    return facility


def community_for_addon_viewer(user, slug: str) -> Community:
    """The community, for someone who may at least see its add-ons; a 404 for anyone else."""
    community = Community.objects.filter(slug=slug).first()
    if community is None or not can_view_addons(user, community):
        raise Http404
    return community


def facility_for_viewer(user, slug: str) -> Facility:
    """The facility, for someone who may at least view it; a 404 for anyone else."""
    facility = Facility.objects.select_related("community").filter(slug=slug).first()
    if facility is None or not can_view_facility(user, facility):
        raise Http404
    return facility
