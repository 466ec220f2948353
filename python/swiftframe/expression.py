"""Expressions: a string the engine parses, plus the frame it belongs to.
Operators and numpy ufuncs build new expression strings; nothing is computed
until a statistic or an evaluation asks for values."""

import keyword
import re

import numpy as np

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_RESERVED = {"True", "False", "inf", "nan"}
_SCALAR_TYPES = {"bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
                 "float32", "float64"}

# numpy ufuncs that map to an operator or to a function of the expression language.
_BINARY_UFUNCS = {"add": "+", "subtract": "-", "multiply": "*", "true_divide": "/", "divide": "/",
                  "floor_divide": "//", "remainder": "%", "mod": "%", "power": "**",
                  "less": "<", "less_equal": "<=", "greater": ">", "greater_equal": ">=", "equal": "==",
                  "not_equal": "!=", "bitwise_and": "&", "bitwise_or": "|", "bitwise_xor": "^", "left_shift": "<<",
                  "right_shift": ">>"}
_UNARY_UFUNCS = {"negative": "(-{})", "positive": "(+{})", "invert": "(~{})",
                 "absolute": "abs({})", "sqrt": "sqrt({})", "log": "log({})",
                 "exp": "exp({})", "sin": "sin({})", "cos": "cos({})"}
# Logical ufuncs work on truth values (non-zero), whatever the operands' dtypes.
_LOGICAL_UFUNCS = {"logical_and": "&", "logical_or": "|", "logical_xor": "^"}


def is_name(text):
    """Whether `text` reads as a bare column name rather than an expression."""
    return bool(_IDENTIFIER.match(text)) and text not in _RESERVED


def column_ref(name):
    """How a column name is written in an expression string."""
    if _IDENTIFIER.match(name) and name not in _RESERVED and not keyword.iskeyword(name):
        return name
    if "`" in name or "\0" in name:
        raise ValueError(f"column name {name!r} contains a backtick or a NUL, which expressions cannot refer to")
    return f"`{name}`"


def quote(text):
    """A Python string as a string literal of the expression language."""
    if "\0" in text:
        raise ValueError(f"string {text!r} contains a NUL, which expressions cannot hold")
    escaped = text.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n").replace("\t", "\\t")
    return f"'{escaped}'"


def literal(value):
    """The expression text of an operand: an Expression or a Python/numpy scalar."""
    if isinstance(value, Expression):
        return value.expression
    if isinstance(value, (str, np.str_)):
        return quote(str(value))
    if isinstance(value, np.generic):
        # numpy scalars keep their type in numpy's promotion (NEP 50), unlike Python
        # numbers: write them as a cast, `int16(1)`.
        if value.dtype.name in _SCALAR_TYPES:
            return f"{value.dtype.name}({literal(value.item())})"
        value = value.item()
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    raise TypeError(f"cannot use {type(value).__name__} {value!r} in an expression")


def _truth(value):
    """The truth value (non-zero) of an operand, as a boolean expression text."""
    if isinstance(value, Expression):
        return value.expression if value.dtype == np.bool_ else f"({value.expression} != 0)"
    return "True" if bool(value) else "False"


class Expression:
    """A lazy column expression bound to a DataFrame, as vaex's Expression."""

    __array_priority__ = 100  # numpy defers to our reflected operators

    def __init__(self, df, expression):
        self.df = df
        self.expression = expression

    def __str__(self):
        return self.expression

    def __repr__(self):
        try:
            n = len(self.df)
            shown = self.df.head(5).evaluate(self)
            return f"<swiftframe.Expression> {self.expression}\ndtype: {self.dtype}, length: {n}\n{shown}"
        except Exception as e:  # repr must never raise
            return f"<swiftframe.Expression> {self.expression} (invalid: {e})"

    def _derive(self, text):
        return Expression(self.df, text)

    def _binary(self, op, other, reflected=False):
        if not isinstance(other, (Expression, int, float, bool, str, np.generic)):
            return NotImplemented
        a, b = literal(self), literal(other)
        return self._derive(f"({b} {op} {a})" if reflected else f"({a} {op} {b})")

    # Arithmetic, comparison and bitwise operators build new expression strings.
    def __add__(self, o): return self._binary("+", o)
    def __radd__(self, o): return self._binary("+", o, True)
    def __sub__(self, o): return self._binary("-", o)
    def __rsub__(self, o): return self._binary("-", o, True)
    def __mul__(self, o): return self._binary("*", o)
    def __rmul__(self, o): return self._binary("*", o, True)
    def __truediv__(self, o): return self._binary("/", o)
    def __rtruediv__(self, o): return self._binary("/", o, True)
    def __floordiv__(self, o): return self._binary("//", o)
    def __rfloordiv__(self, o): return self._binary("//", o, True)
    def __mod__(self, o): return self._binary("%", o)
    def __rmod__(self, o): return self._binary("%", o, True)
    def __pow__(self, o): return self._binary("**", o)
    def __rpow__(self, o): return self._binary("**", o, True)
    def __and__(self, o): return self._binary("&", o)
    def __rand__(self, o): return self._binary("&", o, True)
    def __or__(self, o): return self._binary("|", o)
    def __ror__(self, o): return self._binary("|", o, True)
    def __xor__(self, o): return self._binary("^", o)
    def __rxor__(self, o): return self._binary("^", o, True)
    def __lshift__(self, o): return self._binary("<<", o)
    def __rshift__(self, o): return self._binary(">>", o)
    def __lt__(self, o): return self._binary("<", o)
    def __le__(self, o): return self._binary("<=", o)
    def __gt__(self, o): return self._binary(">", o)
    def __ge__(self, o): return self._binary(">=", o)
    def __eq__(self, o): return self._binary("==", o)
    def __ne__(self, o): return self._binary("!=", o)
    def __neg__(self): return self._derive(f"(-{self.expression})")
    def __pos__(self): return self
    def __invert__(self): return self._derive(f"(~{self.expression})")
    def __abs__(self): return self._derive(f"abs({self.expression})")

    __hash__ = object.__hash__

    def __bool__(self):
        raise TypeError("the truth value of an Expression is ambiguous; use & | ~ to combine conditions")

    def __len__(self):
        return len(self.df)

    @property
    def str(self):
        """String methods, `df.s.str.lower()` (swiftframe.strings.StringMethods)."""
        from .strings import StringMethods
        return StringMethods(self)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method != "__call__" or kwargs:
            return NotImplemented
        if ufunc.__name__ in _LOGICAL_UFUNCS and len(inputs) == 2:
            a, b = (_truth(x) for x in inputs)
            return self._derive(f"({a} {_LOGICAL_UFUNCS[ufunc.__name__]} {b})")
        if ufunc.__name__ == "fabs" and len(inputs) == 1 and isinstance(inputs[0], Expression):
            # fabs computes in floating point: float32 for 8- and 16-bit inputs (numpy:
            # float16 for 8-bit ones, which swiftframe does not have), else float64.
            x = inputs[0]
            if x.dtype.kind == "f":
                return self._derive(f"abs({x.expression})")
            return self._derive(f"abs({'float32' if x.dtype.itemsize <= 2 else 'float64'}({x.expression}))")
        if ufunc.__name__ == "logical_not" and len(inputs) == 1:
            return self._derive(f"(~{_truth(inputs[0])})")
        if len(inputs) == 2 and ufunc.__name__ in _BINARY_UFUNCS:
            a, b = (literal(x) for x in inputs)
            return self._derive(f"({a} {_BINARY_UFUNCS[ufunc.__name__]} {b})")
        if len(inputs) == 1 and ufunc.__name__ in _UNARY_UFUNCS:
            return self._derive(_UNARY_UFUNCS[ufunc.__name__].format(literal(inputs[0])))
        return NotImplemented

    def __array_function__(self, func, types, args, kwargs):
        if func is np.where and len(args) == 3 and not kwargs:
            return self._derive("where({}, {}, {})".format(*(literal(a) for a in args)))
        return NotImplemented

    def __array__(self, dtype=None, copy=None):
        values = self.to_numpy()
        return values if dtype is None else values.astype(dtype)

    def astype(self, dtype):
        """The values cast to `dtype` with numpy's astype rules (an expression `int16(x)`;
        `astype(str)` is `astype(x, 'str')`, strings as numpy prints the values)."""
        if dtype is str or dtype in ("str", "string", "large_string"):
            return self._derive(f"astype({self.expression}, 'str')")
        name = np.dtype(dtype).name
        if name not in _SCALAR_TYPES:
            raise TypeError(f"cannot cast to {name}; swiftframe computes with {sorted(_SCALAR_TYPES)}")
        return self._derive(f"{name}({self.expression})")

    @property
    def dtype(self):
        """The numpy dtype of the values, known without reading data."""
        return self.df.data_type(self.expression)

    # Statistics and values: the frame computes them.
    def count(self, **kw): return self.df.count(self, **kw)
    def sum(self, **kw): return self.df.sum(self, **kw)
    def mean(self, **kw): return self.df.mean(self, **kw)
    def std(self, **kw): return self.df.std(self, **kw)
    def var(self, **kw): return self.df.var(self, **kw)
    def min(self, **kw): return self.df.min(self, **kw)
    def max(self, **kw): return self.df.max(self, **kw)
    def minmax(self, **kw): return self.df.minmax(self, **kw)

    def evaluate(self, i1=None, i2=None):
        return self.df.evaluate(self, i1, i2)

    def to_numpy(self):
        return self.df.evaluate(self)

    def __arrow_c_stream__(self, requested_schema=None):
        """The values as an Arrow C stream (a PyCapsule) of one column named after the
        expression: pyarrow.table(expr), polars.DataFrame(expr). A `requested_schema` is
        honoured as DataFrame.__arrow_c_stream__ honours it."""
        from . import interchange
        text = self.expression
        name = text[1:-1] if text.startswith("`") and text.endswith("`") else text
        return interchange.export_stream_as(self.df, requested_schema, [(name, text)])

    @property
    def values(self):
        return self.to_numpy()
