"""Use cases of communities: registration, verification by Pemkot staff, organizers."""

import secrets

from django.db import IntegrityError, transaction
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from communities.models import Community, Invitation, Membership
from communities.permissions import can_verify_communities
from haidepok import clock
from haidepok.links import absolute_url
from haidepok.mail import send_templated_mail


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
    organizers = community.memberships.filter(role=Membership.Role.ORGANIZER).select_related("user")
    recipients = sorted({community.email, *(m.user.email for m in organizers)})
    send_templated_mail(
        to=recipients,
        template="communities/mail/verification",
        context={"community": community},
        language=organizers[0].user.language if organizers else "",
    )
    return community


@transaction.atomic
def organizer_invite(*, community: Community, inviter, email: str) -> Invitation:
    email = email.strip().lower()
    if Membership.objects.filter(community=community, user__email__iexact=email).exists():
        raise CommunityError("already_member", _("This person is already an organizer here."))
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(
                community=community,
                email=email,
                token=secrets.token_urlsafe(32),
                invited_by=inviter,
            )
    except IntegrityError:
        raise CommunityError(
            "already_invited", _("This email address is already invited.")
        ) from None
    send_templated_mail(
        to=[email],
        template="communities/mail/invitation",
        context={
            "community": community,
            "inviter": inviter,
            "accept_url": absolute_url("invitation_accept", token=invitation.token),
        },
    )
    return invitation


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
    # Lock every organizer row: two organizers removing each other at once cannot leave none.
    organizers = list(
        Membership.objects.select_for_update().filter(
            community=community, role=Membership.Role.ORGANIZER
        )
    )
    removed = [membership for membership in organizers if membership.user_id == user.pk]
    if not removed:
        raise CommunityError("not_member", _("This person is not an organizer here."))
    if len(organizers) <= 1:
        raise CommunityError("last_organizer", _("A community keeps at least one organizer."))
    removed[0].delete()
