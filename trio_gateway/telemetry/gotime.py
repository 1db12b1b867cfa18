"""Go's `time.Time.Format` for the layouts log patterns use (`2006/01/02 - 15:04:05.000`).

A port of the chunking of Go's `src/time/format.go` (`nextStdChunk`): the reference time
`Mon Jan 2 15:04:05 MST 2006` spelled in a layout names each field; everything else is literal.
"""

from __future__ import annotations

import datetime

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
    out: list[str] = []
    i = 0
    while i < len(layout):
        found = _token(layout, i, when)
        if found is None:
            out.append(layout[i])
            i += 1
        else:
            out.append(found[0])
            i += found[1]
    return "".join(out)
