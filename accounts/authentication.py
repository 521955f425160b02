"""How the JSON API knows who is calling: a personal API token, or the browser's session."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from accounts.services import api_token_for_key, api_token_touch

KEYWORDS = ("bearer", "token")


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <key>` (or `Token <key>`) with a key from the profile page."""

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() not in {k.encode() for k in KEYWORDS}:
            return None  # not ours: another scheme, or no header at all
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                _("Send the API token as: Authorization: Bearer <key>.")
            )
        try:
            raw_key = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(
                _("This API token is not valid or has been revoked.")
            ) from None
        token = api_token_for_key(raw_key)
        if token is None:
            raise exceptions.AuthenticationFailed(
                _("This API token is not valid or has been revoked.")
            )
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("This account is inactive."))
        api_token_touch(token)
        return token.user, token

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class CsrfFailed(exceptions.PermissionDenied):
    default_detail = _("The CSRF check failed. Reload the page and try again.")
    default_code = "csrf_failed"


class SessionAuthentication(authentication.SessionAuthentication):
    """DRF's session authentication (CSRF enforced on writes), with a distinct error code."""

    def enforce_csrf(self, request):
        try:
            super().enforce_csrf(request)
        except exceptions.PermissionDenied:
            raise CsrfFailed() from None


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = ApiTokenAuthentication
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token from /akun/profil/ (`Token <key>` works too).",
        }


class SessionScheme(OpenApiAuthenticationExtension):
    target_class = SessionAuthentication
    name = "session"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": "sessionid"}
