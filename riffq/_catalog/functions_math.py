"""PostgreSQL's overloaded math functions: values and result types.

``pow``, ``ceiling``, ``mod``... have one pg_proc row per argument type
(``ceil(numeric)`` and ``ceil(double precision)``), so the result type
depends on the arguments, which SQLite no longer knows once it runs the
statement.  The engine asks :func:`math_result` with the argument
expressions of the statement as parsed: integer literals are ``integer``,
``1.5`` is ``numeric`` (with its scale), casts and catalog columns have
their types, and PostgreSQL's rule for mixed numbers applies (an integer
argument resolves to the preferred type, double precision, where both a
float8 and a numeric version exist).

The values are computed here rather than by SQLite's optional math
functions, so a SQLite built without them still answers.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Dict, List, Optional, Tuple

from .._wire.errors import PgError
from . import sqlast as A

__all__ = ["MATH_FUNCTIONS", "math_result", "register_math"]

#: (type name, numeric scale or None)
ArgType = Tuple[str, Optional[int]]
_INTS = ("int2", "int4", "int8")
_FLOATS = ("float4", "float8")
_PG_NAMES = {"int2": "smallint", "int4": "integer", "int8": "bigint", "float4": "real",
             "float8": "double precision", "numeric": "numeric"}
#: functions with a float8 and a numeric version (integers go to float8)
_FLOAT_OR_NUMERIC = ("ceil", "ceiling", "floor", "sign", "round", "trunc", "pow", "power")
MATH_FUNCTIONS = frozenset(_FLOAT_OR_NUMERIC + ("abs", "mod"))


def _missing(name: str, args: List[ArgType]) -> PgError:
    return PgError("42883", "function %s(%s) does not exist"
                   % (name, ", ".join(_PG_NAMES.get(t, t) for t, _ in args)))


def math_result(name: str, args: List[ArgType], digits: Optional[int] = None) -> ArgType:
    """PostgreSQL's result type (and numeric scale) of ``name(args)``;
    ``digits``: round's and trunc's second argument when it is a literal."""
    kinds = [t for t, _ in args]
    if any(k not in _INTS + _FLOATS + ("numeric",) for k in kinds) or not args:
        raise _missing(name, args)
    if name == "abs" and len(args) == 1:
        return args[0]
    if name == "mod" and len(args) == 2:
        if any(k in _FLOATS for k in kinds):
            raise _missing(name, args)
        if "numeric" in kinds:
            scales = [s for _, s in args]
            return "numeric", None if None in scales else max(scales)
        return max(kinds, key=_INTS.index), 0
    if name in ("round", "trunc") and len(args) == 2:
        if kinds[0] in _FLOATS or kinds[1] not in _INTS:
            raise _missing(name, args)
        return "numeric", None if digits is None else max(digits, 0)
    arity = 2 if name in ("pow", "power") else 1
    if name not in _FLOAT_OR_NUMERIC or len(args) != arity:
        raise _missing(name, args)
    if "numeric" in kinds and not any(k in _FLOATS for k in kinds):
        if arity == 2:
            # power(numeric) chooses its result scale from the operands'
            # magnitudes; that rule is not reproduced, so it is not guessed
            raise PgError("0A000", "catalog emulation does not evaluate %s() of numeric "
                          "arguments" % name)
        return "numeric", 0
    return "float8", None


def literal_type(e: A.Expr, column_type: Callable[[str], Optional[str]]) -> Optional[ArgType]:
    """The type PostgreSQL gives an argument expression, when evident."""
    if isinstance(e, A.Lit) and e.kind == "num":
        text = str(e.value).lstrip("+-")
        if text.isdigit():
            return ("int4" if int(text) < 2 ** 31 else "int8"), 0
        if "e" in text.lower():
            return "numeric", None
        return "numeric", len(text.split(".", 1)[1]) if "." in text else 0
    if isinstance(e, A.Unary) and e.op in ("-", "+"):
        return literal_type(e.expr, column_type)
    if isinstance(e, A.Cast):
        t = e.type.canonical
        return (t, 0) if t in _INTS else (t, None)
    if isinstance(e, A.Col):
        t = column_type(e.parts[-1])
        return None if t is None else (t, 0 if t in _INTS else None)
    if isinstance(e, A.Func) and e.name[-1] in MATH_FUNCTIONS and not e.star:
        args = [literal_type(a, column_type) for a in e.args]
        if any(a is None for a in args):
            return None
        return math_result(e.name[-1], args, int_literal(e.args[1]) if len(e.args) == 2
                           else None)  # type: ignore[arg-type]
    return None


def int_literal(e: A.Expr) -> Optional[int]:
    """The value of an integer literal (``2``, ``-2``), else None."""
    sign = 1
    if isinstance(e, A.Unary) and e.op == "-":
        sign, e = -1, e.expr
    if isinstance(e, A.Lit) and e.kind == "num" and str(e.value).lstrip("+-").isdigit():
        return sign * int(str(e.value))
    return None


# --- values ---------------------------------------------------------------------------


def _number(v: Any) -> Any:
    if isinstance(v, str):
        try:
            return int(v)
        except ValueError:
            return float(v)
    return v


def _ceil(x: Any) -> Any:
    return None if x is None else math.ceil(_number(x))


def _floor(x: Any) -> Any:
    return None if x is None else math.floor(_number(x))


def _sign(x: Any) -> Any:
    if x is None:
        return None
    x = _number(x)
    return (x > 0) - (x < 0)


def _trunc(x: Any, digits: Any = 0) -> Any:
    if x is None or digits is None:
        return None
    scale = 10 ** int(digits)
    return math.trunc(_number(x) * scale) / scale if digits else math.trunc(_number(x))


def _mod(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    a, b = _number(a), _number(b)
    if b == 0:
        raise PgError("22012", "division by zero")
    if isinstance(a, int) and isinstance(b, int):
        rest = abs(a) % abs(b)          # the sign follows the dividend, as in C
        return rest if a >= 0 else -rest
    return math.fmod(a, b)


def _pow(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    try:
        return math.pow(_number(a), _number(b))
    except (ValueError, OverflowError):
        raise PgError("2201F", "invalid argument for power function") from None


_VALUES: Dict[str, Callable[..., Any]] = {
    "ceil": _ceil, "ceiling": _ceil, "floor": _floor, "sign": _sign, "trunc": _trunc,
    "mod": _mod, "pow": _pow, "power": _pow,
}


def register_math(conn: Any, wrap: Callable[[Callable[..., Any]], Callable[..., Any]]) -> None:
    """The functions above as SQLite functions (abs and round are SQLite's)."""
    for name, fn in _VALUES.items():
        conn.create_function(name, -1, wrap(fn), deterministic=True)


def numeric_text(value: Any, scale: Optional[int]) -> str:
    """A numeric result printed with PostgreSQL's scale for it."""
    if isinstance(value, str):
        return value
    if scale is None:
        text = repr(float(value)) if isinstance(value, float) else str(value)
        return text[:-2] if text.endswith(".0") else text
    return "%.*f" % (scale, value)
