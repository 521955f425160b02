"""What the staff actions of the admin share: a page that asks for a reason, and a report of
what was done and what was refused, object by object.

An action calls a service once per selected object, each in its own transaction, so a
refused object (already decided, no longer possible) leaves the others done.
"""

from collections.abc import Callable, Iterable

from django import forms
from django.contrib import messages
from django.contrib.admin import helpers
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

# The hidden field that the reason page posts back, so the action knows the reason is given.
APPLY = "apply"
# Set by the decision buttons of an object's own page: come back to that page afterwards.
FROM_OBJECT = "_from_object"


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 4, "cols": 70}),
        error_messages={"required": _("Please give a reason.")},
        help_text=_("Sent to each person concerned, and kept in the history."),
    )


def reason_form(request, form_class: type[ReasonForm] = ReasonForm) -> ReasonForm:
    """Bound when the reason page was sent, unbound on the way to it. An action that needs
    more than the reason passes a subclass of ReasonForm with the other fields."""
    return form_class(request.POST if APPLY in request.POST else None)


def reason_page(
    modeladmin,
    request,
    objects: list,
    *,
    form: ReasonForm,
    action: str,
    title,
    intro,
    submit_label,
    columns: list,
    rows: list[tuple[list, str]],
) -> TemplateResponse:
    """The intermediate page of an action that needs a reason. `rows` holds, for each
    object, its cells under `columns` and a note ("" when the action applies to it)."""
    opts = modeladmin.model._meta
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "intro": intro,
        "submit_label": submit_label,
        "opts": opts,
        "objects": objects,
        "columns": columns,
        "rows": rows,
        "form": form,
        "action": action,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "apply_name": APPLY,
        "from_object_name": FROM_OBJECT,
        "from_object": FROM_OBJECT in request.POST,
        "media": modeladmin.media + form.media,
    }
    request.current_app = modeladmin.admin_site.name
    return TemplateResponse(request, "admin/reason_action.html", context)


def apply_each(
    modeladmin,
    request,
    objects: Iterable,
    change: Callable,
    *,
    errors: type[Exception] | tuple[type[Exception], ...],
    done: Callable[[int], str],
    refused,
) -> int:
    """Call `change(obj)` for each object. One message tells what was done (`done(count)`,
    an ngettext text with "%(count)d" and "%(objects)s", their names); each refusal gets its
    own message (`refused`, with "%(object)s" and "%(message)s"). Returns how many were done."""
    changed, refusals = [], []
    for obj in objects:
        try:
            change(obj)
        except errors as error:
            refusals.append(refused % {"object": obj, "message": error.message})
        else:
            changed.append(str(obj))
    if changed:
        modeladmin.message_user(
            request,
            done(len(changed)) % {"count": len(changed), "objects": ", ".join(changed)},
            messages.SUCCESS,
        )
    for refusal in refusals:
        modeladmin.message_user(request, refusal, messages.ERROR)
    return len(changed)


def back_to_object(modeladmin, request, objects: list):
    """After a decision taken on an object's own page, go back to that page; None (the
    change list) otherwise."""
    if FROM_OBJECT in request.POST and len(objects) == 1:
        opts = modeladmin.model._meta
        return HttpResponseRedirect(
            reverse(
                f"admin:{opts.app_label}_{opts.model_name}_change",
                args=[objects[0].pk],
                current_app=modeladmin.admin_site.name,
            )
        )
    return None
