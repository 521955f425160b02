"""What the page cache (haidepok/page_cache.py) needs to know of facilities: the scope of one
facility's pages (its page with the week, its availability grid), which its bookings change."""

from haidepok import page_cache


def facility_scope(facility_id: int) -> str:
    return f"facility:{facility_id}"


def facility_changed(facility_id: int) -> None:
    """Something only this facility's pages show changed: its bookings."""
    page_cache.changed(facility_scope(facility_id))
