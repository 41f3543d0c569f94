"""Tokenizer for the `when` expression language (spec section 2).

Hand-written scanner: it turns the text into tokens that each carry their 1-based column,
so every later error (parser, type checker) can point at the exact place. Numbers are kept
as their source text and read exactly by `Decimal` in the parser; nothing is ever passed
to `eval`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from rules.conditions.errors import ConditionError
from rules.text import LONE_SURROGATE, characters

TokenKind = Literal["field", "keyword", "number", "string", "op", "punct", "end"]

KEYWORDS = frozenset({"and", "or", "not", "in", "contains", "true", "false", "null"})
COMPARISONS = ("==", "!=", "<=", ">=", "<", ">")
PUNCTUATION = "()[],"
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f"}


@dataclass(frozen=True)
class Token:
    kind: TokenKind
    value: str  # the decoded string for "string", the source text otherwise
    position: int  # 1-based column of the first character


def _is_name_start(ch: str) -> bool:
    return ch.isascii() and (ch.isalpha() or ch == "_")


def _is_name_char(ch: str) -> bool:
    return ch.isascii() and (ch.isalnum() or ch == "_")


def _is_digit(ch: str) -> bool:
    """ASCII only: `str.isdigit` (and `Decimal`) would read "５" or "٣" as numbers."""
    return "0" <= ch <= "9"


def tokenize(text: str) -> list[Token]:
    """Split `text` into tokens, ending with an "end" token; raise ConditionError."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        col = i + 1
        if ch.isspace():
            i += 1
        elif _is_name_start(ch):
            j = i
            # A dotted path is one token: `deal.attributes.csat`.
            while j < n and (_is_name_char(text[j]) or (text[j] == "." and j + 1 < n)):
                if text[j] == "." and not _is_name_start(text[j + 1]):
                    raise ConditionError(f"malformed field name {text[i : j + 1]!r}", j + 2, text)
                j += 1
            word = text[i:j]
            tokens.append(Token("keyword" if word in KEYWORDS else "field", word, col))
            i = j
        elif _is_digit(ch) or (ch == "-" and i + 1 < n and _is_digit(text[i + 1])):
            i = _number(text, i, tokens)
        elif ch == '"':
            i = _string(text, i, tokens)
        elif ch == "'":
            raise ConditionError('strings use double quotes: "..."', col, text)
        elif text.startswith(COMPARISONS, i):
            op = next(c for c in COMPARISONS if text.startswith(c, i))
            tokens.append(Token("op", op, col))
            i += len(op)
        elif ch == "=":
            raise ConditionError("use '==' to compare, not '='", col, text)
        elif ch in "&|!":
            word = {"&": "and", "|": "or", "!": "not"}[ch]
            raise ConditionError(f"unexpected {ch!r}: write '{word}'", col, text)
        elif ch in PUNCTUATION:
            tokens.append(Token("punct", ch, col))
            i += 1
        else:
            raise ConditionError(f"unexpected character {ch!r}", col, text)
    tokens.append(Token("end", "", n + 1))
    return tokens


def _number(text: str, i: int, tokens: list[Token]) -> int:
    start = i
    if text[i] == "-":
        i += 1
    while i < len(text) and _is_digit(text[i]):
        i += 1
    if i < len(text) and text[i] == ".":
        i += 1
        if i >= len(text) or not _is_digit(text[i]):
            raise ConditionError("expected digits after the decimal point", i + 1, text)
        while i < len(text) and _is_digit(text[i]):
            i += 1
    if i < len(text) and (_is_name_char(text[i]) or text[i] == "."):
        # Exponents (1e5), percentages-as-names and 1.2.3 are all rejected here, so a
        # number is always plain decimal text that Decimal reads exactly.
        end = i
        while end < len(text) and (_is_name_char(text[end]) or text[end] in ".+-"):
            end += 1
        raise ConditionError(
            f"malformed number {text[start:end]!r} (write plain decimals such as 0.25)",
            start + 1,
            text,
        )
    if i < len(text) and text[i] == "%":
        raise ConditionError("write rates as decimals (0.06), not percentages", i + 1, text)
    tokens.append(Token("number", text[start:i], start + 1))
    return i


def _string(text: str, i: int, tokens: list[Token]) -> int:
    start = i
    i += 1
    out: list[str] = []
    while True:
        if i >= len(text):
            raise ConditionError("unterminated string", start + 1, text)
        ch = text[i]
        if ch == '"':
            # `\ud83d\ude42` is one character, 🙂, as in JSON: joined here, once, so that
            # durable-rules (which sees ASCII escapes) and the oracle compare the same text.
            value = characters("".join(out))
            if value is None:
                raise ConditionError(f"the string {LONE_SURROGATE}", start + 1, text)
            tokens.append(Token("string", value, start + 1))
            return i + 1
        if ch == "\\":
            if i + 1 >= len(text):
                raise ConditionError("unterminated string", start + 1, text)
            esc = text[i + 1]
            if esc in _ESCAPES:
                out.append(_ESCAPES[esc])
                i += 2
            elif esc == "u":
                digits = text[i + 2 : i + 6]
                if len(digits) != 4 or any(c not in "0123456789abcdefABCDEF" for c in digits):
                    raise ConditionError("expected four hex digits after \\u", i + 1, text)
                out.append(chr(int(digits, 16)))
                i += 6
            else:
                raise ConditionError(f"unknown escape \\{esc} in string", i + 1, text)
        else:
            out.append(ch)
            i += 1
