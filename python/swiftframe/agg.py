"""Aggregations for groupby, as vaex spells them: `sf.agg.mean("x")`,
`sf.agg.count()`, each with an optional `selection`."""

_KINDS = ("count", "sum", "mean", "std", "var", "min", "max", "first", "last", "any", "all", "skew", "kurtosis",
          "nunique", "covariance", "correlation", "mode")
_PAIRED = ("covariance", "correlation")


def pair_text(x, y):
    """The two expressions of covariance or correlation, as the engine takes them."""
    from .dataframe import _text
    from .expression import Pair
    return Pair(_text(x), _text(y))


class Aggregation:
    """A statistic of an expression (None: rows, for count) to compute per group.
    `selection`: None, True ("default"), a selection name, a boolean expression, or a
    list of those (one result column per selection, `{name}_{i}`)."""

    def __init__(self, kind, expression=None, selection=None, y=None):
        if kind not in _KINDS:
            raise ValueError(f"unknown aggregation {kind!r}; swiftframe has {', '.join(_KINDS)}")
        if expression is None and kind != "count":
            raise TypeError(f"{kind}() needs an expression")
        if (y is not None) != (kind in _PAIRED):
            raise TypeError(f"{kind}() takes {'two expressions' if kind in _PAIRED else 'one expression'}")
        self.kind = kind
        self.expression = expression
        self.selection = selection
        self.y = y  # the second expression of covariance and correlation

    def text(self):
        """The expression text the engine gets (None for a count of rows)."""
        from .dataframe import _text
        if self.expression is None:
            return None
        return pair_text(self.expression, self.y) if self.y is not None else _text(self.expression)

    def default_name(self):
        """vaex's name of the result column: `x_mean`, or `count` for rows."""
        from .expression import Expression
        if self.expression is None:
            return self.kind
        text = self.expression.expression if isinstance(self.expression, Expression) else str(self.expression)
        if self.y is not None:
            text += "_" + (self.y.expression if isinstance(self.y, Expression) else str(self.y))
        return f"{text}_{self.kind}"

    def __repr__(self):
        return f"sf.agg.{self.kind}({self.expression!r})"


def count(expression=None, selection=None): return Aggregation("count", expression, selection)
def sum(expression, selection=None): return Aggregation("sum", expression, selection)  # noqa: A001
def mean(expression, selection=None): return Aggregation("mean", expression, selection)
def std(expression, selection=None): return Aggregation("std", expression, selection)
def var(expression, selection=None): return Aggregation("var", expression, selection)
def min(expression, selection=None): return Aggregation("min", expression, selection)  # noqa: A001
def max(expression, selection=None): return Aggregation("max", expression, selection)  # noqa: A001
def first(expression, selection=None): return Aggregation("first", expression, selection)
def last(expression, selection=None): return Aggregation("last", expression, selection)
def any(expression, selection=None): return Aggregation("any", expression, selection)  # noqa: A001
def all(expression, selection=None): return Aggregation("all", expression, selection)  # noqa: A001
def skew(expression, selection=None): return Aggregation("skew", expression, selection)
def kurtosis(expression, selection=None): return Aggregation("kurtosis", expression, selection)
def nunique(expression, selection=None): return Aggregation("nunique", expression, selection)
def covariance(x, y, selection=None): return Aggregation("covariance", x, selection, y=y)
def correlation(x, y, selection=None): return Aggregation("correlation", x, selection, y=y)
def mode(expression, selection=None):
    """The most frequent value, exactly (see DataFrame.mode): not in vaex.agg."""
    return Aggregation("mode", expression, selection)
