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


# Run in each system's child process (stdlib only: it also runs in .venv-vaex).

def anon_bytes():
    """This process's anonymous resident memory (RssAnon): what it allocated, not the
    file pages it mapped."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) * 1024
    return 0


class PeakAnon:
    """`with PeakAnon() as p:` samples anon_bytes() every 5 ms on a thread; p.peak is
    the highest level above the one on entry, in bytes."""

    def __enter__(self):
        import threading
        self.base, self.top, self.stop = anon_bytes(), 0, threading.Event()

        def watch():
            while not self.stop.is_set():
                self.top = max(self.top, anon_bytes())
                time.sleep(0.005)
        self.thread = threading.Thread(target=watch, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
        self.peak = max(0, max(self.top, anon_bytes()) - self.base)


def measure(queries, repeat):
    """Runs each of `queries` ({name: (compute, check)}): one warm-up run whose peak
    anonymous memory is recorded (allocators keep what a run freed, which would hide a
    later run's peak) and whose value `check` turns into a JSON-able answer, then
    `repeat` timed runs. Prints {name: {"seconds": median, "peak": bytes, "check": ...}}
    as the last line of stdout, for run_child; a query that raises is reported as
    {"error": message} and the others still run."""
    import json
    import statistics
    import sys
    out = {}
    for name, (compute, check) in queries.items():
        try:
            with PeakAnon() as p:
                value = compute()
            answer = check(value)
            del value
            times = [clock(compute)[1] for _ in range(repeat)]
            out[name] = {"seconds": statistics.median(times), "peak": p.peak, "check": answer}
        except Exception as error:  # one failing query must not hide the others' figures
            out[name] = {"error": f"{type(error).__name__}: {error}"[:300]}
            print(f"{name}: {out[name]['error']}", file=sys.stderr)
    print(json.dumps(out))


# Run in the parent.

def run_child(python, argv, timeout=None):
    """Runs `python argv...` and returns the JSON its last stdout line holds (libraries
    may print before it), or None after printing the end of its stderr."""
    import json
    import subprocess
    import sys
    try:
        done = subprocess.run([str(python), *map(str, argv)], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        print(f"{argv}: timed out after {timeout} s", file=sys.stderr)
        return None
    if done.returncode != 0 or not done.stdout.strip():
        print(f"{argv} failed: {done.stderr[-800:]}", file=sys.stderr)
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def vaex_python(repo):
    """vaex's interpreter (its own virtual environment), or None when absent."""
    import pathlib
    python = pathlib.Path(os.environ.get("SWIFTFRAME_VAEX_PYTHON", str(repo / ".venv-vaex" / "bin" / "python")))
    return python if python.exists() else None


def format_table(header, rows):
    """Markdown table text: `header` a list of column names, `rows` lists of cells (str)."""
    widths = [max(len(str(r[c])) for r in [header, *rows]) for c in range(len(header))]
    line = lambda cells: "| " + " | ".join(str(v).rjust(w) for v, w in zip(cells, widths)) + " |"
    return "\n".join([line(header), "|" + "|".join("-" * (w + 1) + ":" for w in widths) + "|", *map(line, rows)])
