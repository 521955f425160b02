"""Human booking references such as HD-7K3Q9P.

The alphabet leaves out characters that are easily confused when read aloud or typed from a
phone screen (0/O/D, 1/I/L, 2/Z, 5/S, 8/B, U/V), so a reference survives a phone call.
"""

import secrets

ALPHABET = "34679ACEFGHJKMNPQRTWXY"
PREFIX = "HD-"
LENGTH = 6


def new_reference() -> str:
    return PREFIX + "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalise_reference(text: str) -> str:
    """What a resident typed (lower case, no dash, spaces) in canonical form."""
    cleaned = "".join(text.split()).upper()
    if not cleaned.startswith(PREFIX):
        cleaned = PREFIX + cleaned.removeprefix("HD")
    return cleaned
