"""HTML5 date and time inputs that always carry ISO values.

A browser's <input type="date"> accepts only YYYY-MM-DD (and type="time" only HH:MM), while
Django writes a value in the active locale's format: in Indonesian 03-12-2026 and 10.00,
which the browser shows as empty. These widgets pin the wire format; the browser shows it
to the resident in their own locale.
"""

from django import forms


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%H:%M")


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")
