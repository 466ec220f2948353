"""Benchmark: the sum of a float64 column of a memory-mapped Arrow file in
swiftframe, against numpy's in-memory `x.sum()` on the same values, in one run.

    bash bench/run                    # 50 M rows, the release library
    bash bench/run --rows 5000000     # a quicker check

Makes data/bench/sum-<rows>-<layout>.arrow when absent (pyarrow; values uniform
in [0, 1)), then times, in this one process:

- swiftframe `sf.open(path).sum("x")`: open (map the file, validate its
  structure) and sum, as a script would do it. The first run comes after the
  file's pages were dropped from the page cache where the kernel allows it
  (posix_fadvise DONTNEED), so it reads from disk: "cold"; the others are warm.
- swiftframe `df.sum("x")` on a frame kept open (its mapping already faulted in).
- numpy `x.sum()` on the values loaded into an in-memory array.

The file is one record batch by default: pyarrow writes each batch's buffers
contiguously, so one batch is one 400 MB column buffer, the shape a column
store gives a scan. `--batch-rows 1048576` writes 48 batches instead; measured
on 2 cores, the kept frame's sum is the same (0.94x numpy) but a fresh
open+sum costs about 12 ms more than with one batch (1.9x numpy instead of 1.05x).

The warm runs are interleaved (numpy, open+sum, sum) so drift on a shared machine
hits all three alike; each line reports the median. Not a test: nothing fails
on a slow figure, but a sum that disagrees with numpy's exits non-zero.
"""

import argparse
import os
import pathlib
import statistics
import sys

import numpy as np

from common import clock, write_arrow

REPO = pathlib.Path(__file__).resolve().parent.parent


def layout_name(batch_rows):
    return "one-batch" if batch_rows <= 0 else f"batches-of-{batch_rows}"


def make_file(path, rows, batch_rows, seed=0):
    """Writes `rows` uniform float64 values as column x, in record batches of
    `batch_rows` rows (one batch when <= 0), to a temporary name renamed into place."""
    import pyarrow as pa

    rng = np.random.default_rng(seed)
    schema = pa.schema([("x", pa.float64())])
    step = rows if batch_rows <= 0 else batch_rows
    write_arrow(path, schema, (pa.record_batch([pa.array(rng.random(min(step, rows - start)))], schema=schema)
                               for start in range(0, rows, step)))


def load_into_memory(path):
    """The column x as a fresh in-memory numpy array (a copy, not a mapping)."""
    import pyarrow as pa

    with pa.memory_map(str(path)) as source:
        reader = pa.ipc.open_file(source)
        chunks = [reader.get_batch(i).column(0).to_numpy() for i in range(reader.num_record_batches)]
        x = np.concatenate(chunks) if len(chunks) != 1 else chunks[0].copy()
    assert x.flags.owndata and x.dtype == np.float64
    return x


def drop_from_page_cache(path):
    """Asks the kernel to drop the file's clean pages; True when it could ask."""
    if not hasattr(os, "posix_fadvise"):
        return False
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def ms(seconds):
    return f"{seconds * 1e3:8.1f} ms"


def main(argv=None):
    parser = argparse.ArgumentParser(description="swiftframe sum vs numpy x.sum()")
    parser.add_argument("--rows", type=int, default=50_000_000, help="rows of the float64 column (default 50 M)")
    parser.add_argument("--batch-rows", type=int, default=0,
                        help="rows per Arrow record batch; 0 writes one batch (default)")
    parser.add_argument("--repeat", type=int, default=11, help="warm runs of each (default 11)")
    parser.add_argument("--dir", type=pathlib.Path, default=REPO / "data" / "bench",
                        help="folder of the generated files (default data/bench)")
    args = parser.parse_args(argv)

    import swiftframe as sf
    from swiftframe import _native

    path = args.dir / f"sum-{args.rows}-{layout_name(args.batch_rows)}.arrow"
    if not path.exists():
        print(f"making {path} ...", flush=True)
        _, seconds = clock(lambda: make_file(path, args.rows, args.batch_rows))
        print(f"  written in {seconds:.1f} s")

    size = path.stat().st_size
    print(f"file     {path} ({size / 1e6:.0f} MB, {args.rows:,} float64 rows, {layout_name(args.batch_rows)})")
    print(f"library  {_native.lib._name}")
    threads = os.environ.get("SWIFTFRAME_THREADS") or f"all cores ({os.cpu_count()})"
    print(f"threads  swiftframe: {threads}; numpy: 1")

    cold = drop_from_page_cache(path)
    first_sum, first = clock(lambda: sf.open(path).sum("x"))

    x = load_into_memory(path)
    expected = x.sum()
    df = sf.open(path)
    df.sum("x")  # fault the kept frame's mapping in

    numpy_times, open_sum_times, sum_times = [], [], []
    for _ in range(args.repeat):
        _, t = clock(lambda: x.sum())
        numpy_times.append(t)
        total, t = clock(lambda: sf.open(path).sum("x"))
        open_sum_times.append(t)
        total_kept, t = clock(lambda: df.sum("x"))
        sum_times.append(t)

    numpy_median = statistics.median(numpy_times)
    open_sum_median = statistics.median(open_sum_times)
    sum_median = statistics.median(sum_times)
    label = "cold: file dropped from the page cache" if cold else "first run in this process"
    print()
    print(f"swiftframe sf.open(path).sum('x')  first  {ms(first)}  ({label})")
    print(f"swiftframe sf.open(path).sum('x')  median {ms(open_sum_median)}  of {args.repeat}, warm")
    print(f"swiftframe df.sum('x'), frame open median {ms(sum_median)}  of {args.repeat}, warm")
    print(f"numpy      x.sum(), in memory      median {ms(numpy_median)}  of {args.repeat}")
    print()
    print(f"ratio swiftframe/numpy: sf.open(path).sum('x') {open_sum_median / numpy_median:.2f}x, "
          f"df.sum('x') on an open frame {sum_median / numpy_median:.2f}x")
    print(f"throughput: swiftframe open+sum {size / open_sum_median / 1e9:.1f} GB/s, "
          f"numpy {x.nbytes / numpy_median / 1e9:.1f} GB/s")

    # The values must agree, or the timings mean nothing. Summation orders differ,
    # so allow rounding error relative to the sum of |x|.
    tolerance = 1e-12 * np.abs(x).sum() + 1e-300
    worst = max(abs(v - expected) for v in (first_sum, total, total_kept))
    print(f"sums: numpy {float(expected)!r}, swiftframe {float(total)!r} (largest difference {worst:.3g})")
    if worst > tolerance:
        print(f"error: swiftframe's sum differs from numpy's by {worst:.3g} (> {tolerance:.3g})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
