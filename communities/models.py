from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from haidepok.depok import Kecamatan


class CommunityQuerySet(models.QuerySet):
    def verified(self):
        return self.filter(status=Community.Status.VERIFIED)

    def managed_by(self, user):
        """The communities in which `user` is an organizer."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(
            memberships__user=user, memberships__role=Membership.Role.ORGANIZER
        ).distinct()


class Community(models.Model):
    """A community (komunitas) that operates one or more public facilities with the city."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for verification")
        VERIFIED = "verified", _("Verified")
        DECLINED = "declined", _("Declined")

    name = models.CharField(_("name"), max_length=150)
    slug = models.SlugField(_("slug"), max_length=160, unique=True)
    description = models.TextField(_("description"), blank=True)
    statement = models.TextField(_("what the community does"), blank=True)
    kecamatan = models.CharField(_("kecamatan"), max_length=20, choices=Kecamatan.choices)
    kelurahan = models.CharField(_("kelurahan"), max_length=80, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=150)
    phone = models.CharField(_("phone"), max_length=32)
    email = models.EmailField(_("email"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    status_reason = models.TextField(_("reason for the decision"), blank=True)
    status_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    status_decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="communities"
    )

    objects = CommunityQuerySet.as_manager()
    # Every change (who, when, what), shown on the community's history page in the admin.
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("community")
        verbose_name_plural = _("communities")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "verified", "declined"]),
                name="community_status_valid",
            ),
        ]
        indexes = [models.Index(fields=["status"], name="community_status_idx")]

    def __str__(self):
        return self.name

    @property
    def is_verified(self) -> bool:
        return self.status == self.Status.VERIFIED


class Membership(models.Model):
    class Role(models.TextChoices):
        ORGANIZER = "organizer", _("Organizer")
        MEMBER = "member", _("Member")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.ORGANIZER)
    created_at = models.DateTimeField(_("joined at"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "community"], name="membership_unique"),
            models.CheckConstraint(
                condition=models.Q(role__in=["organizer", "member"]), name="membership_role_valid"
            ),
        ]

    def __str__(self):
        return f"{self.user} @ {self.community} ({self.get_role_display()})"


class Invitation(models.Model):
    """An organizer invites someone by email; it is accepted after they sign in."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("email"))
    token = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("invited at"), auto_now_add=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "email"],
                condition=models.Q(accepted_at__isnull=True),
                name="invitation_one_open_per_email",
            ),
        ]

    def __str__(self):
        return f"{self.email} → {self.community}"
