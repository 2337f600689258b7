"""Kubernetes resource quantities (`500m`, `1Gi`, `2e3`) as exact numbers.

The API server stores quantities in canonical form: a declared `cpu: 1` comes
back as `"1"`, `0.5` as `"500m"`, `1000` as `"1k"`. Comparing declared and
live values by their numeric value keeps such fields from looking drifted on
every poll.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Final

_QUANTITY: Final = re.compile(
    r"^(?P<sign>[+-]?)(?P<number>\d+(?:\.\d*)?|\.\d+)"
    r"(?:(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)|[eE](?P<exponent>[+-]?\d+))?$"
)
_SUFFIX: Final = {
    None: Fraction(1),
    "n": Fraction(1, 10**9),
    "u": Fraction(1, 10**6),
    "m": Fraction(1, 1000),
    "k": Fraction(10**3),
    "M": Fraction(10**6),
    "G": Fraction(10**9),
    "T": Fraction(10**12),
    "P": Fraction(10**15),
    "E": Fraction(10**18),
    "Ki": Fraction(2**10),
    "Mi": Fraction(2**20),
    "Gi": Fraction(2**30),
    "Ti": Fraction(2**40),
    "Pi": Fraction(2**50),
    "Ei": Fraction(2**60),
}


def parse_quantity(value: object) -> Fraction | None:
    """The exact value of a quantity (string or number), or None if it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        return Fraction(value).limit_denominator(10**9)
    if not isinstance(value, str):
        return None
    match = _QUANTITY.fullmatch(value.strip())
    if match is None:
        return None
    number = Fraction(match["number"])
    if match["exponent"] is not None:
        number *= Fraction(10) ** int(match["exponent"])
    else:
        number *= _SUFFIX[match["suffix"]]
    return -number if match["sign"] == "-" else number


def same_quantity(a: object, b: object) -> bool:
    """Whether `a` and `b` are both quantities of equal value."""
    left, right = parse_quantity(a), parse_quantity(b)
    return left is not None and right is not None and left == right
