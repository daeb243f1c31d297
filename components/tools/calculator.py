"""Calculator: exact arithmetic on an expression string, parsed with `ast` (never `eval`).

Only numbers, + - * / // % ** and parentheses are accepted; anything else (names, calls, attributes) is a
ToolError. Exponents and result sizes are capped so `9**9**9` cannot hang the trainer.
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable
from typing import Annotated

from components.bounds import Ge, checked
from components.tools.base import ToolError

_BINARY = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos}
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")


class Calculator:
    @checked("tools.tools.calculator")
    def __init__(
        self,
        max_expression_chars: Annotated[int, Ge(1)] = 200,
        max_exponent: Annotated[int, Ge(1)] = 64,
        max_result_digits: Annotated[int, Ge(1)] = 60,
    ) -> None:
        self.max_expression_chars, self.max_exponent = max_expression_chars, max_exponent
        self.max_result_digits = max_result_digits

    def evaluate(self, expression: str) -> str:
        """>>> Calculator().evaluate("123 * 456")
        '56088'
        """
        text = str(expression).strip()
        if not text or len(text) > self.max_expression_chars:
            raise ToolError(f"expression must have 1..{self.max_expression_chars} characters")
        # What people (and small models) type for * / ^: accepted, since the meaning is unambiguous here.
        text = _THOUSANDS.sub("", text).replace("×", "*").replace("÷", "/").replace("^", "**")
        try:
            tree = ast.parse(text, mode="eval")
        except SyntaxError:
            raise ToolError(f"cannot parse {expression!r}") from None
        value = self._eval(tree.body)
        if isinstance(value, float):
            if value != value or value in (float("inf"), float("-inf")):
                raise ToolError("result is not a finite number")
            return str(int(value)) if value.is_integer() and abs(value) < 1e15 else f"{value:.10g}"
        return str(value)

    def _eval(self, node: ast.AST) -> int | float:
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            return node.value
        if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
            return _UNARY[type(node.op)](self._eval(node.operand))
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            left, right = self._eval(node.left), self._eval(node.right)
            if isinstance(node.op, ast.Pow) and abs(right) > self.max_exponent:
                raise ToolError(f"exponent {right} is larger than {self.max_exponent}")
            try:
                value = _BINARY[type(node.op)](left, right)
            except ZeroDivisionError:
                raise ToolError("division by zero") from None
            except OverflowError:
                raise ToolError("result too large") from None
            if isinstance(value, complex):
                raise ToolError("result is not a real number")
            if isinstance(value, int) and len(str(abs(value))) > self.max_result_digits:
                raise ToolError(f"result has more than {self.max_result_digits} digits")
            return value
        raise ToolError(f"only numbers, + - * / // % ** and parentheses are allowed, not {type(node).__name__}")

    def function(self) -> Callable[[str], str]:
        evaluate = self.evaluate

        def calculator(expression: str) -> str:
            """Evaluate an arithmetic expression exactly, e.g. 1234 * 5678.

            Args:
                expression: The arithmetic expression (numbers, + - * / and parentheses).
            """
            return evaluate(expression)

        return calculator
