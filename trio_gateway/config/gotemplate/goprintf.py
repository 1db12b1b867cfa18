"""Go's `fmt.Sprintf` (src/fmt/print.go doPrintf) over gofmt's verbs: flags, width and
precision (also `*`), explicit argument indexes (`%[2]d`, `%[2]*[1]d`, `%.[3]*[1]f`; a bad
one is `%!d(BADINDEX)`, and an index switches off the `%!(EXTRA ...)` check), `%T`, and
`%#v`, Go-syntax: `map[string]interface {}{"a":1}`, `[]interface {}{1, "x",
interface {}(nil)}`, `[]string(nil)`, strings quoted, float64 as `%v` prints them."""

from __future__ import annotations

from typing import Any

from .gofmt import Spec, fmt_value, go_quote, go_sprint_one, go_type_name, pad
from .gotypes import GoObject, is_nil

__all__ = ["go_sprintf", "go_syntax"]

_TOO_LARGE = 1_000_000  # print.go tooLarge: widths and precisions beyond 1e6 are refused


def go_syntax(value: Any, spec: Spec, depth: int = 0) -> str:
    """`%#v` (printValue with sharpV) of a template value; leaves are padded to the width."""
    if value is None:
        return pad("interface {}(nil)" if depth > 0 else "<nil>", spec)
    if isinstance(value, str):
        return pad(go_quote(value), spec)
    if isinstance(value, GoObject):
        return value.go_syntax()
    if isinstance(value, list | tuple):
        type_name = go_type_name(value)
        if is_nil(value):
            return type_name + "(nil)"
        return type_name + "{" + ", ".join(go_syntax(v, spec, depth + 1) for v in value) + "}"
    if isinstance(value, dict):
        pairs = (
            f"{go_syntax(k, spec, depth + 1)}:{go_syntax(value[k], spec, depth + 1)}"
            for k in sorted(value)
        )
        return go_type_name(value) + "{" + ", ".join(pairs) + "}"
    plain = Spec()
    for flag in ("minus", "zero", "width"):
        setattr(plain, flag, getattr(spec, flag))
    plain.verb = "v"
    return fmt_value(value, plain)


def _parse_number(text: str, start: int, end: int) -> tuple[int | None, int]:
    """print.go parsenum: digits at start; a crazy long number ends the format (None, end)."""
    number, index = 0, start
    seen = False
    while index < end and "0" <= text[index] <= "9":
        if number > _TOO_LARGE or number < -_TOO_LARGE:
            return None, end
        number = number * 10 + ord(text[index]) - 48
        seen = True
        index += 1
    return (number if seen else None), index


class _Printer:
    def __init__(self, format_text: str, args: tuple[Any, ...]) -> None:
        self.format = format_text
        self.args = args
        self.out: list[str] = []
        self.reordered = False
        self.good_arg_num = True

    def arg_number(self, arg_num: int, index: int) -> tuple[int, int, bool]:
        """print.go argNumber: an explicit `[n]` at index."""
        text = self.format
        if index >= len(text) or text[index] != "[":
            return arg_num, index, False
        self.reordered = True
        close = text.find("]", index + 1)
        if len(text) - index < 3 or close < 0:
            self.good_arg_num = False
            return arg_num, index + 1, False
        number, after = _parse_number(text, index + 1, close)
        width = close - index + 1
        if number is None or after != close:
            self.good_arg_num = False
            return arg_num, index + width, False
        if 0 <= number - 1 < len(self.args):
            return number - 1, index + width, True
        self.good_arg_num = False
        return arg_num, index + width, True

    def int_from_arg(self, arg_num: int) -> tuple[int | None, int]:
        """print.go intFromArg: an int-kind argument (not a float, not a bool)."""
        if arg_num >= len(self.args):
            return None, arg_num
        value = self.args[arg_num]
        if isinstance(value, bool) or not isinstance(value, int) or abs(value) > _TOO_LARGE:
            return None, arg_num + 1
        return int(value), arg_num + 1

    def run(self) -> str:
        text, end, args = self.format, len(self.format), self.args
        arg_num, index, after_index = 0, 0, False
        while index < end:
            self.good_arg_num = True
            percent = text.find("%", index)
            if percent < 0:
                self.out.append(text[index:])
                break
            self.out.append(text[index:percent])
            index = percent + 1
            spec = Spec()
            while index < end and text[index] in "#0+- ":
                flag = text[index]
                if flag == "#":
                    spec.sharp = True
                elif flag == "0":
                    spec.zero = not spec.minus
                elif flag == "+":
                    spec.plus = True
                elif flag == "-":
                    spec.minus, spec.zero = True, False
                else:
                    spec.space = True
                index += 1
            arg_num, index, after_index = self.arg_number(arg_num, index)
            if index < end and text[index] == "*":
                index += 1
                spec.width, arg_num = self.int_from_arg(arg_num)
                if spec.width is None:
                    self.out.append("%!(BADWIDTH)")
                elif spec.width < 0:
                    spec.width, spec.minus, spec.zero = -spec.width, True, False
                after_index = False
            else:
                spec.width, index = _parse_number(text, index, end)
                if after_index and spec.width is not None:  # "%[3]2d"
                    self.good_arg_num = False
            if index + 1 < end and text[index] == ".":
                index += 1
                if after_index:  # "%[3].2d"
                    self.good_arg_num = False
                arg_num, index, after_index = self.arg_number(arg_num, index)
                if index < end and text[index] == "*":
                    index += 1
                    spec.precision, arg_num = self.int_from_arg(arg_num)
                    if spec.precision is not None and spec.precision < 0:
                        spec.precision = None  # a negative precision is no precision...
                    if spec.precision is None:
                        self.out.append("%!(BADPREC)")  # ...and as bad as a missing one
                    after_index = False
                else:
                    spec.precision, index = _parse_number(text, index, end)
                    if spec.precision is None:
                        spec.precision = 0
            if not after_index:
                arg_num, index, after_index = self.arg_number(arg_num, index)
            if index >= end:
                self.out.append("%!(NOVERB)")
                break
            verb = text[index]
            index += 1
            spec.verb = verb
            if verb == "%":
                self.out.append("%")  # absorbs no operand, ignores width and precision
            elif not self.good_arg_num:
                self.out.append(f"%!{verb}(BADINDEX)")
            elif arg_num >= len(args):
                self.out.append(f"%!{verb}(MISSING)")
            else:
                self.out.append(self.print_arg(args[arg_num], spec))
                arg_num += 1
        if not self.reordered and arg_num < len(args):
            extra = ", ".join(
                "<nil>" if a is None else f"{go_type_name(a)}={go_sprint_one(a)}"
                for a in args[arg_num:]
            )
            self.out.append(f"%!(EXTRA {extra})")
        return "".join(self.out)

    def print_arg(self, value: Any, spec: Spec) -> str:
        if spec.verb == "T":
            spec.verb = "s"
            return fmt_value(go_type_name(value), spec)
        if spec.verb == "v":
            if spec.sharp:
                spec.sharp = False
                return go_syntax(value, spec)
            spec.plus = False  # %+v is plusV, which only structs show
        return fmt_value(value, spec)


def go_sprintf(format_text: str, *args: Any) -> str:
    """`fmt.Sprintf`."""
    return _Printer(format_text, args).run()
