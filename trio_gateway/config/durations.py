"""Go `time.Duration` text, parsed and formatted exactly as Go does.

KrakenD durations are Go duration strings (`"2s"`, `"1500ms"`, `"1h30m"`), parsed by
`time.ParseDuration`. The parser below is a line-by-line port of Go's (`src/time/format.go`),
working in integer nanoseconds with the same overflow rules, so that every string Go accepts is
accepted here with the same value and every string Go rejects is rejected. The formatter ports
`Duration.String` (`1m30s`, `1.5s`, `500ms`, `0s`), used by `check -d`.
"""

from __future__ import annotations

__all__ = [
    "format_duration",
    "format_duration_ns",
    "parse_duration",
    "parse_duration_ns",
]

_NANOSECOND = 1
_MICROSECOND = 1000 * _NANOSECOND
_MILLISECOND = 1000 * _MICROSECOND
_SECOND = 1000 * _MILLISECOND
_MINUTE = 60 * _SECOND
_HOUR = 60 * _MINUTE

_UNITS = {
    "ns": _NANOSECOND,
    "us": _MICROSECOND,
    "µs": _MICROSECOND,  # U+00B5 micro sign
    "μs": _MICROSECOND,  # U+03BC Greek small letter mu
    "ms": _MILLISECOND,
    "s": _SECOND,
    "m": _MINUTE,
    "h": _HOUR,
}

_MAX = 1 << 63  # Go accumulates in uint64 and accepts up to 1<<63 only for negative durations.
_DIGITS = "0123456789"


def _quote(text: str) -> str:
    # Go's strconv.Quote, close enough for error messages.
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _leading_int(s: str) -> tuple[int, str]:
    """Consume `[0-9]*`; raise OverflowError past 1<<63 (Go's errLeadingInt)."""
    x = 0
    i = 0
    while i < len(s) and s[i] in _DIGITS:
        if x > _MAX // 10:
            raise OverflowError
        x = x * 10 + ord(s[i]) - 48
        if x > _MAX:
            raise OverflowError
        i += 1
    return x, s[i:]


def _leading_fraction(s: str) -> tuple[int, float, str]:
    """Consume `[0-9]*` after the dot; on overflow stop accumulating precision (as Go does)."""
    x = 0
    scale = 1.0
    overflow = False
    i = 0
    while i < len(s) and s[i] in _DIGITS:
        if not overflow:
            if x > (_MAX - 1) // 10:
                overflow = True
            else:
                y = x * 10 + ord(s[i]) - 48
                if y > _MAX:
                    overflow = True
                else:
                    x = y
                    scale *= 10
        i += 1
    return x, scale, s[i:]


def parse_duration_ns(text: str) -> int:
    """Parse a Go duration string into integer nanoseconds.

    Grammar: `[-+]?([0-9]*(\\.[0-9]*)?[a-z]+)+`, units `ns us µs μs ms s m h`; `"0"` alone needs no
    unit. Examples: `"300ms"`, `"-1.5h"`, `"2h45m"`.

    Raises:
        ValueError: with Go's message minus the `time: ` prefix, e.g.
            `invalid duration "abc"`, `missing unit in duration "1"`,
            `unknown unit "x" in duration "1x"`.
    """
    invalid = ValueError(f"invalid duration {_quote(text)}")
    s = text
    neg = False
    if s and s[0] in "-+":
        neg = s[0] == "-"
        s = s[1:]
    if s == "0":
        return 0
    if not s:
        raise invalid
    total = 0
    while s:
        if not (s[0] == "." or s[0] in _DIGITS):
            raise invalid
        before = len(s)
        try:
            v, s = _leading_int(s)
        except OverflowError:
            raise invalid from None
        pre = before != len(s)
        f, scale, post = 0, 1.0, False
        if s and s[0] == ".":
            s = s[1:]
            before = len(s)
            f, scale, s = _leading_fraction(s)
            post = before != len(s)
        if not pre and not post:
            raise invalid
        i = 0
        while i < len(s) and not (s[i] == "." or s[i] in _DIGITS):
            i += 1
        if i == 0:
            raise ValueError(f"missing unit in duration {_quote(text)}")
        unit_text, s = s[:i], s[i:]
        unit = _UNITS.get(unit_text)
        if unit is None:
            raise ValueError(f"unknown unit {_quote(unit_text)} in duration {_quote(text)}")
        if v > _MAX // unit:
            raise invalid
        v *= unit
        if f > 0:
            # Go: float64 keeps fractions of hours nanosecond-accurate; the cast truncates.
            v += int(float(f) * (float(unit) / scale))
            if v > _MAX:
                raise invalid
        total += v
        if total > _MAX:
            raise invalid
    if neg:
        return -total
    if total > _MAX - 1:
        raise invalid
    return total


def parse_duration(text: str) -> float:
    """Parse a Go duration string into float seconds (`"1m30s"` -> `90.0`).

    Raises:
        ValueError: if `text` is not a valid Go duration (see `parse_duration_ns`).
    """
    return parse_duration_ns(text) / _SECOND


def _fmt_frac(value: int, prec: int) -> tuple[str, int]:
    """Go fmtFrac: the fraction of value/10**prec without trailing zeros, and the integer part."""
    digits = []
    printed = False
    for _ in range(prec):
        digit = value % 10
        printed = printed or digit != 0
        if printed:
            digits.append(str(digit))
        value //= 10
    frac = "." + "".join(reversed(digits)) if printed else ""
    return frac, value


def format_duration_ns(nanoseconds: int) -> str:
    """Format integer nanoseconds as Go's `Duration.String()` (`1h0m0s`, `1.5s`, `500ms`, `0s`)."""
    neg = nanoseconds < 0
    u = -nanoseconds if neg else nanoseconds
    if u < _SECOND:
        if u == 0:
            return "0s"
        if u < _MICROSECOND:
            text = f"{u}ns"
        else:
            prec, unit = (3, "µs") if u < _MILLISECOND else (6, "ms")
            frac, whole = _fmt_frac(u, prec)
            text = f"{whole}{frac}{unit}"
    else:
        frac, secs = _fmt_frac(u, 9)
        text = f"{secs % 60}{frac}s"
        minutes = secs // 60
        if minutes > 0:
            text = f"{minutes % 60}m{text}"
            hours = minutes // 60
            if hours > 0:
                text = f"{hours}h{text}"
    return f"-{text}" if neg else text


def format_duration(seconds: float) -> str:
    """Format float seconds as Go's `Duration.String()`: `90.0` -> `1m30s`, `0.5` -> `500ms`."""
    return format_duration_ns(round(seconds * _SECOND))
