"""What the page cache (haidepok/page_cache.py) needs to know of facilities: the scope of one
facility's pages (its page with the week, its availability grid, its calendar feed), which its
bookings change; and the scope of the city's calendar feed, which every facility's bookings
change."""

from haidepok import page_cache

CITY_CALENDAR_SCOPE = "city-calendar"


def facility_scope(facility_id: int) -> str:
    return f"facility:{facility_id}"


def facility_changed(facility_id: int) -> None:
    """Something only this facility's pages show changed: its bookings."""
    page_cache.changed(facility_scope(facility_id))


def city_calendar_changed() -> None:
    """A booking of any facility changed: the city's calendar feed shows them all."""
    page_cache.changed(CITY_CALENDAR_SCOPE)
