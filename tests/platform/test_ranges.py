"""Parsing a Range header (RFC 9110 §14.1.2): one byte range, suffix and open-ended, ignored when
malformed, unsatisfiable past the end."""
from __future__ import annotations

import pytest

from dubsite.ranges import Unsatisfiable, parse_range


@pytest.mark.parametrize("header, span", [
    (None, None), ("", None), ("bytes=0-99", (0, 99)), ("bytes=10-", (10, 999)), ("bytes=-100", (900, 999)),
    ("bytes=-5000", (0, 999)), ("bytes=990-5000", (990, 999)), ("BYTES = 1 - 2", (1, 2)),
    ("bytes=5-1", None), ("bytes=0-1,4-5", None), ("items=0-1", None), ("bytes=-", None), ("bytes=a-b", None),
])
def test_parse(header, span):
    assert parse_range(header, 1000) == span


@pytest.mark.parametrize("header", ["bytes=1000-", "bytes=1000-2000", "bytes=-0"])
def test_unsatisfiable(header):
    with pytest.raises(Unsatisfiable):
        parse_range(header, 1000)


def test_an_empty_body_has_no_satisfiable_range():
    with pytest.raises(Unsatisfiable):
        parse_range("bytes=0-", 0)
