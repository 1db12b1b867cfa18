"""Go's `text/template/parse/lex.go`, ported: the items of a template, trim markers and
comments handled as Go does (`{{- ` eats the spaces before, ` -}}` those after; newlines are
allowed inside actions since Go 1.16)."""

from __future__ import annotations

import enum
import unicodedata
from dataclasses import dataclass
from typing import Any

__all__ = ["Item", "ItemType", "lex"]


class ItemType(enum.IntEnum):
    ERROR = 0
    BOOL = 1
    CHAR = 2
    CHAR_CONSTANT = 3
    COMMENT = 4
    COMPLEX = 5
    ASSIGN = 6
    DECLARE = 7
    EOF = 8
    FIELD = 9
    IDENTIFIER = 10
    LEFT_DELIM = 11
    LEFT_PAREN = 12
    NUMBER = 13
    PIPE = 14
    RAW_STRING = 15
    RIGHT_DELIM = 16
    RIGHT_PAREN = 17
    SPACE = 18
    STRING = 19
    TEXT = 20
    VARIABLE = 21
    KEYWORD = 22  # keywords follow
    BLOCK = 23
    BREAK = 24
    CONTINUE = 25
    DOT = 26
    DEFINE = 27
    ELSE = 28
    END = 29
    IF = 30
    NIL = 31
    RANGE = 32
    TEMPLATE = 33
    WITH = 34


KEYWORDS = {
    ".": ItemType.DOT,
    "block": ItemType.BLOCK,
    "break": ItemType.BREAK,
    "continue": ItemType.CONTINUE,
    "define": ItemType.DEFINE,
    "else": ItemType.ELSE,
    "end": ItemType.END,
    "if": ItemType.IF,
    "range": ItemType.RANGE,
    "nil": ItemType.NIL,
    "template": ItemType.TEMPLATE,
    "with": ItemType.WITH,
}

LEFT_DELIM = "{{"
RIGHT_DELIM = "}}"
LEFT_COMMENT = "/*"
RIGHT_COMMENT = "*/"
SPACE_CHARS = " \t\r\n"


@dataclass(frozen=True, slots=True)
class Item:
    typ: ItemType
    pos: int
    val: str
    line: int

    def __str__(self) -> str:
        if self.typ == ItemType.EOF:
            return "EOF"
        if self.typ == ItemType.ERROR:
            return self.val
        if self.typ > ItemType.KEYWORD:
            return f"<{self.val}>"
        if len(self.val) > 10:
            from .gofmt import go_quote

            return go_quote(self.val[:10]) + "..."
        from .gofmt import go_quote

        return go_quote(self.val)


def is_space(char: str) -> bool:
    return char in (" ", "\t", "\r", "\n") and char != ""


def is_alnum(char: str) -> bool:
    if not char:
        return False
    return char == "_" or char.isalpha() or unicodedata.category(char) == "Nd"


def _has_left_trim(text: str, pos: int) -> bool:
    return len(text) - pos >= 2 and text[pos] == "-" and is_space(text[pos + 1])


def _has_right_trim(text: str, pos: int) -> bool:
    return len(text) - pos >= 2 and is_space(text[pos]) and text[pos + 1] == "-"


def _format_rune(char: str) -> str:
    """Go's `%#U`: U+0023 '#'."""
    code = f"U+{ord(char):04X}"
    return f"{code} '{char}'" if char.isprintable() else code


class _Lexer:
    def __init__(self, text: str) -> None:
        self.input = text
        self.pos = 0
        self.start = 0
        self.items: list[Item] = []
        self.paren_depth = 0
        self.done = False
        self._line_pos = 0  # items come in order: count newlines from the last one
        self._line = 1

    def line_at(self, pos: int) -> int:
        if pos < self._line_pos:
            return 1 + self.input.count("\n", 0, pos)
        self._line += self.input.count("\n", self._line_pos, pos)
        self._line_pos = pos
        return self._line

    def next(self) -> str:
        if self.pos >= len(self.input):
            self.pos = len(self.input) + 1  # so backup() after EOF stays at the end
            return ""
        char = self.input[self.pos]
        self.pos += 1
        return char

    def backup(self) -> None:
        self.pos -= 1

    def peek(self) -> str:
        return self.input[self.pos] if self.pos < len(self.input) else ""

    def emit(self, typ: ItemType) -> None:
        self.items.append(
            Item(typ, self.start, self.input[self.start : self.pos], self.line_at(self.start))
        )
        self.start = self.pos

    def ignore(self) -> None:
        self.start = self.pos

    def accept(self, valid: str) -> bool:
        char = self.peek()
        if char and char in valid:
            self.pos += 1
            return True
        return False

    def accept_run(self, valid: str) -> None:
        while self.accept(valid):
            pass

    def errorf(self, message: str) -> None:
        self.items.append(Item(ItemType.ERROR, self.start, message, self.line_at(self.start)))
        self.done = True

    def at_right_delim(self) -> tuple[bool, bool]:
        if _has_right_trim(self.input, self.pos) and self.input.startswith(
            RIGHT_DELIM, self.pos + 2
        ):
            return True, True
        if self.input.startswith(RIGHT_DELIM, self.pos):
            return True, False
        return False, False

    def at_terminator(self) -> bool:
        char = self.peek()
        if char == "" or is_space(char):
            return True
        return char in ".,|:)(=" or char == RIGHT_DELIM[0]

    # states
    def run(self) -> list[Item]:
        state: Any = self.lex_text
        while not self.done:
            state = state()
        return self.items

    def lex_text(self) -> Any:
        found = self.input.find(LEFT_DELIM, self.pos)
        if found >= 0:
            if found > self.pos:
                self.pos = found
                trim = 0
                delim_end = self.pos + len(LEFT_DELIM)
                if _has_left_trim(self.input, delim_end):
                    chunk = self.input[self.start : self.pos]
                    trim = len(chunk) - len(chunk.rstrip(SPACE_CHARS))
                self.pos -= trim
                if self.pos > self.start:
                    self.emit(ItemType.TEXT)
                self.pos += trim
                self.ignore()
            return self.lex_left_delim
        self.pos = len(self.input)
        if self.pos > self.start:
            self.emit(ItemType.TEXT)
        self.emit(ItemType.EOF)
        self.done = True
        return self.lex_text

    def lex_left_delim(self) -> Any:
        self.pos += len(LEFT_DELIM)
        trim = _has_left_trim(self.input, self.pos)
        after = 2 if trim else 0
        if self.input.startswith(LEFT_COMMENT, self.pos + after):
            self.pos += after
            self.ignore()
            return self.lex_comment
        self.emit(ItemType.LEFT_DELIM)
        self.pos += after
        self.ignore()
        self.paren_depth = 0
        return self.lex_inside_action

    def lex_comment(self) -> Any:
        self.pos += len(LEFT_COMMENT)
        end = self.input.find(RIGHT_COMMENT, self.pos)
        if end < 0:
            self.errorf("unclosed comment")
            return None
        self.pos = end + len(RIGHT_COMMENT)
        delim, trim = self.at_right_delim()
        if not delim:
            self.errorf("comment ends before closing delimiter")
            return None
        if trim:
            self.pos += 2
        self.pos += len(RIGHT_DELIM)
        if trim:
            rest = self.input[self.pos :]
            self.pos += len(rest) - len(rest.lstrip(SPACE_CHARS))
        self.ignore()
        return self.lex_text

    def lex_right_delim(self) -> Any:
        _, trim = self.at_right_delim()
        if trim:
            self.pos += 2
            self.ignore()
        self.pos += len(RIGHT_DELIM)
        self.emit(ItemType.RIGHT_DELIM)
        if trim:
            rest = self.input[self.pos :]
            self.pos += len(rest) - len(rest.lstrip(SPACE_CHARS))
            self.ignore()
        return self.lex_text

    def lex_inside_action(self) -> Any:
        delim, _ = self.at_right_delim()
        if delim:
            if self.paren_depth == 0:
                return self.lex_right_delim
            self.errorf("unclosed left paren")
            return None
        char = self.next()
        if char == "":
            self.errorf("unclosed action")
            return None
        if is_space(char):
            self.backup()
            return self.lex_space
        if char == "=":
            self.emit(ItemType.ASSIGN)
        elif char == ":":
            if self.next() != "=":
                self.errorf("expected :=")
                return None
            self.emit(ItemType.DECLARE)
        elif char == "|":
            self.emit(ItemType.PIPE)
        elif char == '"':
            return self.lex_quote
        elif char == "`":
            return self.lex_raw_quote
        elif char == "$":
            return self.lex_variable
        elif char == "'":
            return self.lex_char
        elif char == "." and self.pos < len(self.input) and not "0" <= self.input[self.pos] <= "9":
            return self.lex_field
        elif char in "+-." or "0" <= char <= "9":
            self.backup()
            return self.lex_number
        elif is_alnum(char):
            self.backup()
            return self.lex_identifier
        elif char == "(":
            self.emit(ItemType.LEFT_PAREN)
            self.paren_depth += 1
        elif char == ")":
            self.paren_depth -= 1
            if self.paren_depth < 0:
                self.errorf("unexpected right paren")
                return None
            self.emit(ItemType.RIGHT_PAREN)
        elif ord(char) < 0x80 and char.isprintable():
            self.emit(ItemType.CHAR)
        else:
            self.errorf(f"unrecognized character in action: {_format_rune(char)}")
            return None
        return self.lex_inside_action

    def lex_space(self) -> Any:
        spaces = 0
        while is_space(self.peek()):
            self.pos += 1
            spaces += 1
        # A trim-marked closing delimiter has a minus after a space.
        if _has_right_trim(self.input, self.pos - 1) and self.input.startswith(
            RIGHT_DELIM, self.pos + 1
        ):
            self.backup()
            if spaces == 1:
                return self.lex_right_delim
        self.emit(ItemType.SPACE)
        return self.lex_inside_action

    def lex_identifier(self) -> Any:
        while is_alnum(self.peek()):
            self.pos += 1
        word = self.input[self.start : self.pos]
        if not self.at_terminator():
            self.errorf(f"bad character {_format_rune(self.peek())}")
            return None
        if word in KEYWORDS:
            self.emit(KEYWORDS[word])
        elif word[0] == ".":
            self.emit(ItemType.FIELD)
        elif word in ("true", "false"):
            self.emit(ItemType.BOOL)
        else:
            self.emit(ItemType.IDENTIFIER)
        return self.lex_inside_action

    def lex_field(self) -> Any:
        return self._field_or_variable(ItemType.FIELD)

    def lex_variable(self) -> Any:
        if self.at_terminator():
            self.emit(ItemType.VARIABLE)
            return self.lex_inside_action
        return self._field_or_variable(ItemType.VARIABLE)

    def _field_or_variable(self, typ: ItemType) -> Any:
        if self.at_terminator():
            self.emit(ItemType.VARIABLE if typ == ItemType.VARIABLE else ItemType.DOT)
            return self.lex_inside_action
        while is_alnum(self.peek()):
            self.pos += 1
        if not self.at_terminator():
            self.errorf(f"bad character {_format_rune(self.peek())}")
            return None
        self.emit(typ)
        return self.lex_inside_action

    def _quoted(self, quote: str, what: str, typ: ItemType) -> Any:
        while True:
            char = self.next()
            if char == "\\":
                char = self.next()
                if char not in ("", "\n"):
                    continue
                self.errorf(f"unterminated {what}")
                return None
            if char in ("", "\n"):
                self.errorf(f"unterminated {what}")
                return None
            if char == quote:
                break
        self.emit(typ)
        return self.lex_inside_action

    def lex_char(self) -> Any:
        return self._quoted("'", "character constant", ItemType.CHAR_CONSTANT)

    def lex_quote(self) -> Any:
        return self._quoted('"', "quoted string", ItemType.STRING)

    def lex_raw_quote(self) -> Any:
        end = self.input.find("`", self.pos)
        if end < 0:
            self.errorf("unterminated raw quoted string")
            return None
        self.pos = end + 1
        self.emit(ItemType.RAW_STRING)
        return self.lex_inside_action

    def scan_number(self) -> bool:
        self.accept("+-")
        digits = "0123456789_"
        if self.accept("0"):
            if self.accept("xX"):
                digits = "0123456789abcdefABCDEF_"
            elif self.accept("oO"):
                digits = "01234567_"
            elif self.accept("bB"):
                digits = "01_"
        self.accept_run(digits)
        if self.accept("."):
            self.accept_run(digits)
        if len(digits) == 11 and self.accept("eE"):
            self.accept("+-")
            self.accept_run("0123456789_")
        if len(digits) == 23 and self.accept("pP"):
            self.accept("+-")
            self.accept_run("0123456789_")
        self.accept("i")
        if is_alnum(self.peek()):
            self.pos += 1
            return False
        return True

    def lex_number(self) -> Any:
        from .gofmt import go_quote

        if not self.scan_number():
            self.errorf(f"bad number syntax: {go_quote(self.input[self.start : self.pos])}")
            return None
        if self.peek() in ("+", "-") and self.peek() != "":
            if not self.scan_number() or self.input[self.pos - 1] != "i":
                self.errorf(f"bad number syntax: {go_quote(self.input[self.start : self.pos])}")
                return None
            self.emit(ItemType.COMPLEX)
        else:
            self.emit(ItemType.NUMBER)
        return self.lex_inside_action


def lex(text: str) -> list[Item]:
    """All the items of `text`, ending with an EOF or an ERROR item."""
    return _Lexer(text).run()
