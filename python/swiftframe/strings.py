r"""String methods of an expression, `df.s.str.lower()`, as vaex's StringOperations.
Each method only builds an expression string (`str_lower(s)`); the engine computes
it a chunk at a time on the Arrow UTF-8 bytes. Lengths, positions and widths count
code points, as Python's str does; a result is missing where the string is.

Case mappings and character classes follow Python's str methods with the Unicode
tables of the Swift runtime, which may be newer than the Python's (a few characters
that later Unicode versions gave case pairs or numeric values differ). Regular
expressions are PCRE2's, which reads Python's syntax for the common subset
(groups, (?P<name>...), lookaround, \d \w \s \b, lazy quantifiers, \Z, {,n});
re.LOCALE is not supported, and \S inside a class omits Python's U+001C..U+001F.
Replacement templates take \1, \g<1> and \g<name>, as re.sub's.

Casts: `expr.astype(str)` prints numbers as numpy's astype(str) does (NaN is 'nan',
a value, where pandas would keep it missing); `s.astype('float64')` /
`s.astype('int64')` parse strings as pandas' `to_numeric(errors='coerce')`: text that
is not a number gives a missing value ('nan' gives NaN; integer types accept only
integer text within their range)."""

import re

from .expression import literal


def _flags(flags, case=True):
    """re flags as the engine's integer, IGNORECASE added when case is False."""
    value = int(flags)
    if not case:
        value |= int(re.IGNORECASE)
    return value


class StringMethods:
    """The `.str` accessor of a string Expression."""

    def __init__(self, expression):
        self._expression = expression

    def _call(self, name, *args):
        text = ", ".join([self._expression.expression] + [literal(a) for a in args])
        return self._expression._derive(f"str_{name}({text})")

    # Lengths and case.
    def len(self):
        """Length in code points (Python's len)."""
        return self._call("len")

    def byte_length(self):
        """Length in UTF-8 bytes."""
        return self._call("byte_length")

    def lower(self): return self._call("lower")
    def upper(self): return self._call("upper")
    def title(self): return self._call("title")
    def capitalize(self): return self._call("capitalize")

    # Whitespace and padding.
    def strip(self, to_strip=None):
        return self._call("strip") if to_strip is None else self._call("strip", to_strip)

    def lstrip(self, to_strip=None):
        return self._call("lstrip") if to_strip is None else self._call("lstrip", to_strip)

    def rstrip(self, to_strip=None):
        return self._call("rstrip") if to_strip is None else self._call("rstrip", to_strip)

    def pad(self, width, side="left", fillchar=" "):
        """Pads to `width` code points: side 'left' (as rjust), 'right' (ljust) or 'both' (center)."""
        return self._call("pad", width, side, fillchar)

    def ljust(self, width, fillchar=" "): return self._call("ljust", width, fillchar)
    def rjust(self, width, fillchar=" "): return self._call("rjust", width, fillchar)
    def center(self, width, fillchar=" "): return self._call("center", width, fillchar)
    def zfill(self, width): return self._call("zfill", width)
    def repeat(self, repeats): return self._call("repeat", repeats)

    # Searching.
    def contains(self, pattern, case=True, flags=0, regex=True):
        """Whether the string contains `pattern` (a regular expression unless regex=False)."""
        return self._call("contains", pattern, bool(regex), _flags(flags, case))

    def match(self, pattern, case=True, flags=0):
        """Whether the regular expression matches at the start (pandas' str.match)."""
        return self._call("match", pattern, _flags(flags, case))

    def startswith(self, pat): return self._call("startswith", pat)
    def endswith(self, pat): return self._call("endswith", pat)

    def find(self, sub, start=0, end=None):
        """Lowest code point index of `sub` in s[start:end], or -1."""
        return self._call("find", sub, start) if end is None else self._call("find", sub, start, end)

    def count(self, pat, regex=False, flags=0):
        """Non-overlapping occurrences of `pat` (vaex: plain text unless regex=True)."""
        return self._call("count", pat, bool(regex), int(flags))

    def replace(self, pat, repl, n=-1, flags=0, regex=False, case=True):
        """Replaces the first `n` (all if -1) occurrences of `pat` (a regular
        expression when regex=True, with re.sub's \\1 and \\g<name> in `repl`)."""
        return self._call("replace", pat, repl, int(n), _flags(flags, case), bool(regex))

    # Pieces.
    def slice(self, start=None, stop=None):
        """s[start:stop] in code points."""
        if start is None and stop is None:
            return self._call("slice")
        if stop is None:
            return self._call("slice", start)
        return self._call("slice", 0 if start is None else start, stop)

    def get(self, i):
        """The character at index `i` (missing when out of range)."""
        return self._call("get", i)

    def __getitem__(self, key):
        if isinstance(key, slice):
            if key.step not in (None, 1):
                raise ValueError("str[...] supports slices with step 1 only")
            return self.slice(key.start, key.stop)
        return self.get(key)

    def split(self, pattern=None):
        """s.split(pattern) (None: runs of whitespace); take a piece with `.get(i)` or `[i]`."""
        return _SplitResult(self, pattern)

    def cat(self, other, sep=""):
        """Concatenation with a string column or a string (missing if either is)."""
        return self._call("cat", other, sep)

    # Character classes.
    def isdigit(self): return self._call("isdigit")
    def isalpha(self): return self._call("isalpha")
    def isalnum(self): return self._call("isalnum")
    def isspace(self): return self._call("isspace")
    def islower(self): return self._call("islower")
    def isupper(self): return self._call("isupper")
    def isdecimal(self): return self._call("isdecimal")
    def isnumeric(self): return self._call("isnumeric")


class _SplitResult:
    """`s.str.split(sep)`: pieces are taken with `.get(i)`, an expression str_split_get."""

    def __init__(self, methods, pat):
        self._methods = methods
        self._pat = pat

    def get(self, i):
        """Piece `i` (negative from the end); missing when there is no such piece."""
        if self._pat is None:
            return self._methods._call("split_get", i)
        return self._methods._call("split_get", self._pat, i)

    def __getitem__(self, i):
        return self.get(i)

    @property
    def str(self):
        return self
