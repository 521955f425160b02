"""The API's JSON parser: DRF's, refusing bodies nested deeper than any request of ours.

Python's json module parses nesting recursively: about a thousand `[` raise RecursionError,
which DRF's parser does not catch (it catches ValueError), so the request became a 500. Less
deep bodies parse but then walk recursive code further on (serializers, error flattening). No
body of this API nests more than two or three levels, so anything deeper than MAX_DEPTH is
refused as malformed, a ParseError, which the exception handler answers with a 400
`malformed_json`.
"""

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_DEPTH = 32
# The ParseError's code, so that the answer says why (the code clients see stays malformed_json).
TOO_DEEP = "too_deep"


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            document = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(too_deep(), code=TOO_DEEP) from None
        if depth_exceeds(document, MAX_DEPTH):
            raise ParseError(too_deep(), code=TOO_DEEP)
        return document


def too_deep() -> str:
    return _("The JSON body is nested more than %(depth)s levels deep.") % {"depth": MAX_DEPTH}


def depth_exceeds(document, limit: int) -> bool:
    """Whether lists and objects nest more than `limit` levels in `document` (walked without
    recursion: the document may be as deep as the parser allowed)."""
    pending = [(document, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict):
            value = value.values()
        elif not isinstance(value, list):
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in value)
    return False
