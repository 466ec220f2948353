"""Datetime and timedelta accessors: `df.t.dt.year`, `df.t.dt.strftime("%Y")`,
`df.d.td.total_seconds()`, with vaex's names (pandas' where vaex has none). Each builds
an expression string (`dt_year(t)`, `td_total_seconds(d)`); the engine computes it.

Fields of a column with a time zone (Arrow's timestamp timezone) are in local time, as
pandas gives them for tz-aware data; the zone is read from the system's zoneinfo files."""

from .expression import literal


class _Accessor:
    _prefix = ""

    def __init__(self, expression):
        self._expression = expression

    def _call(self, name, *args):
        texts = [self._expression.expression] + [literal(a) for a in args]
        return self._expression._derive(f"{self._prefix}{name}({', '.join(texts)})")


def _field(name, doc):
    def get(self):
        return self._call(name)
    get.__doc__ = doc
    return property(get)


class DateTime(_Accessor):
    """`expr.dt`: calendar fields of datetime64 values (vaex's DateTime namespace)."""

    _prefix = "dt_"

    year = _field("year", "The year.")
    month = _field("month", "The month, 1-12.")
    day = _field("day", "The day of the month, 1-31.")
    hour = _field("hour", "The hour, 0-23.")
    minute = _field("minute", "The minute, 0-59.")
    second = _field("second", "The second, 0-59.")
    microsecond = _field("microsecond", "The microseconds within the second, 0-999999.")
    nanosecond = _field("nanosecond", "The nanoseconds beyond the microsecond, 0-999.")
    dayofweek = _field("dayofweek", "The day of the week, Monday = 0.")
    weekday = dayofweek
    day_of_week = dayofweek
    dayofyear = _field("dayofyear", "The day of the year, 1-366.")
    day_of_year = dayofyear
    weekofyear = _field("weekofyear", "The ISO 8601 week of the year, 1-53 (pandas' isocalendar().week).")
    quarter = _field("quarter", "The quarter, 1-4.")
    is_leap_year = _field("is_leap_year", "Whether the year is a leap year.")
    days_in_month = _field("days_in_month", "The number of days in the month.")
    date = _field("date", "The date (datetime64[D]).")

    @property
    def day_name(self):
        """The English name of the day of the week ('Monday'), as strings."""
        return self._call("strftime", "%A")

    @property
    def month_name(self):
        """The English name of the month ('January'), as strings."""
        return self._call("strftime", "%B")

    def floor(self, freq):
        """Rounded down to a fixed frequency: 'D', 'h', 'min', 's', 'ms', 'us', 'ns', or a
        multiple such as '15min' (counted from 1970-01-01, in local time for a zone)."""
        return self._call("floor", str(freq))

    def strftime(self, date_format):
        """Formatted as strings with strftime directives (%Y %m %d %H %M %S %f %j %a %A %b
        %B %y %p %I %w %u %V %G %e %F %T %D %%, C locale); missing values stay missing."""
        return self._call("strftime", str(date_format))


class TimeDelta(_Accessor):
    """`expr.td`: components of timedelta64 values (vaex's TimeDelta namespace, with
    pandas' Timedelta.components semantics: days floored, the rest non-negative)."""

    _prefix = "td_"

    days = _field("days", "Whole days (floored, so -1 second is -1 day + 86399 seconds).")
    seconds = _field("seconds", "Seconds within the day, 0-86399.")
    microseconds = _field("microseconds", "Microseconds within the second, 0-999999.")
    nanoseconds = _field("nanoseconds", "Nanoseconds beyond the microsecond, 0-999.")

    def total_seconds(self):
        """The duration in seconds, as float64."""
        return self._call("total_seconds")
