"""Golden HDF5 files written by vaex itself, for test_hdf5.py.

`columns()` builds the data with numpy from a fixed seed; the test rebuilds it the same
way and compares what swiftframe reads from the files with it. The files were written by
running this script with vaex-core 4.19.0 / vaex-hdf5 0.15.0 (vaex is not a dependency
of swiftframe: it pins an old dask and pandas):

    python vaex_files.py   # in an environment with vaex-core and vaex-hdf5
"""

import pathlib

import numpy as np

N = 300
NUMERIC = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float32", "float64"]


def columns():
    """name -> numpy array (a masked array where values are missing), in column order."""
    rng = np.random.default_rng(20260)
    out = {}
    for dtype in NUMERIC:
        if dtype.startswith("float"):
            values = rng.standard_normal(N).astype(dtype) * 1000
            values[7] = np.nan
        else:
            info = np.iinfo(dtype)
            values = rng.integers(info.min, info.max, N, dtype=dtype, endpoint=True)
            values[:2] = [info.min, info.max]
        out[dtype] = values
        out[f"{dtype}_masked"] = np.ma.MaskedArray(values[::-1].copy(), mask=rng.random(N) < 0.25)
    out["bool"] = rng.random(N) < 0.5
    out["bool_masked"] = np.ma.MaskedArray(rng.random(N) < 0.5, mask=rng.random(N) < 0.25)
    return out


def strings():
    rng = np.random.default_rng(7)
    return [f"s{int(v)}" for v in rng.integers(0, 50, N)]


def main():
    import pyarrow as pa
    import vaex

    here = pathlib.Path(__file__).parent
    data = columns()
    vaex.from_dict(data).export_hdf5(str(here / "vaex_numeric.hdf5"))
    rng = np.random.default_rng(11)
    nulls = rng.random(N) < 0.3
    mixed = vaex.from_dict({
        "x": data["float64"],
        "s": np.array(strings()),
        "t": np.arange(N).astype("datetime64[s]").astype("datetime64[ns]"),
        # an Arrow column with nulls: vaex stores its validity bitmap as `null_bitmap`
        "a": pa.array(data["int32"], mask=nulls),
        "i": data["int16"],
        # dictionary-encoded strings: a group with type "dictionary_encoded"
        "c": pa.array(strings()).dictionary_encode(),
    })
    mixed.export_hdf5(str(here / "vaex_mixed.hdf5"))


if __name__ == "__main__":
    main()
