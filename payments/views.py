"""The resident's payment pages (built in issue 13's site work)."""

from django.http import Http404


def pay(request, reference):
    raise Http404


def receipt(request, reference):
    raise Http404


def simulator(request, order_id):
    raise Http404
