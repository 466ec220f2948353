"""Arrow IPC record batches are loaded lazily, a batch at a time: compressed bodies are
decompressed when a pass needs them (memory does not grow with the file), and the
O(rows) checks of a batch (string offsets, dictionary indices) run on its first use,
so a file with one corrupt batch opens and fails, naming the column, only when a pass
reaches that batch."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pyarrow as pa
import pytest

import swiftframe as sf

ROWS = 250_000          # per record batch
BATCHES = 48            # about 12 M rows, ~ 500 MB decoded
HEADROOM = 150 << 20    # what the reading process may allocate above the interpreter's baseline
WORDS = pa.array([f"w{j:04d}-" + "x" * (j % 17) for j in range(1000)])


def make_batch(k):
    """Record batch k of the big files: deterministic from k alone."""
    rng = np.random.default_rng(1000 + k)
    x = rng.integers(-4000, 4000, ROWS) * 0.25                 # exact sums in float64
    i = rng.integers(-10**6, 10**6, ROWS)
    n = rng.integers(0, 1 << 20, ROWS) * 0.5
    n_missing = rng.random(ROWS) < 0.1
    s = WORDS.take(pa.array(rng.integers(0, len(WORDS), ROWS)))
    s_missing = rng.random(ROWS) < 0.05
    s = pa.array(s.to_numpy(zero_copy_only=False), mask=s_missing, type=pa.string())
    return pa.record_batch({"x": x, "i": i, "n": pa.array(n, mask=n_missing), "s": s})


@pytest.fixture(scope="module", params=["lz4", "zstd"])
def big(request, tmp_path_factory):
    """A compressed file of BATCHES batches and the expected statistics, computed
    with numpy batch by batch."""
    path = tmp_path_factory.mktemp("lazy") / f"big-{request.param}.arrow"
    schema = make_batch(0).schema
    totals = {"x": [0.0, 0, np.inf, -np.inf], "i": [0, 0, np.inf, -np.inf], "n": [0.0, 0, np.inf, -np.inf]}
    s_count = 0
    decoded = 0
    options = pa.ipc.IpcWriteOptions(compression=request.param)
    with pa.ipc.new_file(str(path), schema, options=options) as w:
        for k in range(BATCHES):
            batch = make_batch(k)
            w.write_batch(batch)
            decoded += batch.nbytes
            for name, t in totals.items():
                column = batch.column(name)
                values = column.to_numpy(zero_copy_only=False)
                if column.null_count:
                    values = values[column.is_valid().to_numpy(zero_copy_only=False)]
                t[0] += values.sum(dtype=values.dtype)
                t[1] += len(values)
                t[2] = min(t[2], values.min())
                t[3] = max(t[3], values.max())
            s_count += len(batch) - batch.column("s").null_count
    return path, totals, s_count, decoded


LIMITED = textwrap.dedent("""
    import json, resource, sys
    import numpy, pyarrow, swiftframe as sf   # pyarrow: string results are built with it
    with open("/proc/self/status") as f:
        baseline = int([l.split()[1] for l in f if l.startswith("VmData")][0]) * 1024
    limit = baseline + int(sys.argv[2])
    resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    df = sf.open(sys.argv[1])
    out = {"rows": len(df)}
    for name in ("x", "i", "n"):
        out[name] = [float(v) for v in df.sum([name])] + [int(df.count(name))] + \\
                    [float(v) for v in df.minmax(name)]
    out["s"] = int(df.count("s"))
    out["x_again"] = float(df.sum("x"))   # a second pass decodes again where batches were let go
    k = int(sys.argv[3])
    out["slice"] = df.evaluate("s", k, k + 50).tolist()
    with open("/proc/self/status") as f:
        out["hwm_kb"] = int([l.split()[1] for l in f if l.startswith("VmHWM")][0])
    print(json.dumps(out))
""")


def test_compressed_file_larger_than_the_memory_limit_is_aggregated(big):
    """Read under an RLIMIT_DATA of the interpreter's baseline + 150 MB, with the data
    decompressing to more than three times that: statistics over every batch, twice,
    and strings from a late batch."""
    import json
    path, totals, s_count, decoded = big
    # One malloc arena: glibc reserves 64 MB of address space per thread arena, which
    # RLIMIT_DATA counts though nothing is allocated in it (the margin was then ~7 MB).
    env = dict(os.environ, SWIFTFRAME_THREADS="2", MALLOC_ARENA_MAX="1")
    # Holding the decompressed batches would take more than three times what the process may add.
    assert decoded > 3 * HEADROOM
    k = (BATCHES - 3) * ROWS + 1234
    run = subprocess.run([sys.executable, "-c", LIMITED, str(path), str(HEADROOM), str(k)],
                         capture_output=True, text=True, env=env, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    got = json.loads(run.stdout)
    assert got["rows"] == BATCHES * ROWS
    for name, (total, count, lo, hi) in totals.items():
        assert got[name] == [float(total), count, float(lo), float(hi)], name
    assert got["s"] == s_count
    assert got["x_again"] == float(totals["x"][0])
    expected = make_batch(BATCHES - 3).column("s").slice(1234, 50).to_pylist()
    assert got["slice"] == expected
    print(f"{path.name}: {decoded >> 20} MiB decoded, peak RSS {got['hwm_kb'] >> 10} MiB")


def test_compressed_file_values_and_export_match_pyarrow(tmp_path):
    """Many small compressed batches, read and handed to pyarrow in place (the exported
    arrays keep their decoded batch alive after the frame lets it go)."""
    table = pa.Table.from_batches([make_batch(k).slice(0, 3000) for k in range(6)])
    path = tmp_path / "z.arrow"
    with pa.ipc.new_file(str(path), table.schema, options=pa.ipc.IpcWriteOptions(compression="zstd")) as w:
        for batch in table.to_batches(max_chunksize=1000):
            w.write_batch(batch)
    df = sf.open(str(path))
    exported = pa.table(df)
    del df
    assert exported.equals(table.cast(exported.schema))
    assert exported.column("s").to_pylist() == table.column("s").to_pylist()


def write_batches(path, batches, compression=None):
    options = pa.ipc.IpcWriteOptions(compression=compression)
    with pa.ipc.new_file(str(path), batches[0].schema, options=options) as w:
        for b in batches:
            w.write_batch(b)
    return str(path)


def good_batch(k, n=1000):
    rng = np.random.default_rng(k)
    return pa.record_batch({"x": rng.standard_normal(n),
                            "s": pa.array([f"s{k}-{j}" for j in range(n)])})


def offsets_batch(n=1000, decreasing=False):
    """Strings "bad-<j>" whose offsets are built by hand (out of order at row 499 if asked)."""
    strings = [f"bad-{j}" for j in range(n)]
    data = "".join(strings).encode()
    offsets = np.concatenate([[0], np.cumsum([len(v) for v in strings])]).astype(np.int32)
    if decreasing:
        offsets[500] = offsets[498]
    s = pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(data)])
    return pa.record_batch({"x": np.arange(n, dtype=np.float64), "s": s}), offsets


@pytest.mark.parametrize("kind,compression", [("decreasing", None), ("decreasing", "zstd"), ("past the end", None)])
def test_corrupt_string_offsets_fail_when_a_pass_reaches_the_batch(tmp_path, kind, compression):
    bad, offsets = offsets_batch(decreasing=kind == "decreasing")
    batches = [good_batch(0), good_batch(1), bad, good_batch(3)]
    path = write_batches(tmp_path / "bad.arrow", batches, compression)
    if kind == "past the end":  # pyarrow will not write it: patch the last offset in the file
        data = bytearray(open(path, "rb").read())
        tail = offsets[-2:].tobytes()
        at = data.find(tail)
        assert at > 0 and data.find(tail, at + 1) < 0
        data[at + 4:at + 8] = np.int32(offsets[-1] + 100).tobytes()
        open(path, "wb").write(bytes(data))
    df = sf.open(path)                       # the structural check passes
    assert len(df) == 4000
    # Passes over the batches before the corrupt one read correct values.
    assert df[:2000].sum("x") == pytest.approx(sum(b.column("x").to_numpy().sum() for b in batches[:2]), rel=1e-12)
    assert df.evaluate("s", 0, 3).tolist() == ["s0-0", "s0-1", "s0-2"]
    assert df.evaluate("s", 3000, 3002).tolist() == ["s3-0", "s3-1"]
    # A pass reaching batch 2 fails, naming the batch and the column, every time.
    for _ in range(2):
        with pytest.raises(ValueError, match=r"record batch 2.*column 's'.*string offsets"):
            df.count("s")
    with pytest.raises(ValueError, match="column 's'"):
        df.evaluate("s", 2500, 2510)
    # Other files keep working.
    other = sf.open(write_batches(tmp_path / "good.arrow", [good_batch(5), good_batch(6)], compression))
    assert other.count("s") == 2000
    assert other.sum("x") == pytest.approx(good_batch(5).column("x").to_numpy().sum() + good_batch(6).column("x").to_numpy().sum(),
                                           rel=1e-12)


@pytest.mark.parametrize("compression", [None, "lz4"])
def test_dictionary_index_out_of_range_fails_at_first_use(tmp_path, compression):
    dictionary = pa.array(["a", "b", "c"])
    def batch(indices):
        column = pa.DictionaryArray.from_arrays(pa.array(indices, pa.int16()), dictionary, safe=False)
        return pa.record_batch({"c": column, "v": np.arange(len(indices), dtype=np.int64)})
    batches = [batch([0, 1, 2, 1]), batch([2, 2, 9, 0]), batch([1, 0, 0, 0])]
    path = write_batches(tmp_path / "dict.arrow", batches, compression)
    df = sf.open(path)
    assert len(df) == 12
    assert df.evaluate("c", 0, 4).tolist() == ["a", "b", "c", "b"]
    assert df.evaluate("c", 8, 12).tolist() == ["b", "a", "a", "a"]
    for _ in range(2):
        with pytest.raises(ValueError, match=r"record batch 1.*column 'c'.*dictionary indices"):
            df.count("c")
    with pytest.raises(ValueError, match="dictionary indices"):
        df.sum("v")                          # the whole batch is rejected, whichever column is read
    assert df[8:].sum("v") == 6
