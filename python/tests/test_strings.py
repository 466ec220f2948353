"""String functions (`df.s.str.*`, `str_*(s)` in expressions) checked against pandas
on random text with accents, Greek, Cyrillic, CJK, emoji, combining marks, empty
strings and missing values, over several record batches, on plain utf8, large_utf8
and dictionary-encoded columns, and under a filter.

The reference is pandas: `string[pyarrow]` Series where pandas' Arrow kernels follow
Python's str, and object Series (which call Python's str methods) for case
mappings, character classes, whitespace and padding, where Arrow's utf8proc kernels
use simple case mappings and other whitespace tables than Python's str, which
swiftframe follows."""

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

import swiftframe as sf

N = 40_003
PIECES = (list("abcxyzABCXYZ0123456789") + [" ", "  ", "\t", ",", ",", "-", "+", ".", "_", "é", "É", "ß", "ç", "Ç",
          "ñ", "ø", "Å", "ǅ", "ǆ", "ŉ", "İ", "ı", "Σ", "σ", "ς", "Ά", "αβγ", "ΟΔΟΣ", "Жж", "щука", "ЁЛКА",
          "日本", "中文", "한국", "😀", "👍🏽", "e\u0301", "\u00a0", "\u2003", "٣", "Ⅻ", "½", "ﬁ"])


def random_strings(rng, n, missing=0.07):
    counts = rng.integers(0, 9, n)
    picks = rng.integers(0, len(PIECES), counts.sum())
    out, k = [], 0
    for c in counts:
        out.append("".join(PIECES[j] for j in picks[k:k + c]))
        k += c
    out = np.array(out, dtype=object)
    out[rng.random(n) < missing] = None
    return out


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(11)
    s = random_strings(rng, N)
    t = random_strings(rng, N, missing=0.05)
    words = random_strings(rng, 300, missing=0.0)
    cat = words[rng.integers(0, len(words), N)].copy()
    cat[rng.random(N) < 0.06] = None
    x = rng.standard_normal(N)
    return {"s": s, "ls": t, "cat": cat, "x": x}


@pytest.fixture(scope="module")
def frame(data, tmp_path_factory):
    table = pa.table({"s": pa.array(list(data["s"]), pa.string()),
                      "ls": pa.array(list(data["ls"]), pa.large_string()),
                      "cat": pa.array(list(data["cat"]), pa.string()).dictionary_encode(),
                      "x": pa.array(data["x"])})
    path = tmp_path_factory.mktemp("strings") / "s.arrow"
    with pa.ipc.new_file(str(path), table.schema) as writer:
        for batch in table.to_batches(max_chunksize=9_000):
            writer.write_batch(batch)
    return sf.open(str(path))


def as_list(values):
    """Engine values as Python objects, None where missing."""
    if isinstance(values, np.ma.MaskedArray):
        return [None if m else v for v, m in zip(values.data.tolist(), np.ma.getmaskarray(values))]
    return [None if v is None else v for v in np.asarray(values, dtype=object).tolist()]


def pandas_list(series):
    return [None if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) else
            (v.item() if isinstance(v, np.generic) else v) for v in series.astype(object)]


def check(frame, data, column, build, reference, arrow=False):
    """`build(expr)` evaluated by swiftframe equals `reference(series)` by pandas, on
    all rows and on the rows a filter keeps."""
    series = pd.Series(list(data[column]), dtype="string[pyarrow]" if arrow else object)
    expected = pandas_list(reference(series))
    got = as_list(frame.evaluate(build(frame[column])))
    assert len(got) == len(expected)
    bad = [(i, data[column][i], g, e) for i, (g, e) in enumerate(zip(got, expected)) if g != e]
    assert not bad, f"{len(bad)} mismatches, first: {bad[:3]}"
    keep = data["x"] > 0.3
    filtered = as_list(frame[frame.x > 0.3].evaluate(build(frame[column])))
    assert filtered == [e for e, k in zip(expected, keep) if k]


COLUMNS = ["s", "ls", "cat"]

# (id, swiftframe expression, pandas reference, reference on string[pyarrow])
CASES = [
    ("len", lambda e: e.str.len(), lambda p: p.str.len(), True),
    ("byte_length", lambda e: e.str.byte_length(),
     lambda p: pd.Series(pc.binary_length(pa.array(p, pa.string()))), False),
    ("lower", lambda e: e.str.lower(), lambda p: p.str.lower(), False),
    ("upper", lambda e: e.str.upper(), lambda p: p.str.upper(), False),
    ("title", lambda e: e.str.title(), lambda p: p.str.title(), False),
    ("capitalize", lambda e: e.str.capitalize(), lambda p: p.str.capitalize(), False),
    ("strip", lambda e: e.str.strip(), lambda p: p.str.strip(), False),
    ("lstrip", lambda e: e.str.lstrip(), lambda p: p.str.lstrip(), False),
    ("rstrip", lambda e: e.str.rstrip(), lambda p: p.str.rstrip(), False),
    ("strip_chars", lambda e: e.str.strip("a ,Σ😀"), lambda p: p.str.strip("a ,Σ😀"), True),
    ("lstrip_chars", lambda e: e.str.lstrip("0123é"), lambda p: p.str.lstrip("0123é"), True),
    ("rstrip_chars", lambda e: e.str.rstrip("xyz日本"), lambda p: p.str.rstrip("xyz日本"), True),
    ("contains_plain", lambda e: e.str.contains("a", regex=False), lambda p: p.str.contains("a", regex=False), True),
    ("contains_plain_nonascii", lambda e: e.str.contains("ΟΔ", regex=False),
     lambda p: p.str.contains("ΟΔ", regex=False), True),
    ("contains_regex", lambda e: e.str.contains(r"[αβγ]\w|\d{2}"), lambda p: p.str.contains(r"[αβγ]\w|\d{2}"), True),
    ("contains_regex_anchor", lambda e: e.str.contains(r"^\s|é$"), lambda p: p.str.contains(r"^\s|é$"), True),
    ("contains_nocase", lambda e: e.str.contains("σ|ж", case=False), lambda p: p.str.contains("σ|ж", case=False), False),
    ("contains_plain_nocase", lambda e: e.str.contains("a.b", case=False, regex=False),
     lambda p: p.str.contains("a.b", case=False, regex=False), False),
    ("startswith", lambda e: e.str.startswith("a"), lambda p: p.str.startswith("a"), True),
    ("startswith_cjk", lambda e: e.str.startswith("日本"), lambda p: p.str.startswith("日本"), True),
    ("endswith", lambda e: e.str.endswith("é"), lambda p: p.str.endswith("é"), True),
    ("find", lambda e: e.str.find("a"), lambda p: p.str.find("a"), True),
    ("find_nonascii", lambda e: e.str.find("σ"), lambda p: p.str.find("σ"), True),
    ("find_start", lambda e: e.str.find("b", 2), lambda p: p.str.find("b", 2), False),
    ("find_negative", lambda e: e.str.find("é", -6, -1), lambda p: p.str.find("é", -6, -1), False),
    ("find_empty", lambda e: e.str.find("", 3), lambda p: p.str.find("", 3), False),
    ("count_plain", lambda e: e.str.count("ab"), lambda p: p.str.count(re.escape("ab")), True),
    ("count_plain_empty", lambda e: e.str.count(""), lambda p: p.map(lambda v: v.count(""), na_action="ignore"), False),
    ("count_regex", lambda e: e.str.count(r"[aeé]|\d+", regex=True), lambda p: p.str.count(r"[aeé]|\d+"), True),
    ("count_regex_empty", lambda e: e.str.count(r"x*", regex=True), lambda p: p.str.count(r"x*"), False),
    ("replace_plain", lambda e: e.str.replace("a", "XY"), lambda p: p.str.replace("a", "XY", regex=False), True),
    ("replace_plain_n", lambda e: e.str.replace(",", "", n=1), lambda p: p.str.replace(",", "", n=1, regex=False), True),
    ("replace_plain_empty", lambda e: e.str.replace("", "-", n=3),
     lambda p: p.str.replace("", "-", n=3, regex=False), False),
    ("replace_regex", lambda e: e.str.replace(r"(\w)(\d)", r"\2<\1>", regex=True),
     lambda p: p.str.replace(r"(\w)(\d)", r"\2<\1>", regex=True), False),
    ("replace_regex_named", lambda e: e.str.replace(r"(?P<w>[α-ω]+)", r"[\g<w>]", regex=True),
     lambda p: p.str.replace(r"(?P<w>[α-ω]+)", r"[\g<w>]", regex=True), False),
    ("replace_regex_n", lambda e: e.str.replace(r"\s+", "_", n=2, regex=True),
     lambda p: p.str.replace(r"\s+", "_", n=2, regex=True), False),
    ("replace_regex_empty", lambda e: e.str.replace(r"x*", "-", regex=True),
     lambda p: p.str.replace(r"x*", "-", regex=True), False),
    ("slice", lambda e: e.str.slice(1, 4), lambda p: p.str.slice(1, 4), True),
    ("slice_negative", lambda e: e.str.slice(-3), lambda p: p.str.slice(-3), True),
    ("slice_stop_negative", lambda e: e.str.slice(None, -2), lambda p: p.str.slice(None, -2), True),
    ("slice_mixed", lambda e: e.str[2:-1], lambda p: p.str[2:-1], True),
    ("get", lambda e: e.str.get(0), lambda p: p.str.get(0), False),
    ("get_negative", lambda e: e.str.get(-1), lambda p: p.str.get(-1), False),
    ("get_far", lambda e: e.str.get(5), lambda p: p.str.get(5), False),
    ("pad", lambda e: e.str.pad(8), lambda p: p.str.pad(8), True),
    ("pad_right", lambda e: e.str.pad(7, "right", "*"), lambda p: p.str.pad(7, "right", "*"), True),
    ("pad_both", lambda e: e.str.pad(9, "both", "·"), lambda p: p.str.pad(9, "both", "·"), False),
    ("ljust", lambda e: e.str.ljust(6, "é"), lambda p: p.str.ljust(6, "é"), True),
    ("rjust", lambda e: e.str.rjust(10), lambda p: p.str.rjust(10), True),
    ("center", lambda e: e.str.center(8, "😀"), lambda p: p.str.center(8, "😀"), False),
    ("zfill", lambda e: e.str.zfill(6), lambda p: p.str.zfill(6), False),
    ("repeat", lambda e: e.str.repeat(3), lambda p: p.str.repeat(3), False),
    ("repeat_zero", lambda e: e.str.repeat(0), lambda p: p.str.repeat(0), False),
    ("cat_literal", lambda e: e.str.cat("ΣΩ", sep="/"), lambda p: p + "/ΣΩ", True),
    ("split_get", lambda e: e.str.split(",").get(1), lambda p: p.str.split(",").str.get(1), False),
    ("split_get_last", lambda e: e.str.split(",").get(-1), lambda p: p.str.split(",").str.get(-1), False),
    ("split_get_multi", lambda e: e.str.split("ΟΔ").get(0), lambda p: p.str.split("ΟΔ", regex=False).str.get(0), False),
    ("split_whitespace", lambda e: e.str.split().get(1), lambda p: p.str.split().str.get(1), False),
    ("isdigit", lambda e: e.str.isdigit(), lambda p: p.str.isdigit(), False),
    ("isalpha", lambda e: e.str.isalpha(), lambda p: p.str.isalpha(), False),
    ("isalnum", lambda e: e.str.isalnum(), lambda p: p.str.isalnum(), False),
    ("isspace", lambda e: e.str.isspace(), lambda p: p.str.isspace(), False),
    ("islower", lambda e: e.str.islower(), lambda p: p.str.islower(), False),
    ("isupper", lambda e: e.str.isupper(), lambda p: p.str.isupper(), False),
    ("isdecimal", lambda e: e.str.isdecimal(), lambda p: p.str.isdecimal(), False),
    ("isnumeric", lambda e: e.str.isnumeric(), lambda p: p.str.isnumeric(), False),
    ("match", lambda e: e.str.match(r"\w\d"), lambda p: p.str.match(r"\w\d"), True),
    ("match_nocase", lambda e: e.str.match("[a-c]|é", case=False), lambda p: p.str.match("[a-c]|é", case=False), False),
    ("match_group", lambda e: e.str.match(r"(\S)\1"), lambda p: p.str.match(r"(\S)\1"), False),
    ("concat_literal", lambda e: e + "!", lambda p: p + "!", True),
    ("concat_literal_left", lambda e: "→" + e, lambda p: "→" + p, True),
]


@pytest.mark.parametrize("column", COLUMNS)
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_against_pandas(frame, data, column, case):
    _, build, reference, arrow = case
    check(frame, data, column, build, reference, arrow)


def test_expression_strings_are_vaex_names(frame, data):
    expected = pandas_list(pd.Series(list(data["s"]), dtype=object).str.upper().str.slice(0, 3))
    assert as_list(frame.evaluate("str_slice(str_upper(s), 0, 3)")) == expected
    assert str(frame.s.str.lower()) == "str_lower(s)"


@pytest.mark.parametrize("pair", [("s", "ls"), ("cat", "s"), ("ls", "cat")])
def test_columns_joined(frame, data, pair):
    a, b = (pd.Series(list(data[c]), dtype="string[pyarrow]") for c in pair)
    assert as_list(frame.evaluate(frame[pair[0]] + frame[pair[1]])) == pandas_list(a + b)
    assert as_list(frame.evaluate(frame[pair[0]].str.cat(frame[pair[1]], sep=", "))) == pandas_list(a.str.cat(b, sep=", "))
    keep = data["x"] < 0
    got = as_list(frame[frame.x < 0].evaluate(frame[pair[0]] + "|" + frame[pair[1]]))
    assert got == [v for v, k in zip(pandas_list(a + "|" + b), keep) if k]


def test_string_results_filter_and_compare(frame, data):
    # A computed string feeds comparisons and filters like a stored one.
    lower = pd.Series(list(data["s"]), dtype=object).str.lower()
    original = pd.Series(list(data["s"]), dtype=object)
    keep = pandas_list(lower.str.startswith("a") & (original.str.len() > 3))
    expected = sum(1 for k in keep if k)
    assert len(frame[frame.s.str.lower().str.startswith("a") & (frame.s.str.len() > 3)]) == expected
    assert frame.count(selection="str_lower(s) == 'abc'") == sum(1 for v in lower if v == "abc")


def test_numbers_to_strings():
    rng = np.random.default_rng(3)
    n = 20_000
    floats = np.concatenate([rng.standard_normal(n) * 10.0 ** rng.integers(-30, 30, n),
                             [0.0, -0.0, np.nan, np.inf, -np.inf, 1e16, 1e15, 9999999999999998.0, 1e-4, 9.9e-5,
                              5e-324, 1.7976931348623157e308, 0.1, 0.3, 2.5, 100.0, 123456789.0]])
    ints = rng.integers(-2**63, 2**63 - 1, floats.size, dtype=np.int64)
    ints[:3] = [-2**63, 2**63 - 1, 0]
    with np.errstate(over="ignore"):
        f32 = floats.astype(np.float32)
    table = pa.table({"f": floats, "f32": f32, "i": ints, "i8": ints.astype(np.int8),
                      "u": ints.view(np.uint64), "b": ints % 3 == 0})
    df = sf.from_arrow(table)
    for name in table.column_names:
        values = table[name].to_numpy()
        expected = values.astype(str).tolist()
        got = as_list(df.evaluate(df[name].astype(str)))
        bad = [(v, g, e) for v, g, e in zip(values, got, expected) if g != e]
        assert not bad, f"{name}: {len(bad)} mismatches, first {bad[:5]}"
    # pandas prints the same, except that it keeps NaN as a missing value where numpy
    # (and swiftframe, whose NaN is a value) writes 'nan'.
    by_pandas = pd.Series(floats).astype(str).tolist()
    got = as_list(df.evaluate(df.f.astype(str)))
    assert [g for g, v in zip(got, floats) if not np.isnan(v)] == [p for p, v in zip(by_pandas, floats) if not np.isnan(v)]


def test_numbers_to_strings_missing(tmp_path):
    path = tmp_path / "n.arrow"
    table = pa.table({"i": pa.array([1, None, -7, 40], pa.int32()), "f": pa.array([0.5, 2.0, None, 1e20]),
                      "b": pa.array([True, None, False, True])})
    with pa.ipc.new_file(str(path), table.schema) as w:
        w.write_table(table)
    df = sf.open(str(path))
    assert as_list(df.evaluate(df.i.astype(str))) == ["1", None, "-7", "40"]
    assert as_list(df.evaluate(df.f.astype(str))) == ["0.5", "2.0", None, "1e+20"]
    assert as_list(df.evaluate(df.b.astype(str))) == ["True", None, "False", "True"]
    assert as_list(df.evaluate("str_len(astype(i, 'str'))")) == [1, None, 2, 2]


def test_strings_to_numbers(tmp_path):
    rng = np.random.default_rng(8)
    n = 30_000
    numbers = rng.standard_normal(n) * 10.0 ** rng.integers(-20, 20, n)
    texts = np.array([repr(v) for v in numbers] + [str(int(v)) for v in rng.integers(-10**12, 10**12, n)], dtype=object)
    specials = ["", "x", " 12 ", "+5", "-0", ".5", "5.", "1e3", "1E-3", "inf", "-Infinity", "1e", "e3", "--1", "1.2.3",
                "0x10", "1_000", "9" * 30, "1.5e400", "٣", "\t7\n", "12abc", "+", "-", "."]
    texts = np.concatenate([texts, np.array(specials, dtype=object)])
    texts[rng.random(texts.size) < 0.05] = None
    path = tmp_path / "t.arrow"
    table = pa.table({"s": pa.array(list(texts), pa.string())})
    with pa.ipc.new_file(str(path), table.schema) as w:
        for batch in table.to_batches(max_chunksize=20_000):
            w.write_batch(batch)
    df = sf.open(str(path))
    expected = pd.to_numeric(pd.Series(list(texts), dtype=object), errors="coerce").to_numpy(dtype=float)
    got = df.evaluate(df.s.astype("float64"))
    missing = np.ma.getmaskarray(got)
    assert np.array_equal(missing, np.isnan(expected))
    assert np.array_equal(np.ma.getdata(got)[~missing], expected[~missing])
    # Integers: only integer text parses; the rest (and overflow) is missing.
    ints = df.evaluate("int64(s)")
    for text, value, m in zip(texts, np.ma.getdata(ints), np.ma.getmaskarray(ints)):
        if text is not None and re.fullmatch(r"\s*[+-]?[0-9]+\s*", text) and abs(int(text)) < 2**63:
            assert not m and value == int(text)
        else:
            assert m, text
    small = df.evaluate("int8(s)")
    for text, value, m in zip(texts, np.ma.getdata(small), np.ma.getmaskarray(small)):
        ok = text is not None and re.fullmatch(r"\s*[+-]?[0-9]+\s*", text) and -128 <= int(text) <= 127
        assert (not m and value == int(text)) if ok else m


@pytest.mark.filterwarnings("ignore:This pattern is interpreted as a regular expression")
def test_regex_uses_python_syntax(tmp_path):
    path = tmp_path / "r.arrow"
    values = ["ab12", "x\n", "Straße", "aaa", "", "ΑΒΓ δεζ", "a.b", "2024-05-06", "x\\e(y", "a*b", "STRASSE", "a{,2}b", "aa", "]b", "x\x1cy", "\x1f"]
    table = pa.table({"s": values})
    with pa.ipc.new_file(str(path), table.schema) as w:
        w.write_table(table)
    df = sf.open(str(path))
    series = pd.Series(values, dtype=object)
    for pattern in [r"\d+\Z", r"(?P<y>\d{4})-(?P=y)?", r"(?i)STRASSE|straße", r"\w+\s\w+", r"a(?=a)", r"^$",
                    r"(?<=\.)b", r"\bδ", r"x$", r"^a{,2}$", r"[{,]", r"[]a]{,1}b", r"\{,2}", r"\s", r"\S\s\S", r"[\sa]b", r"^\S*$"]:
        assert as_list(df.evaluate(df.s.str.contains(pattern))) == pandas_list(series.str.contains(pattern)), pattern
    for plain in ["A.B", "\\E(", "ß$", "*"]:
        got = as_list(df.evaluate(df.s.str.contains(plain, case=False, regex=False)))
        assert got == pandas_list(series.str.contains(plain, case=False, regex=False)), plain
    repl = df.s.str.replace(r"(?P<y>\d+)-(\d+)", r"\2/\g<y>", regex=True)
    assert as_list(df.evaluate(repl)) == pandas_list(series.str.replace(r"(?P<y>\d+)-(\d+)", r"\2/\g<y>", regex=True))


@pytest.mark.parametrize("bad, error", [
    ("str_contains(s, '(unclosed')", SyntaxError),
    ("str_replace(s, '[a-', 'x', -1, 0, True)", SyntaxError),
    ("str_match(s, '*a')", SyntaxError),
    ("str_count(s, 'a(?', True)", SyntaxError),
    ("str_lower(x)", TypeError),
    ("str_len(x + 1)", TypeError),
    ("str_contains(x, 'a')", TypeError),
    ("str_lower(s, 1)", TypeError),
    ("str_lower()", TypeError),
    ("str_pad(s)", TypeError),
    ("str_slice(s, 1, 2, 3)", TypeError),
    ("str_pad(s, 5, 'left', 'ab')", TypeError),
    ("str_pad(s, 5, 'middle')", ValueError),
    ("str_get(s, 'a')", TypeError),
    ("str_slice(s, x)", TypeError),
    ("str_split_get(s, '', 1)", ValueError),
    ("str_replace(s, '(a)', '\\\\2', -1, 0, True)", ValueError),
    ("str_nonsense(s)", NameError),
    ("s + 1", TypeError),
    ("s - 'a'", TypeError),
    ("float64(s) + s", TypeError),
])
def test_errors_before_any_pass(frame, bad, error):
    # data_type type-checks without a pass; count runs one only if the check passes.
    with pytest.raises(error):
        frame.data_type(bad)
    with pytest.raises(error):
        frame.count(bad)


def test_oversized_results_are_errors(frame):
    # Results that cannot fit in memory raise, they do not abort the process.
    with pytest.raises(ValueError):
        frame.evaluate(frame.s.str.repeat(10**9))
    with pytest.raises(ValueError):
        frame.evaluate(frame.s.str.pad(10**7))


def test_python_accessor_errors(frame):
    with pytest.raises(TypeError):
        frame.evaluate(frame.x.str.lower())
    with pytest.raises(SyntaxError):
        frame.s.str.contains("[").dtype
    with pytest.raises(ValueError):
        frame.s.str[::2]


def test_result_dtypes(frame):
    assert frame.s.str.len().dtype == np.int64
    assert frame.s.str.contains("a").dtype == np.bool_
    assert frame.s.str.upper().dtype == object
    assert frame.s.astype("float64").dtype == np.float64


# Characters whose case properties changed after Unicode 14 (Python 3.11's tables):
# Unicode 16 gave ƛ and ɤ uppercase forms (U+A7DC, U+A7CB) and made ʕ caseless.
# swiftframe uses the Swift runtime's (newer) tables; these differ only on Pythons
# older than Unicode 16.
NEWER_UNICODE = {0x19B, 0x264, 0x295}


@pytest.mark.parametrize("method", ["lower", "upper", "title", "capitalize", "isalpha", "isalnum", "isdigit", "isspace",
                                    "islower", "isupper", "isdecimal", "isnumeric"])
def test_every_latin_greek_cyrillic_character(method):
    # Every code point of Latin-1, Latin Extended-A/B, IPA, Greek, Cyrillic, Latin
    # Extended Additional and Greek Extended, alone and between letters (the final
    # sigma and title-case rules look at neighbours), against Python's str methods.
    import unicodedata
    codes = [c for c in list(range(1, 0x530)) + list(range(0x1E00, 0x2000))
             if unicodedata.unidata_version >= "16" or c not in NEWER_UNICODE]
    values = [chr(c) for c in codes] + ["a" + chr(c) + "b" for c in codes] + ["Σ" + chr(c) for c in codes] + \
             [chr(c) + "Σ" for c in codes]
    df = sf.from_arrow(pa.table({"s": pa.array(values, pa.string())}))
    got = as_list(df.evaluate(getattr(df.s.str, method)()))
    expected = pandas_list(getattr(pd.Series(values, dtype=object).str, method)())
    bad = [(hex(ord(v[-1] if v[0] == "Σ" else v[0] if len(v) == 1 else v[1])), v, g, e)
           for v, g, e in zip(values, got, expected) if g != e]
    assert not bad, f"{len(bad)} mismatches, first {bad[:5]}"


@pytest.mark.filterwarnings("ignore")
def test_random_patterns_and_templates_agree_with_python_re():
    # Random patterns from regex syntax: where Python compiles one, swiftframe must
    # compile it too and match the same rows; random re.sub templates likewise
    # (groups by number and name, octal codes, escapes), through pandas' object
    # str methods, which call Python's re.
    rng = np.random.default_rng(21)
    values = ["ab12", "x\n", "Straße", "aaa", "", "ΑΒΓ δεζ", "a.b", "2024-05-06", "😀a", "a{,2}b", "]b", None]
    df = sf.from_arrow(pa.table({"s": pa.array(values, pa.string())}))
    series = pd.Series(values, dtype=object)
    alphabet = list("ab.()[]{}*+?|^$\\dwsSZ0123,:-é😀") + ["(?P<n>", "(?P=n)", "(?:", "(?=", "(?<=", "\\b", "\\1"]
    compiled = 0
    for _ in range(400):
        pattern = "".join(alphabet[i] for i in rng.integers(0, len(alphabet), rng.integers(1, 8)))
        try:
            re.compile(pattern)
        except re.error:
            continue
        compiled += 1
        got = as_list(df.evaluate(df.s.str.contains(pattern)))
        assert got == pandas_list(series.str.contains(pattern)), pattern
    assert compiled > 100
    patterns = [r"(a)(b)?", r"(?P<x>\w)", r"", r"x*", r"(\d+)-(\d+)", r"(.)", r"é|ß", r"\b"]
    pieces = list("ab-") + ["\\1", "\\2", "\\g<1>", "\\g<x>", "\\g<0>", "\\n", "\\\\", "\\.", "\\0", "\\12", "\\101",
                            "\\18", "\\01", "é", "$1"]
    checked = 0
    for _ in range(300):
        pattern = patterns[rng.integers(0, len(patterns))]
        template = "".join(pieces[i] for i in rng.integers(0, len(pieces), rng.integers(0, 4)))
        n = int(rng.choice([-1, 1, 2]))
        try:
            expected = pandas_list(series.str.replace(pattern, template, n=n, regex=True))
        except (re.error, IndexError):  # bad escape, unknown group
            with pytest.raises(ValueError):
                df.data_type(df.s.str.replace(pattern, template, n=n, regex=True))
            continue
        checked += 1
        assert as_list(df.evaluate(df.s.str.replace(pattern, template, n=n, regex=True))) == expected, (pattern, template)
    assert checked > 100
