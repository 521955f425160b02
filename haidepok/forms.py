"""What the site's forms do with a service's answer: show its refusal where it belongs, or
show the form read-only to someone who may look but not change."""

from django.core.exceptions import ValidationError


def show_refusal(form, error: ValidationError, rename: dict[str, str] | None = None) -> None:
    """Put a service's ValidationError on `form`: each field's errors next to that field
    (`rename` maps the service's field names to the form's), the rest above the form."""
    rename = rename or {}
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        field = rename.get(field, field)
        form.add_error(field if field in form.fields else None, errors)


def read_only(form) -> None:
    """Every field shown disabled; the page leaves out its Save button."""
    for field in form.fields.values():
        field.disabled = True
