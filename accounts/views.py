from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.db.models import F
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts import services, whatsapp
from accounts.forms import (
    ApiTokenForm,
    DeleteAccountForm,
    ProfileForm,
    WhatsAppCodeForm,
    WhatsAppNumberForm,
)
from accounts.models import ApiToken
from bookings import whatsapp as bookings_whatsapp
from communities.services import communities_left_without_organizer
from haidepok.pwa import absolute


def _profile_page(
    request,
    *,
    form=None,
    new_key=None,
    status=200,
    profile_form=None,
    number_form=None,
    code_form=None,
):
    # Active tokens (no revoked_at) first, on every database.
    tokens = request.user.api_tokens.order_by(
        F("revoked_at").desc(nulls_first=True), "-created_at", "-id"
    )
    feed_token = services.calendar_feed_token(user=request.user).token
    return render(
        request,
        "accounts/profile.html",
        {
            "form": form or ApiTokenForm(),
            "profile_form": profile_form or ProfileForm(instance=request.user),
            "tokens": tokens,
            "new_key": new_key,
            "whatsapp_available": bookings_whatsapp.is_configured(),
            "whatsapp_pending": whatsapp.pending_verification(request.user),
            "number_form": number_form or WhatsAppNumberForm(),
            "code_form": code_form or WhatsAppCodeForm(),
            # The template shows the organizers' link only to who manages something.
            "calendar_feed_url": absolute(reverse("resident_calendar_feed", args=[feed_token])),
            "organizer_feed_url": absolute(reverse("organizer_calendar_feed", args=[feed_token])),
        },
        status=status,
    )


@login_required
def profile(request):
    if request.method != "POST":
        return _profile_page(request)
    form = ProfileForm(request.POST, instance=request.user)
    if not form.is_valid():
        return _profile_page(request, profile_form=form, status=400)
    user = form.save()
    response = redirect("profile")
    if user.language:
        # The site follows the preferred language from now on, in this browser too.
        translation.activate(user.language)
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, user.language, samesite="Lax")
    messages.success(request, _("Your profile is saved."))
    return response


@login_required
def account_delete(request):
    form = DeleteAccountForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.account_delete(user=request.user)
        except services.AccountError as error:
            return render(
                request,
                "accounts/account_delete.html",
                {"form": form, "refusal": error.message},
                status=409,
            )
        logout(request)
        messages.success(request, _("Your account is deleted. Thank you for using Hai Depok."))
        return redirect("home")
    # Said before the password is typed; the service refuses it again, under a lock.
    orphaned = communities_left_without_organizer(user=request.user, lock=False)
    refusal = services.last_organizer_refusal(orphaned) if orphaned else ""
    return render(request, "accounts/account_delete.html", {"form": form, "refusal": refusal})


@never_cache  # the page shows a new key once: no cache may keep a copy
@login_required
@require_POST
def api_token_new(request):
    form = ApiTokenForm(request.POST)
    if not form.is_valid():
        return _profile_page(request, form=form, status=400)
    token, raw_key = services.api_token_create(user=request.user, name=form.cleaned_data["name"])
    # The key is in this response only, never stored: not in a message, a session or a URL.
    return _profile_page(request, new_key={"token": token, "key": raw_key})


@login_required
@require_POST
def api_token_revoke(request, token_id: int):
    try:
        token = services.api_token_revoke(user=request.user, token_id=token_id)
    except ApiToken.DoesNotExist:
        raise Http404 from None  # another resident's token is as unknown as a missing one
    messages.success(request, _("The token “%(name)s” is revoked.") % {"name": token.name})
    return redirect("profile")


# --- WhatsApp notifications (accounts.whatsapp) -----------------------------------------------


@login_required
@require_POST
def whatsapp_request_code(request):
    form = WhatsAppNumberForm(request.POST)
    if not form.is_valid():
        return _profile_page(request, number_form=form, status=400)
    try:
        number = whatsapp.whatsapp_request_code(
            user=request.user, number=form.cleaned_data["number"]
        )
    except whatsapp.WhatsAppOptInError as error:
        form.add_error("number", error.message)
        return _profile_page(request, number_form=form, status=409)
    messages.success(
        request,
        _("We sent a code to %(number)s by WhatsApp. It is valid for 10 minutes.")
        % {"number": number},
    )
    return redirect(reverse("profile") + "#whatsapp")


@login_required
@require_POST
def whatsapp_confirm(request):
    form = WhatsAppCodeForm(request.POST)
    if not form.is_valid():
        return _profile_page(request, code_form=form, status=400)
    try:
        whatsapp.whatsapp_confirm(user=request.user, code=form.cleaned_data["code"])
    except whatsapp.WhatsAppOptInError as error:
        form.add_error("code", error.message)
        return _profile_page(request, code_form=form, status=409)
    messages.success(request, _("Your number is verified: we now also send you WhatsApp."))
    return redirect(reverse("profile") + "#whatsapp")


@login_required
@require_POST
def whatsapp_opt_out(request):
    whatsapp.whatsapp_opt_out(user=request.user)
    messages.success(request, _("We no longer send you WhatsApp. Mails go on as before."))
    return redirect(reverse("profile") + "#whatsapp")


# --- Calendar feeds (bookings/feed_views.py) --------------------------------------------------


@login_required
@require_POST
def calendar_feed_reset(request):
    services.calendar_feed_token_reset(user=request.user)
    messages.success(request, _("Your calendar links are new: the old ones no longer work."))
    return redirect(reverse("profile") + "#calendar")
