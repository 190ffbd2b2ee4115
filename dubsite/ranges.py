"""HTTP Range (RFC 9110 §14) for audio the server holds in memory: browsers' <audio> ask for
`bytes=0-` and then seek with further ranges; Safari refuses to play audio answered without 206.

One range per request (what media elements send). A malformed or multi-range header is ignored
(the whole body, 200, as the RFC allows); a range that starts past the end answers 416 with
`Content-Range: bytes */<size>` and the API's JSON error body.
"""
from __future__ import annotations

import hashlib
import re

from django.http import HttpResponse, JsonResponse

__all__ = ["parse_range", "ranged_response"]

_RANGE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$", re.IGNORECASE)


class Unsatisfiable(Exception):
    pass


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(first, last) byte positions, inclusive; None for "send it all"; Unsatisfiable for a 416."""
    if not header:
        return None
    match = _RANGE.match(header)
    if match is None:  # another unit, several ranges, junk: ignored
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # suffix: the last N bytes
        count = int(last)
        if count == 0:
            raise Unsatisfiable
        return max(size - count, 0), size - 1
    start = int(first)
    if last and int(last) < start:
        return None  # syntactically invalid: ignore the header
    if start >= size:
        raise Unsatisfiable
    return start, min(int(last) if last else size - 1, size - 1)


def ranged_response(request, data: bytes, content_type: str, *, filename: str | None = None) -> HttpResponse:
    """`data` whole (200) or the requested part (206), with Accept-Ranges and an ETag so a browser
    can resume or re-seek within the same version of the file (If-Range with another ETag: whole)."""
    size = len(data)
    etag = '"' + hashlib.blake2b(data, digest_size=12).hexdigest() + '"'
    header = request.META.get("HTTP_RANGE")
    if_range = request.META.get("HTTP_IF_RANGE")
    if if_range and if_range.strip() != etag:
        header = None  # the client's copy is another version: send the whole file
    try:
        span = parse_range(header, size)
    except Unsatisfiable:
        # the API's one error shape (dubsite.schemas.ErrorOut), with the size a client can retry within
        response = JsonResponse({"code": "range_not_satisfiable", "fields": {"Range": "starts past the end"},
                                 "message": f"the range starts past the end of the {size} bytes"}, status=416)
        response["Content-Range"] = f"bytes */{size}"
        response["Accept-Ranges"] = "bytes"
        return response
    if span is None:
        response = HttpResponse(data, content_type=content_type)
    else:
        first, last = span
        response = HttpResponse(data[first:last + 1], status=206, content_type=content_type)
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
    response["Accept-Ranges"] = "bytes"
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"  # revalidate: a line's dub changes when a take is chosen
    if filename:
        response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response
