"""The C side: compiles examples/c/stats.c and Tests/C/capi_test.c against the
library the package loaded, runs the C test program, and runs the stats example
(and the Swift one, swiftframe-stats, when it is built) on Arrow files written by
pyarrow, against numpy."""

import pathlib
import re
import shutil
import subprocess

import numpy as np
import pytest

from swiftframe import _native

REPO = pathlib.Path(__file__).resolve().parents[2]
LIB = pathlib.Path(_native.lib._name).resolve()
CFLAGS = ["-std=c11", "-Wall", "-Wextra", "-Werror"]


def compile_c(source, output):
    """cc with warnings as errors, linked to the loaded libswiftframe.so; returns the program."""
    cc = shutil.which("cc")
    assert cc, "a C compiler (cc) is needed for the C tests; .ci/setup installs gcc"
    command = [cc, *CFLAGS, f"-I{REPO / 'include'}", str(REPO / source), "-o", str(output),
               f"-L{LIB.parent}", "-lswiftframe", f"-Wl,-rpath,{LIB.parent}", "-lpthread", "-lm"]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, f"{' '.join(command)}\n{result.stderr}"
    return output


@pytest.fixture(scope="module")
def build_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("c")


@pytest.fixture(scope="module")
def stats_c(build_dir):
    return compile_c("examples/c/stats.c", build_dir / "stats")


@pytest.fixture(params=["c", "swift"])
def stats(request, stats_c):
    """The stats program in C, and in Swift: swiftframe-stats built beside the loaded
    library (.ci/setup builds both with `swift build -c release`)."""
    if request.param == "c":
        return stats_c
    program = LIB.parent / "swiftframe-stats"
    source = REPO / "examples" / "swift" / "main.swift"
    if not program.is_file() or program.stat().st_mtime < source.stat().st_mtime:
        pytest.fail(f"{program} is missing or older than {source}: "
                    "rebuild it (swift build -c release --product swiftframe-stats)")
    return program


def run(program, *args):
    return subprocess.run([str(program), *map(str, args)], capture_output=True, text=True, timeout=120)


def test_capi(build_dir):
    program = compile_c("Tests/C/capi_test.c", build_dir / "capi_test")
    result = run(program)
    lines = result.stdout.strip().splitlines()
    assert lines, f"no output; stderr:\n{result.stderr}"
    m = re.fullmatch(r"(\d+) passed, (\d+) failed", lines[-1])
    assert m, f"the last line is not a summary:\n{result.stdout}\n{result.stderr}"
    assert result.returncode == 0 and m.group(2) == "0", result.stdout + result.stderr
    assert int(m.group(1)) >= 150, "the C test ran fewer checks than it has"


def write_arrow(path, columns, batches=1):
    """An Arrow IPC file written by pyarrow, in `batches` record batches."""
    import pyarrow as pa
    table = pa.table(columns)
    bounds = np.linspace(0, len(table), batches + 1).astype(int)
    with pa.ipc.new_file(str(path), table.schema) as writer:
        for lo, hi in zip(bounds[:-1], bounds[1:]):
            writer.write_table(table.slice(lo, hi - lo))
    return path


def parse(stdout):
    rows = re.search(r"^rows: (\d+)$", stdout, flags=re.M)
    mean = re.search(r"^mean\(r\) = (\S+)$", stdout, flags=re.M)
    assert rows and mean, f"unexpected output:\n{stdout}"
    return int(rows.group(1)), float(mean.group(1))


@pytest.mark.parametrize("batches", [1, 3])
def test_stats_mean_matches_numpy(stats, tmp_path, batches):
    rng = np.random.default_rng(20 + batches)
    n = 150_001
    x, y = rng.normal(0, 3, n), rng.normal(0, 3, n)
    path = write_arrow(tmp_path / "xy.arrow", {"x": x, "y": y}, batches)
    result = run(stats, path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    rows, mean = parse(result.stdout)
    assert rows == int((y > 0).sum())
    expected = np.sqrt(x**2 + y**2)[y > 0].mean()
    assert mean == pytest.approx(expected, rel=1e-9, abs=0)


def test_stats_named_columns_and_integers(stats, tmp_path):
    """Column names from the command line; int32 columns are promoted as in numpy."""
    rng = np.random.default_rng(7)
    n = 70_000
    a = rng.integers(-1000, 1000, n, dtype=np.int32)
    b = rng.integers(-1000, 1000, n, dtype=np.int32)
    path = write_arrow(tmp_path / "ab.arrow", {"a": a, "b": b, "x": rng.random(n)})
    result = run(stats, path, "a", "b")
    assert result.returncode == 0, result.stderr
    rows, mean = parse(result.stdout)
    assert rows == int((b > 0).sum())
    expected = np.sqrt(a.astype(np.float64)**2 + b.astype(np.float64)**2)[b > 0].mean()
    assert mean == pytest.approx(expected, rel=1e-9, abs=0)


def test_stats_no_row_passes(stats, tmp_path):
    path = write_arrow(tmp_path / "neg.arrow", {"x": np.arange(10.0), "y": -np.arange(1.0, 11.0)})
    result = run(stats, path)
    assert result.returncode == 0, result.stderr
    rows, mean = parse(result.stdout)
    assert rows == 0 and np.isnan(mean)


def assert_fails(result, *fragments):
    assert result.returncode != 0, result.stdout
    assert result.stdout == ""
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


def test_stats_missing_file(stats, tmp_path):
    missing = tmp_path / "missing.arrow"
    assert_fails(run(stats, missing), str(missing), "No such file")


def test_stats_unknown_column(stats, tmp_path):
    path = write_arrow(tmp_path / "xy.arrow", {"x": np.ones(5), "y": np.ones(5)})
    assert_fails(run(stats, path, "x", "nope"), "nope", "not defined")


def test_stats_malformed_expression(stats, tmp_path):
    path = write_arrow(tmp_path / "xy.arrow", {"x": np.ones(5), "y": np.ones(5)})
    # The x column name closes a parenthesis: sqrt(x)**2 + y**2) does not parse.
    assert_fails(run(stats, path, "x)"), "syntax")


def test_stats_corrupt_file(stats, tmp_path):
    path = write_arrow(tmp_path / "xy.arrow", {"x": np.ones(1000), "y": np.ones(1000)})
    data = path.read_bytes()
    truncated = tmp_path / "truncated.arrow"
    truncated.write_bytes(data[: len(data) // 2])
    assert_fails(run(stats, truncated), str(truncated))
    not_arrow = tmp_path / "text.arrow"
    not_arrow.write_text("x,y\n1,2\n")
    assert_fails(run(stats, not_arrow), str(not_arrow))


def test_stats_usage(stats_c):
    result = run(stats_c)
    assert result.returncode == 2 and "usage" in result.stderr
