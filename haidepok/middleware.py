from django.conf import settings
from django.utils import translation


class PreferredLanguageMiddleware:
    """A signed-in resident's preferred language, unless this browser chose one (the language
    switch sets a cookie). Runs after the session and authentication middleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES
            and user.language
        ):
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)
