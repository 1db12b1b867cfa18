"""Go's `time.Time.Format` for the layouts log patterns use (`2006/01/02 - 15:04:05.000`).

A port of the chunking of Go's `src/time/format.go` (`nextStdChunk`): the reference time
`Mon Jan 2 15:04:05 MST 2006` spelled in a layout names each field; everything else is literal.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable

__all__ = ["go_format"]

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_ZONES = (  # longest first, as nextStdChunk tries them
    "-07:00:00",
    "-070000",
    "-07:00",
    "-0700",
    "-07",
)


def _zone(when: datetime.datetime, token: str) -> str:
    offset = when.utcoffset() or datetime.timedelta(0)
    seconds = int(offset.total_seconds())
    if token.startswith("Z"):
        if seconds == 0:
            return "Z"
        token = "-" + token[1:]
    sign = "-" if seconds < 0 else "+"
    seconds = abs(seconds)
    hours, minutes, secs = seconds // 3600, seconds // 60 % 60, seconds % 60
    colon = ":" in token
    text = f"{sign}{hours:02d}"
    if token in ("-07",):
        return text
    text += (":" if colon else "") + f"{minutes:02d}"
    if token in ("-07:00:00", "-070000"):
        text += (":" if colon else "") + f"{secs:02d}"
    return text


def _fraction(when: datetime.datetime, digit: str, width: int, sep: str) -> str:
    nanos = f"{when.microsecond:06d}000"[:width]
    if digit == "9":  # trailing zeros dropped, and the separator with them when all are
        nanos = nanos.rstrip("0")
        return sep + nanos if nanos else ""
    return sep + nanos


def _token(layout: str, i: int, when: datetime.datetime) -> tuple[str, int] | None:
    """The text for a std chunk at `layout[i:]` and its length, or None for a literal char."""
    rest = layout[i:]
    c = rest[0]
    if c == "J" and rest.startswith("Jan"):
        if rest.startswith("January"):
            return _MONTHS[when.month - 1], 7
        return _MONTHS[when.month - 1][:3], 3
    if c == "M":
        if rest.startswith("Monday"):
            return _DAYS[when.weekday()], 6
        if rest.startswith("Mon"):
            return _DAYS[when.weekday()][:3], 3
        if rest.startswith("MST"):
            return when.tzname() or "UTC", 3
    if c == "0" and len(rest) > 1:
        if rest.startswith("002"):
            return f"{when.timetuple().tm_yday:03d}", 3
        values = {
            "1": f"{when.month:02d}",
            "2": f"{when.day:02d}",
            "3": f"{(when.hour % 12) or 12:02d}",
            "4": f"{when.minute:02d}",
            "5": f"{when.second:02d}",
            "6": f"{when.year % 100:02d}",
        }
        if rest[1] in values:
            return values[rest[1]], 2
    if c == "1":
        if rest.startswith("15"):
            return f"{when.hour:02d}", 2
        return str(when.month), 1
    if c == "2":
        if rest.startswith("2006"):
            return f"{when.year:04d}", 4
        return str(when.day), 1
    if c == "_":
        if rest.startswith("_2") and not rest.startswith("_2006"):
            return f"{when.day:>2d}", 2
        if rest.startswith("__2"):
            return f"{when.timetuple().tm_yday:>3d}", 3
    if c == "3":
        return str((when.hour % 12) or 12), 1
    if c == "4":
        return str(when.minute), 1
    if c == "5":
        return str(when.second), 1
    if c == "P" and rest.startswith("PM"):
        return ("PM" if when.hour >= 12 else "AM"), 2
    if c == "p" and rest.startswith("pm"):
        return ("pm" if when.hour >= 12 else "am"), 2
    if c in "-Z":
        for zone in _ZONES:
            token = zone if c == "-" else "Z" + zone[1:]
            if rest.startswith(token):
                return _zone(when, token), len(token)
    if c in ".," and len(rest) > 1 and rest[1] in "09":
        digit = rest[1]
        width = 1
        while width + 1 < len(rest) and rest[width + 1] == digit:
            width += 1
        after = rest[width + 1 : width + 2]
        if not after.isdigit():  # Go: a fraction is not followed by another digit
            return _fraction(when, digit, width, c), width + 1
    return None


def go_format(when: datetime.datetime, layout: str) -> str:
    """`when.Format(layout)` as Go writes it."""
    return "".join(piece if type(piece) is str else piece(when) for piece in _compile(layout))  # type: ignore[operator]


_Piece = str | Callable[[datetime.datetime], str]


@functools.lru_cache(maxsize=64)
def _compile(layout: str) -> tuple[_Piece, ...]:
    """The layout as literal runs and one function per std chunk (found once per layout: whether
    a chunk is std does not depend on the time)."""
    probe = datetime.datetime(2006, 1, 2, 15, 4, 5, tzinfo=datetime.UTC)
    pieces: list[_Piece] = []
    literal: list[str] = []
    i = 0
    while i < len(layout):
        found = _token(layout, i, probe)
        if found is None:
            literal.append(layout[i])
            i += 1
            continue
        if literal:
            pieces.append("".join(literal))
            literal = []
        chunk = layout[i : i + found[1]]
        pieces.append(_FIELDS.get(chunk) or functools.partial(_chunk, chunk))
        i += found[1]
    if literal:
        pieces.append("".join(literal))
    return tuple(pieces)


def _chunk(chunk: str, when: datetime.datetime) -> str:
    found = _token(chunk, 0, when)
    assert found is not None
    return found[0]


def _hour12(when: datetime.datetime) -> int:
    return (when.hour % 12) or 12


# The fixed-width std chunks, formatted directly (the others go through `_token`).
_FIELDS: dict[str, Callable[[datetime.datetime], str]] = {
    "2006": lambda w: f"{w.year:04d}",
    "06": lambda w: f"{w.year % 100:02d}",
    "01": lambda w: f"{w.month:02d}",
    "1": lambda w: str(w.month),
    "Jan": lambda w: _MONTHS[w.month - 1][:3],
    "January": lambda w: _MONTHS[w.month - 1],
    "02": lambda w: f"{w.day:02d}",
    "2": lambda w: str(w.day),
    "_2": lambda w: f"{w.day:>2d}",
    "15": lambda w: f"{w.hour:02d}",
    "03": lambda w: f"{_hour12(w):02d}",
    "3": lambda w: str(_hour12(w)),
    "04": lambda w: f"{w.minute:02d}",
    "4": lambda w: str(w.minute),
    "05": lambda w: f"{w.second:02d}",
    "5": lambda w: str(w.second),
    "Mon": lambda w: _DAYS[w.weekday()][:3],
    "Monday": lambda w: _DAYS[w.weekday()],
}
