"""Expressions: a string the engine parses, plus the frame it belongs to.
Operators and numpy ufuncs build new expression strings; nothing is computed
until a statistic or an evaluation asks for values."""

import datetime as _dt
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
_UNARY_UFUNCS = {"negative": "(-{})", "positive": "(+{})", "invert": "(~{})", "absolute": "abs({})"}
# ufuncs that are functions of the expression language under their numpy name
# (np.radians and np.degrees are numpy's aliases of deg2rad and rad2deg).
_FUNCTION_UFUNCS = {name: name for name in (
    "sign", "sqrt", "cbrt", "exp", "expm1", "log", "log2", "log10", "log1p", "sin", "cos", "tan", "arcsin",
    "arccos", "arctan", "sinh", "cosh", "tanh", "arcsinh", "arccosh", "arctanh", "deg2rad", "rad2deg", "floor",
    "ceil", "trunc", "rint", "isnan", "isinf", "isfinite", "arctan2", "hypot", "fmod", "minimum", "maximum")}
_FUNCTION_UFUNCS.update(radians="deg2rad", degrees="rad2deg")
_NO_DEFAULT = object()
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
    if isinstance(value, np.ndarray) and value.ndim == 0:  # how numpy hands scalars to ufuncs
        value = value[()]
    if isinstance(value, (np.datetime64, np.timedelta64, _dt.date, _dt.timedelta)):
        return _temporal_literal(value)
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


# numpy units as the engine's: datetime64[D|s|ms|us|ns], timedelta64[s|ms|us|ns].
_DATETIME_UNITS = {"Y": "D", "M": "D", "W": "D", "D": "D", "h": "s", "m": "s", "s": "s", "ms": "ms", "us": "us",
                   "ns": "ns", "ps": "ns", "fs": "ns", "as": "ns"}
_TIMEDELTA_UNITS = {"W": "s", "D": "s", "h": "s", "m": "s", "s": "s", "ms": "ms", "us": "us", "ns": "ns",
                    "ps": "ns", "fs": "ns", "as": "ns"}
_EPOCH = _dt.datetime(1970, 1, 1)


def _temporal_literal(value):
    """numpy datetime64/timedelta64 and Python (or pandas) datetime, date and timedelta
    values as typed constants: `datetime64(<count>, 'us')`, `timedelta64(<count>, 's')`.
    Aware datetimes are written as their UTC instant."""
    if hasattr(value, "asm8"):  # pandas Timestamp / Timedelta / NaT: nanoseconds
        value = value.asm8
    if isinstance(value, (np.datetime64, np.timedelta64)):
        duration = isinstance(value, np.timedelta64)
        unit, _ = np.datetime_data(value.dtype)
        if np.isnat(value):  # NaT: missing, whatever the unit
            return f"{'timedelta64' if duration else 'datetime64'}({np.iinfo(np.int64).min}, 's')"
        target = (_TIMEDELTA_UNITS if duration else _DATETIME_UNITS).get(unit)
        if target is None:
            raise TypeError(f"cannot use {value!r} in an expression: give it a fixed unit (D, h, m, s, ms, us, ns)")
        count = int(value.astype(f"{'m8' if duration else 'M8'}[{target}]").astype(np.int64))
        return f"{'timedelta64' if duration else 'datetime64'}({count}, '{target}')"
    if isinstance(value, _dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(_dt.timezone.utc).replace(tzinfo=None)
        delta = value - _EPOCH
        return f"datetime64({(delta.days * 86400 + delta.seconds) * 10**6 + delta.microseconds}, 'us')"
    if isinstance(value, _dt.date):
        return f"datetime64({(value - _EPOCH.date()).days}, 'D')"
    return f"timedelta64({(value.days * 86400 + value.seconds) * 10**6 + value.microseconds}, 'us')"


def _truth(value):
    """The truth value (non-zero) of an operand, as a boolean expression text."""
    if isinstance(value, Expression):
        return value.expression if value.dtype == np.bool_ else f"({value.expression} != 0)"
    return "True" if bool(value) else "False"


class Pair:
    """The two expressions of a statistic of two (covariance, correlation), as texts:
    they reach the engine side by side (the `seconds` array of the C functions)."""

    __slots__ = ("first", "second")

    def __init__(self, first, second):
        self.first, self.second = first, second

    def __repr__(self):
        return f"Pair({self.first!r}, {self.second!r})"


class Expression:
    """A lazy column expression bound to a DataFrame, as vaex's Expression."""

    __array_priority__ = 100  # numpy defers to our reflected operators

    def __init__(self, df, expression):
        self.df = df
        self.expression = expression

    def __str__(self):
        return self.expression

    def __repr__(self):
        from ._display import expression
        try:
            return expression(self)
        except Exception as e:  # repr must never raise
            return f"<swiftframe.Expression> {self.expression} (invalid: {e})"

    def _repr_html_(self):
        from html import escape
        from ._display import expression_html
        try:
            return expression_html(self)
        except Exception:  # repr must never raise
            return f"<pre>{escape(repr(self))}</pre>"

    def _derive(self, text):
        return Expression(self.df, text)

    def _binary(self, op, other, reflected=False):
        if not isinstance(other, (Expression, int, float, bool, str, np.generic, _dt.date, _dt.timedelta)):
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
        if ufunc.__name__ in _FUNCTION_UFUNCS and len(inputs) == ufunc.nin:
            return self._derive(f"{_FUNCTION_UFUNCS[ufunc.__name__]}({', '.join(literal(x) for x in inputs)})")
        return NotImplemented

    def __array_function__(self, func, types, args, kwargs):
        if func is np.where and len(args) == 3 and not kwargs:
            return self._derive("where({}, {}, {})".format(*(literal(a) for a in args)))
        if func is np.clip and isinstance(args[0], Expression):
            bounds = dict(zip(("a_min", "a_max"), args[1:]))
            bounds.update({{"min": "a_min", "max": "a_max"}.get(k, k): v for k, v in kwargs.items()})
            if set(bounds) <= {"a_min", "a_max"}:
                return args[0].clip(bounds.get("a_min"), bounds.get("a_max"))
        if func in (np.round, np.around) and isinstance(args[0], Expression):
            decimals = dict(zip(("decimals",), args[1:]), **kwargs)
            if set(decimals) <= {"decimals"}:
                return args[0].round(decimals.get("decimals", 0))
        if func is np.isin and isinstance(args[0], Expression) and len(args) == 2 and not kwargs:
            return args[0].isin(args[1])
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
        if np.dtype(dtype).kind in "mM":  # datetime64[unit] / timedelta64[unit]
            unit, _ = np.datetime_data(np.dtype(dtype))
            kind = "timedelta64" if np.dtype(dtype).kind == "m" else "datetime64"
            return self._derive(f"{kind}({self.expression}, '{unit}')")
        if name not in _SCALAR_TYPES:
            raise TypeError(f"cannot cast to {name}; swiftframe computes with {sorted(_SCALAR_TYPES)}")
        return self._derive(f"{name}({self.expression})")

    # Math with numpy's semantics (np.round, np.clip) -----------------------------------

    def round(self, decimals=0):
        """numpy's round: half to even at `decimals` digits (negative: tens, hundreds…)."""
        return self._derive(f"round({self.expression}, {_element(decimals)})")

    def __round__(self, ndigits=0):
        return self.round(ndigits)

    def clip(self, lower=None, upper=None):
        """Values below `lower` become `lower`, above `upper` become `upper` (numpy's clip;
        a NaN stays NaN). Either bound may be None."""
        if lower is not None and upper is not None:
            return self._derive(f"clip({self.expression}, {literal(lower)}, {literal(upper)})")
        if lower is not None:
            return self._derive(f"maximum({self.expression}, {literal(lower)})")
        if upper is not None:
            return self._derive(f"minimum({self.expression}, {literal(upper)})")
        return self

    # Missing values: missing (a null in Arrow) and NaN are apart, as in vaex ------------

    def isna(self):
        """True where the value is missing or NaN (never missing itself)."""
        return self._derive(f"isna({self.expression})")

    def isnull(self):
        return self._derive(f"isnull({self.expression})")

    def notna(self):
        """True where the value is neither missing nor NaN."""
        return self._derive(f"notna({self.expression})")

    def notnull(self):
        return self._derive(f"notnull({self.expression})")

    def ismissing(self):
        """True where the value is missing (NaN is a value)."""
        return self._derive(f"ismissing({self.expression})")

    def notmissing(self):
        return self._derive(f"notmissing({self.expression})")

    def isnan(self):
        """True where the value is NaN; missing where it is missing."""
        return self._derive(f"isnan({self.expression})")

    def fillna(self, value):
        """Missing values and NaN replaced by `value`."""
        return self._derive(f"fillna({self.expression}, {literal(value)})")

    def fillnan(self, value):
        """NaN replaced by `value` (missing values stay missing)."""
        return self._derive(f"fillnan({self.expression}, {literal(value)})")

    def fillmissing(self, value):
        """Missing values replaced by `value` (NaN stays NaN)."""
        return self._derive(f"fillmissing({self.expression}, {literal(value)})")

    def isin(self, values):
        """Whether each value is one of `values` (numbers or strings). A missing value is
        in them only when None is; NaN is when NaN is (pandas' isin)."""
        if isinstance(values, (str, bytes, Expression)):
            raise TypeError(f"isin() needs a collection of values, not {type(values).__name__}")
        items = ", ".join(_element(v) for v in values)
        return self._derive(f"isin({self.expression}{', ' if items else ''}{items})")

    def map(self, mapper, default=_NO_DEFAULT, default_value=_NO_DEFAULT):
        """Each value's entry in the dict `mapper` (number or string keys); values not
        among the keys, missing ones included, give `default` (vaex: `default_value`), or
        missing without one; None as a key maps the missing values. The result's dtype
        follows the dict's values: strings, bools, int64 or float64."""
        if not isinstance(mapper, dict):
            raise TypeError(f"map() needs a dict, not {type(mapper).__name__}")
        if default is _NO_DEFAULT:
            default = default_value
        parts = [_element(k) for k in mapper] + [_element(v) for v in mapper.values()]
        if default is not _NO_DEFAULT and default is not None:
            parts.append(_element(default))
        return self._derive(f"map({', '.join([self.expression] + parts)})")

    @property
    def dt(self):
        """Datetime fields and functions (`df.t.dt.year`), see swiftframe.datetimes; on a
        timedelta, its components as pandas' `.dt` gives them (`df.d.dt.total_seconds()`)."""
        from .datetimes import DateTime, TimeDelta
        return TimeDelta(self) if self.dtype.kind == "m" else DateTime(self)

    @property
    def td(self):
        """Timedelta components (`df.d.td.total_seconds()`), see swiftframe.datetimes."""
        from .datetimes import TimeDelta
        return TimeDelta(self)

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
    def first(self, **kw): return self.df.first(self, **kw)
    def last(self, **kw): return self.df.last(self, **kw)
    def any(self, **kw): return self.df.any(self, **kw)
    def all(self, **kw): return self.df.all(self, **kw)
    def skew(self, **kw): return self.df.skew(self, **kw)
    def kurtosis(self, **kw): return self.df.kurtosis(self, **kw)
    def covariance(self, y, **kw): return self.df.covariance(self, y, **kw)
    def correlation(self, y, **kw): return self.df.correlation(self, y, **kw)

    def unique(self, **kw): return self.df.unique(self, **kw)
    def value_counts(self, **kw): return self.df.value_counts(self, **kw)
    def nunique(self, **kw): return self.df.nunique(self, **kw)

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


def _math_method(name):
    def method(self, *others):
        """numpy's `{name}` of the expression (and `others`), as `np.{name}(expr, …)`."""
        return self._derive(f"{name}({', '.join(literal(x) for x in (self,) + others)})")
    method.__name__ = name
    method.__doc__ = f"numpy's {name} of the values (an expression `{name}(x, …)`), as vaex's df.x.{name}()."
    return method


# vaex's spellings of the math functions as methods: df.x.sqrt(), df.x.arctan2(df.y), df.x.abs().
for _name in ("abs", "sign", "sqrt", "cbrt", "exp", "expm1", "log", "log2", "log10", "log1p", "sin", "cos", "tan",
              "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "arcsinh", "arccosh", "arctanh", "deg2rad",
              "rad2deg", "floor", "ceil", "trunc", "rint", "isinf", "isfinite", "arctan2", "hypot", "fmod",
              "minimum", "maximum", "power"):
    if not hasattr(Expression, _name):
        setattr(Expression, _name, _math_method(_name))
del _name


def _element(value):
    """A literal element of isin()/map()/round(): Python's value of numpy scalars, None."""
    if value is None:
        return "None"
    if isinstance(value, Expression):
        raise TypeError(f"expected a constant, not the expression {value.expression}")
    if isinstance(value, np.generic):
        value = value.item()
    return literal(value)
