from django.shortcuts import render

from facilities.selectors import published_facilities


def home(request):
    return render(request, "facilities/home.html", {"facilities": published_facilities()})
