"""Worked solutions for the GPT-3 arithmetic forms: column arithmetic a 135M model can follow token by token.

Answering "What is 65360 plus 16204?" in one step needs every carry at once; small models get it wrong
("9923 + 617 = 1509"). Written out column by column, right to left, each line is one single-digit fact and
the running result ("so far") grows by one digit copied from the line before, so no step needs more than a
single-digit sum and a copy (the scratchpad idea of Nye et al. 2021, "Show Your Work"). Every solution ends
with "Answer: <integer>", the marker the graders read. Digits are single tokens for SmolLM2's tokenizer, and
the lines carry no spaces: 5-digit addition fits in ~80 tokens.

>>> print(addition(65360, 16204))
0+4+0=4, so far 4
6+0+0=6, so far 64
3+2+0=5, so far 564
5+6+0=11, so far 1564
6+1+1=8, so far 81564
Answer: 81564
"""

from __future__ import annotations


def _columns(a: int, b: int) -> list[tuple[int, int]]:
    width = max(len(str(a)), len(str(b)))
    da, db = str(a).zfill(width), str(b).zfill(width)
    return [(int(x), int(y)) for x, y in zip(reversed(da), reversed(db))]


def _column_addition(a: int, b: int) -> list[str]:
    lines, so_far, carry = [], "", 0
    for x, y in _columns(a, b):
        total = x + y + carry
        so_far = str(total % 10) + so_far
        lines.append(f"{x}+{y}+{carry}={total}, so far {so_far}")
        carry = total // 10
    if carry:
        lines.append(f"carry 1, so far 1{so_far}")
    return lines


def addition(a: int, b: int) -> str:
    return "\n".join([*_column_addition(a, b), f"Answer: {a + b}"])


def _column_subtraction(a: int, b: int) -> list[str]:
    """a - b for a >= b; a column that would go below zero borrows ten from the next one."""
    lines, so_far, borrow = [], "", 0
    for x, y in _columns(a, b):
        if x - y - borrow >= 0:
            digit = x - y - borrow
            lines.append(f"{x}-{y}-{borrow}={digit}, so far {digit}{so_far}")
            borrow = 0
        else:
            digit = 10 + x - y - borrow
            lines.append(f"1{x}-{y}-{borrow}={digit} borrow 1, so far {digit}{so_far}")
            borrow = 1
        so_far = str(digit) + so_far
    return lines


def subtraction(a: int, b: int) -> str:
    """>>> print(subtraction(4344, 48888).splitlines()[0])
    4344-48888 = -(48888-4344)
    """
    if a >= b:
        return "\n".join([*_column_subtraction(a, b), f"Answer: {a - b}"])
    return "\n".join([f"{a}-{b} = -({b}-{a})", *_column_subtraction(b, a), f"Answer: {a - b}"])


def _times_one_digit(a: int, d: int) -> str:
    """ "95*4=90*4+5*4=360+20=380": tens and units of a, each a table fact with a zero appended."""
    tens, units = divmod(a, 10)
    if tens == 0 or d == 0:
        return f"{a}*{d}={a * d}"
    return f"{a}*{d}={tens * 10}*{d}+{units}*{d}={tens * 10 * d}+{units * d}={a * d}"


def multiplication(a: int, b: int) -> str:
    """>>> print(multiplication(95, 45))
    95*45=95*40+95*5
    95*4=90*4+5*4=360+20=380, so 95*40=3800
    95*5=90*5+5*5=450+25=475
    3800+475=4275
    Answer: 4275
    """
    tens, units = divmod(b, 10)
    if tens == 0:
        return f"{_times_one_digit(a, units)}\nAnswer: {a * b}"
    lines = [
        f"{a}*{b}={a}*{tens * 10}+{a}*{units}",
        f"{_times_one_digit(a, tens)}, so {a}*{tens * 10}={a * tens * 10}",
        _times_one_digit(a, units),
        f"{a * tens * 10}+{a * units}={a * b}",
    ]
    return "\n".join([*lines, f"Answer: {a * b}"])


OPS = {"+": lambda x, y: x + y, "-": lambda x, y: x - y, "*": lambda x, y: x * y}


def three_ops(a: int, op1: str, b: int, op2: str, c: int) -> str:
    """(a op1 b) op2 c, the 1DC form.

    >>> print(three_ops(9, "+", 8, "*", 2))
    9+8=17
    17*2=34
    Answer: 34
    """
    inner = OPS[op1](a, b)
    result = OPS[op2](inner, c)
    return f"{a}{op1}{b}={inner}\n{inner}{op2}{c}={result}\nAnswer: {result}"


def digit_sum(n: int) -> str:
    """>>> print(digit_sum(8606))
    8+6=14, 14+0=14, 14+6=20
    Answer: 20
    """
    digits = [int(d) for d in str(n)]
    steps, total = [], digits[0]
    for d in digits[1:]:
        steps.append(f"{total}+{d}={total + d}")
        total += d
    return f"{', '.join(steps) or str(total)}\nAnswer: {total}"
