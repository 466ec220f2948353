"""What the benchmarks share: timing, and writing a generated Arrow file to a
temporary name renamed into place, so an interrupted run leaves no partial file."""

import os
import time


def clock(compute):
    """(value, seconds) of one call."""
    start = time.perf_counter()
    value = compute()
    return value, time.perf_counter() - start


def write_arrow(path, schema, batches):
    """Writes the record batches `batches` (an iterable) to the Arrow IPC file `path`."""
    import pyarrow as pa

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    try:
        with pa.OSFile(str(tmp), "wb") as sink, pa.ipc.new_file(sink, schema) as writer:
            for batch in batches:
                writer.write_batch(batch)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
