"""Use cases of communities: registration, verification by Pemkot staff, organizers."""

import secrets

from django.db import IntegrityError, transaction
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from bookings import notifications
from communities.models import Community, Invitation, Membership
from communities.permissions import (
    can_invite_organizers,
    can_remove_organizers,
    can_verify_communities,
)
from haidepok import clock


class CommunityError(Exception):
    def __init__(self, code: str, message):
        self.code = code
        self.message = str(message)
        super().__init__(self.message)


def unique_slug(model, name: str) -> str:
    base = slugify(name)[:150] or "komunitas"
    slug, number = base, 2
    while model.objects.filter(slug=slug).exists():
        slug, number = f"{base}-{number}", number + 1
    return slug


@transaction.atomic
def community_register(
    *,
    user,
    name: str,
    kecamatan: str,
    contact_name: str,
    phone: str,
    email: str,
    description: str = "",
    kelurahan: str = "",
    statement: str = "",
) -> Community:
    """A resident registers a community; it waits for Pemkot staff, with them as organizer."""
    community = Community.objects.create(
        name=name,
        slug=unique_slug(Community, name),
        kecamatan=kecamatan,
        kelurahan=kelurahan,
        contact_name=contact_name,
        phone=phone,
        email=email,
        description=description,
        statement=statement,
        status=Community.Status.PENDING,
    )
    Membership.objects.create(user=user, community=community, role=Membership.Role.ORGANIZER)
    return community


def community_verify(*, community: Community, actor) -> Community:
    return _decide(community, actor, Community.Status.VERIFIED, reason="")


def community_decline(*, community: Community, actor, reason: str) -> Community:
    if not reason or not reason.strip():
        raise CommunityError("reason_required", _("Please give a reason."))
    return _decide(community, actor, Community.Status.DECLINED, reason=reason.strip())


@transaction.atomic
def _decide(community: Community, actor, status: str, *, reason: str) -> Community:
    if not can_verify_communities(actor):
        raise CommunityError("not_allowed", _("Only Pemkot staff verify communities."))
    community = Community.objects.select_for_update().get(pk=community.pk)
    if community.status == status:
        raise CommunityError("already_decided", _("The community already has this status."))
    community.status = status
    community.status_reason = reason
    community.status_decided_by = actor
    community.status_decided_at = clock.now()
    community.save()
    # Through the outbox: an SMTP outage delays the mail, it does not fail the decision.
    notifications.notify_community_decision(community)
    return community


@transaction.atomic
def organizer_invite(*, community: Community, inviter, email: str) -> Invitation:
    """Invite `email` to organize `community`. Inviting an address again while its invitation
    is open sends the same invitation again (the first mail may have failed or been lost)."""
    if not can_invite_organizers(inviter, community):
        raise CommunityError("not_allowed", _("You may not invite organizers to this community."))
    email = email.strip().lower()
    if Membership.objects.filter(community=community, user__email__iexact=email).exists():
        raise CommunityError("already_member", _("This person is already an organizer here."))
    invitation = _open_invitation(community, email)
    if invitation is None:
        try:
            with transaction.atomic():
                invitation = Invitation.objects.create(
                    community=community,
                    email=email,
                    token=secrets.token_urlsafe(32),
                    invited_by=inviter,
                )
        except IntegrityError:
            # Invited by another organizer at the same moment: theirs is mailed.
            return _open_invitation(community, email)
    notifications.notify_invitation(invitation)
    return invitation


def _open_invitation(community: Community, email: str) -> Invitation | None:
    # Locked: two organizers re-inviting at once write one mail.
    return (
        Invitation.objects.select_for_update()
        .filter(community=community, email=email, accepted_at__isnull=True)
        .first()
    )


@transaction.atomic
def invitation_accept(*, token: str, user) -> Membership:
    """The invited person, signed in with the invited (verified) address, joins."""
    from allauth.account.models import EmailAddress

    invitation = (
        Invitation.objects.select_for_update()
        .filter(token=token, accepted_at__isnull=True)
        .select_related("community")
        .first()
    )
    if invitation is None:
        raise CommunityError("invalid_invitation", _("This invitation is no longer valid."))
    if not EmailAddress.objects.filter(
        user=user, email__iexact=invitation.email, verified=True
    ).exists():
        raise CommunityError(
            "wrong_account",
            _("This invitation is for %(email)s. Sign in with that (verified) address.")
            % {"email": invitation.email},
        )
    membership, _created = Membership.objects.get_or_create(
        user=user, community=invitation.community, defaults={"role": Membership.Role.ORGANIZER}
    )
    invitation.accepted_at = clock.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return membership


@transaction.atomic
def organizer_remove(*, community: Community, actor, user) -> None:
    if not can_remove_organizers(actor, community):
        raise CommunityError("not_allowed", _("You may not remove organizers of this community."))
    # Lock every organizer row: two organizers removing each other at once cannot leave none.
    organizers = list(
        Membership.objects.select_for_update().filter(
            community=community, role=Membership.Role.ORGANIZER
        )
    )
    removed = [membership for membership in organizers if membership.user_id == user.pk]
    if not removed:
        raise CommunityError("not_member", _("This person is not an organizer here."))
    if communities_left_without_organizer(user=user, communities=[community]):
        raise CommunityError("last_organizer", _("A community keeps at least one organizer."))
    removed[0].delete()


def communities_left_without_organizer(
    *, user, communities: list[Community] | None = None, lock: bool = True
) -> list[Community]:
    """The communities (of `communities`, or all) that would have no organizer left if `user`
    stopped organizing them: removed by another organizer, or deleting their account.

    With `lock` (inside a transaction), the organizer memberships of those communities stay
    locked until it ends, so that two organizers leaving at once cannot both be let go."""
    organized = Membership.objects.filter(user=user, role=Membership.Role.ORGANIZER)
    if communities is not None:
        organized = organized.filter(community__in=communities)
    community_ids = list(organized.values_list("community_id", flat=True))
    if not community_ids:
        return []
    memberships = Membership.objects.filter(
        community_id__in=community_ids, role=Membership.Role.ORGANIZER
    )
    if lock:
        memberships = memberships.select_for_update()
    others = {
        m.community_id for m in memberships.only("community_id", "user_id") if m.user_id != user.pk
    }
    return list(Community.objects.filter(pk__in=set(community_ids) - others).order_by("name", "pk"))
