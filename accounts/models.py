import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _

from haidepok import clock


class EmailUserManager(UserManager):
    """Users sign in by email; there is no username."""

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    username = None
    first_name = None
    last_name = None
    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    # Empty: no preference, the site follows the browser and mails are in Indonesian.
    language = models.CharField(
        _("preferred language"),
        max_length=8,
        choices=settings.LANGUAGES,
        blank=True,
        default="",
    )

    # WhatsApp notifications (bookings.channels.WhatsAppChannel): the number in E.164
    # (+62...), set only once its owner typed the code we sent there (accounts.whatsapp).
    whatsapp_number = models.CharField(_("WhatsApp number"), max_length=16, blank=True)
    whatsapp_verified_at = models.DateTimeField(
        _("WhatsApp number verified at"), null=True, blank=True
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = EmailUserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.full_name or self.email

    @property
    def whatsapp_address(self) -> str:
        """The number WhatsApp notifications go to: a verified one, or none."""
        return self.whatsapp_number if self.whatsapp_verified_at else ""

    def get_full_name(self):
        return self.full_name

    def get_short_name(self):
        return self.full_name.split(" ")[0] if self.full_name else self.email


class ApiTokenQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class ApiToken(models.Model):
    """A personal key for the JSON API, made by a resident on their profile page.

    Only a SHA-256 hash of the key is kept: the key itself is shown once, when it is made, and
    a stolen copy of the database lets nobody in. The prefix lets the resident tell their
    tokens apart. A revoked token stays (revoked_at set) so the admin can see it existed.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    name = models.CharField(_("name"), max_length=100)
    key_hash = models.CharField(_("key hash (SHA-256)"), max_length=64, unique=True)
    prefix = models.CharField(_("key prefix"), max_length=16)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "revoked_at"], name="api_token_user_idx")]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class WhatsAppVerification(models.Model):
    """A code sent by WhatsApp to a number a resident wants their notifications at: typed back
    on the profile, it proves the number is theirs (accounts.whatsapp).

    One per user at a time (a new code replaces the old). Only a keyed hash of the code is
    kept (HMAC with SECRET_KEY: six digits are too few for a plain hash to hide them); it is
    valid for a few minutes and a few tries.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="whatsapp_verification",
    )
    number = models.CharField(_("WhatsApp number"), max_length=16)
    code_hash = models.CharField(_("code hash"), max_length=64)
    sent_at = models.DateTimeField(_("sent at"))
    expires_at = models.DateTimeField(_("expires at"))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)

    class Meta:
        verbose_name = _("WhatsApp verification")
        verbose_name_plural = _("WhatsApp verifications")

    def __str__(self):
        return f"{self.user} → {self.number}"


def new_calendar_feed_token() -> str:
    """128 random bits: the feed's URL is its only key, so nobody finds it by trying."""
    return secrets.token_urlsafe(16)


class CalendarFeedToken(models.Model):
    """The secret part of a resident's calendar feed URLs (/kalender/saya/<token>.ics, and
    /kalender/pengelola/<token>.ics for an organizer): calendar programs fetch them without
    signing in. Made when the profile first shows the links; a reset gives a new token, and the
    old URLs answer 404 at once.

    Kept as it is, not hashed as API keys are: the profile shows the link again on every visit
    (a calendar program cannot be told a key once), and it opens a read-only calendar, nothing
    more."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="calendar_feed_token",
    )
    token = models.CharField(
        _("token"), max_length=43, unique=True, default=new_calendar_feed_token, editable=False
    )
    created_at = models.DateTimeField(_("created at"), default=clock.now, editable=False)

    class Meta:
        verbose_name = _("calendar feed token")
        verbose_name_plural = _("calendar feed tokens")

    def __str__(self):
        return f"{self.user} ({self.token[:4]}…)"
