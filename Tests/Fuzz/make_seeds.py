"""Writes the fuzzers' seed corpora: small valid files from pyarrow, polars and vaex.

    .venv/bin/python Tests/Fuzz/make_seeds.py          # pyarrow, polars, CSV, expressions
    .venv-vaex/bin/python Tests/Fuzz/make_seeds.py     # adds vaex's HDF5 and Arrow files

Seeds go to Tests/Fuzz/corpus/<target>/seed-*; .ci/fuzz adds the Arrow project's
regression and golden files (../shared/arrow-testing) at run time rather than copying
them. The frame the expression fuzzer checks its inputs against is written too
(expression-frame.arrow). Files are small on purpose: the fuzzer mutates them.
"""

import datetime
import pathlib
import sys

import numpy as np

CORPUS = pathlib.Path(__file__).resolve().parent / "corpus"


def columns(n=7):
    """name -> list of values covering each dtype the engine reads, with missing values."""
    base = datetime.datetime(2021, 3, 4, 5, 6, 7)
    return {
        "i": [1, None, -3, 2**40, 0, 7, -1][:n],
        "x": [1.5, float("nan"), None, -0.0, float("inf"), 2.25, 1e300][:n],
        "b": [True, False, None, True, True, False, True][:n],
        "s": ["a", "", None, "héllo", "b,c", "a", "zz"][:n],
        "t": [base + datetime.timedelta(hours=k) if k != 2 else None for k in range(n)],
        "d": [datetime.date(2020, 1, 1 + k) for k in range(n)],
        "c": ["red", "blue", None, "red", "green", "blue", "red"][:n],
    }


def write_pyarrow():
    import pyarrow as pa
    import pyarrow.feather as feather
    data = columns()
    table = pa.table({
        "i": pa.array(data["i"], pa.int64()), "x": pa.array(data["x"], pa.float64()),
        "b": pa.array(data["b"], pa.bool_()), "s": pa.array(data["s"], pa.string()),
        "t": pa.array(data["t"], pa.timestamp("us")), "d": pa.array(data["d"], pa.date32()),
        "c": pa.array(data["c"]).dictionary_encode(),
        "ls": pa.array(data["s"], pa.large_string()), "u8": pa.array([k for k in range(7)], pa.uint8()),
        "f4": pa.array([0.5 * k for k in range(7)], pa.float32()),
    })
    out = CORPUS / "arrow"
    for name, batch_rows, compression in [("one-batch", None, None), ("three-batches", 3, None),
                                          ("zstd", 3, "zstd"), ("lz4", None, "lz4")]:
        batches = table.to_batches(max_chunksize=batch_rows) if batch_rows else table.to_batches()
        options = pa.ipc.IpcWriteOptions(compression=compression)
        with pa.ipc.new_file(out / f"seed-pyarrow-{name}.arrow", table.schema, options=options) as w:
            for b in batches:
                w.write_batch(b)
        with pa.ipc.new_stream(out / f"seed-pyarrow-{name}.stream", table.schema, options=options) as w:
            for b in batches:
                w.write_batch(b)
    feather.write_feather(table.slice(0, 0), out / "seed-pyarrow-empty.arrow", compression="uncompressed")
    # The expression fuzzer's frame: every dtype, missing values, NaN.
    feather.write_feather(table, CORPUS / "expression-frame.arrow", compression="uncompressed")


def write_polars():
    import polars as pl
    data = columns()
    df = pl.DataFrame({k: v for k, v in data.items() if k != "c"}).with_columns(
        pl.Series("c", data["c"], dtype=pl.Categorical))
    df.write_ipc(CORPUS / "arrow" / "seed-polars.arrow", compression="uncompressed")
    df.write_ipc_stream(CORPUS / "arrow" / "seed-polars.stream", compression="uncompressed")
    df.write_ipc(CORPUS / "arrow" / "seed-polars-zstd.arrow", compression="zstd")
    df.drop("c").write_csv(CORPUS / "csv" / "seed-polars.csv")
    df.drop("c").write_csv(CORPUS / "csv" / "seed-polars-semicolon.csv", separator=";", quote_style="always")


def write_csv_and_expressions():
    (CORPUS / "csv" / "seed-handwritten.csv").write_text(
        'a,b,c,d\n1,2.5,x,2020-01-01\n,nan,"q,""uote""",2020-01-02 03:04:05\n3,1e3,,NA\n'
        '-4,inf,"multi\nline",2020-01-03T00:00:00.5\n')
    (CORPUS / "csv" / "seed-widening.csv").write_text(
        "n\n" + "\n".join(str(k) for k in range(10)) + "\n1.5\ntext\n")
    expressions = [
        "x + i * 2", "sqrt(abs(x)) > 1", "where(b, x, -x)", "str_lower(s) == 'a'", "str_len(s) + i",
        "fillna(x, 0) / (i - 1)", "i % 3 == 0 & ~b", "t > '2021-03-04'", "isin(c, ['red', 'blue'])",
        "str_contains(s, '^h.*o$', regex=True)", "minimum(x, i) ** 2", "`i` // 0", "-(i << 2)",
        "astype(x, 'int32')", "str_replace(s, 'a', 'b')", "arctan2(x, i)", "ismissing(s) | isnan(x)",
    ]
    for k, text in enumerate(expressions):
        (CORPUS / "expression" / f"seed-{k:02d}").write_text(text)


def write_vaex():
    import vaex
    data = {k: np.array([v if v is not None else 0 for v in vals])
            for k, vals in columns().items() if k in ("i", "x")}
    data["s"] = np.array(["a", "", "héllo", "b,c", "a", "zz", "q"])
    df = vaex.from_dict(data)
    df.export_hdf5(str(CORPUS / "hdf5" / "seed-vaex.hdf5"))
    df.export_arrow(str(CORPUS / "arrow" / "seed-vaex.arrow"))


def main():
    for target in ("arrow", "hdf5", "csv", "expression"):
        (CORPUS / target).mkdir(parents=True, exist_ok=True)
    try:
        import vaex  # noqa: F401
    except ImportError:
        write_pyarrow()
        write_polars()
        write_csv_and_expressions()
        print("wrote the pyarrow, polars, CSV and expression seeds; run with vaex's Python for vaex's", file=sys.stderr)
    else:
        write_vaex()


if __name__ == "__main__":
    main()
