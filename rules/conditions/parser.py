"""Recursive-descent parser for `when` expressions (precedence: not > and > or).

`5 < x` is read as `x > 5` and a `null` in a list as `== null` / `!= null` beside it, so
each meaning has one tree. Each comparison is type-checked as soon as it is read
(rules.conditions.checker), so the first error reported is the leftmost one. The
grammar: docs/conditions.md, "Grammar".
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from rules.conditions.checker import check_compare, check_field_compare
from rules.conditions.errors import ConditionError
from rules.conditions.nodes import And, Compare, FieldCompare, Node, Not, Or, Scalar
from rules.conditions.tokenizer import Token, tokenize

_COMPARE_OPS = "==, !=, <, <=, >, >="
_OPERATORS = _COMPARE_OPS + ", in, not in, contains"
# `5 < x` is `x > 5`: the operator seen from the field's side.
MIRRORED = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
# Nesting bound: every later pass (oracle, negation normal form, matcher) recurses over the
# tree, so a pathological `not not not ...` must be an error here, not a RecursionError.
MAX_DEPTH = 50


def _describe(tok: Token) -> str:
    if tok.kind == "end":
        return "the end of the condition"
    if tok.kind == "string":
        return "a string"
    return repr(tok.value)


class _Parser:
    def __init__(self, text: str, roots: frozenset[str]):
        self.text = text
        self.roots = roots
        self.tokens = tokenize(text)
        self.i = 0
        self.depth = 0

    # -- helpers
    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.i + ahead, len(self.tokens) - 1)]

    def take(self) -> Token:
        tok = self.peek()
        self.i += 1
        return tok

    def at(self, kind: str, value: str | None = None) -> bool:
        tok = self.peek()
        return tok.kind == kind and (value is None or tok.value == value)

    def fail(self, message: str, tok: Token | None = None) -> ConditionError:
        tok = tok or self.peek()
        return ConditionError(message, tok.position, self.text)

    # -- grammar
    def parse(self) -> Node:
        if self.at("end"):
            raise self.fail("the condition is empty")
        node = self.expr()
        if not self.at("end"):
            tok = self.peek()
            raise self.fail(f"unexpected {_describe(tok)}; expected 'and', 'or' or the end")
        return node

    def expr(self) -> Node:
        items = [self.and_expr()]
        while self.at("keyword", "or"):
            self.take()
            items.append(self.and_expr())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def and_expr(self) -> Node:
        items = [self.unary()]
        while self.at("keyword", "and"):
            self.take()
            items.append(self.unary())
        return items[0] if len(items) == 1 else And(tuple(items))

    def unary(self) -> Node:
        tok = self.peek()
        if tok.kind in ("keyword", "punct") and tok.value in ("not", "("):
            if self.depth >= MAX_DEPTH:
                raise self.fail(f"the condition is nested too deeply (over {MAX_DEPTH} levels)")
            self.depth += 1
            try:
                return self.nested(tok)
            finally:
                self.depth -= 1
        if tok.kind == "field":
            return self.comparison()
        if tok.kind in ("number", "string") or tok.value in ("true", "false", "null"):
            return self.reversed_comparison()
        raise self.fail(f"expected a field, 'not' or '(', found {_describe(tok)}")

    def nested(self, tok: Token) -> Node:
        if tok.value == "not":
            self.take()
            return Not(self.unary(), tok.position)
        self.take()
        node = self.expr()
        if not self.at("punct", ")"):
            raise self.fail(
                f"expected ')' to close the '(' at column {tok.position}, "
                f"found {_describe(self.peek())}"
            )
        self.take()
        return node

    def reversed_comparison(self) -> Node:
        """`100000 <= deal.amount` is read as `deal.amount >= 100000`: one form."""
        value, value_pos = self.value("(")
        op_tok = self.peek()
        if op_tok.kind != "op":
            if op_tok.value in ("in", "contains", "not"):
                raise self.fail(
                    f"write the field first with '{op_tok.value}', "
                    'e.g. deal.products contains "core"'
                )
            raise self.fail(f"expected an operator ({_COMPARE_OPS}), found {_describe(op_tok)}")
        self.take()
        field_tok = self.peek()
        if field_tok.kind != "field":
            raise self.fail(f"compare a field with a value; found {_describe(field_tok)}")
        self.take()
        node = Compare(
            field=field_tok.value,
            op=MIRRORED[op_tok.value],
            value=value,
            position=field_tok.position,
            op_position=op_tok.position,
            value_position=value_pos,
        )
        return check_compare(node, self.text, self.roots)

    def comparison(self) -> Node:
        field_tok = self.take()
        op_tok = self.peek()
        if op_tok.kind == "op" and self.peek(1).kind == "field":
            self.take()
            other = self.take()
            node = FieldCompare(
                field_tok.value,
                op_tok.value,
                other.value,
                field_tok.position,
                op_tok.position,
                other.position,
            )
            return check_field_compare(node, self.text, self.roots)
        if op_tok.kind == "op":
            self.take()
            value, value_pos = self.value(op_tok.value)
            op = op_tok.value
        elif op_tok.kind == "keyword" and op_tok.value == "in":
            self.take()
            value, value_pos = self.list_value("in")
            op = "in"
        elif op_tok.kind == "keyword" and op_tok.value == "not" and self.peek(1).value == "in":
            self.take()
            self.take()
            value, value_pos = self.list_value("not in")
            op = "not in"
        elif op_tok.kind == "keyword" and op_tok.value == "contains":
            self.take()
            value, value_pos = self.value("contains")
            op = "contains"
        else:
            raise self.fail(
                f"expected an operator ({_OPERATORS}) after {field_tok.value}, "
                f"found {_describe(op_tok)}"
            )
        node = Compare(
            field=field_tok.value,
            op=op,
            value=value,
            position=field_tok.position,
            op_position=op_tok.position,
            value_position=value_pos,
        )
        if op in ("in", "not in") and None in value:
            return self.null_in_list(node)
        return check_compare(node, self.text, self.roots)

    def null_in_list(self, node: Compare) -> Node:
        """`x in [a, null]` is `x in [a] or x == null`; `x not in [a, null]` is `x not in
        [a] and x != null`, which is `x not in [a]` (false for a null x already)."""
        rest = tuple(v for v in node.value if v is not None)
        null_test = replace(node, op="==" if node.op == "in" else "!=", value=None)
        if not rest:
            return check_compare(null_test, self.text, self.roots)
        listed = check_compare(replace(node, value=rest), self.text, self.roots)
        if node.op == "not in":
            return listed
        return Or((listed, check_compare(null_test, self.text, self.roots)))

    def value(self, after: str) -> tuple[Scalar, int]:
        tok = self.peek()
        if tok.kind == "number":
            self.take()
            return Decimal(tok.value), tok.position
        if tok.kind == "string":
            self.take()
            return tok.value, tok.position
        if tok.kind == "keyword" and tok.value in ("true", "false", "null"):
            self.take()
            return {"true": True, "false": False, "null": None}[tok.value], tok.position
        if tok.kind == "punct" and tok.value == "[":
            raise self.fail(f"a list needs 'in' or 'not in', not '{after}'")
        raise self.fail(f"expected a value after '{after}', found {_describe(tok)}")

    def list_value(self, after: str) -> tuple[tuple[Scalar, ...], int]:
        start = self.peek()
        if not self.at("punct", "["):
            raise self.fail(f"expected a list [..] after '{after}', found {_describe(start)}")
        self.take()
        items: list[Scalar] = []
        if self.at("punct", "]"):
            self.take()
            return (), start.position
        while True:
            value, _ = self.value("[" if not items else ",")
            items.append(value)
            if self.at("punct", ","):
                self.take()
                continue
            if self.at("punct", "]"):
                self.take()
                return tuple(items), start.position
            raise self.fail(f"expected ',' or ']' in the list, found {_describe(self.peek())}")


def parse(text: str, roots: frozenset[str]) -> Node:
    """Parse and type-check `text`; raise ConditionError with a 1-based column."""
    return _Parser(text, roots).parse()
