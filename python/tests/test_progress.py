"""Progress of passes: `progress=` (True: a bar, tqdm or text; a callable that may
cancel) and swiftframe.settings.progress on every kind of pass, and Ctrl-C: a SIGINT
sent to a process running long passes ends them with KeyboardInterrupt within a second
and leaves the frame giving right answers."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import swiftframe as sf

N = 300_000


@pytest.fixture
def data(rng):
    x = rng.standard_normal(N)
    k = rng.integers(0, 7, N)
    return x, k


class Recorder:
    def __init__(self, stop_at=None):
        self.fractions = []
        self.stop_at = stop_at

    def __call__(self, fraction):
        self.fractions.append(fraction)
        if self.stop_at is not None and fraction >= self.stop_at:
            return False


def test_a_callable_sees_the_pass_to_its_end(data):
    x, k = data
    df = sf.from_arrays(x=x, k=k)
    seen = Recorder()
    assert df.mean("x", progress=seen) == pytest.approx(x.mean(), rel=1e-12)
    assert seen.fractions[-1] == 1.0
    assert all(0.0 <= f <= 1.0 for f in seen.fractions)
    assert seen.fractions == sorted(seen.fractions)


@pytest.mark.parametrize("call", ["length", "evaluate", "strings", "minmax", "binby", "groupby", "unique",
                                  "describe", "export", "parquet", "delayed"])
def test_every_kind_of_pass_reports(data, call, tmp_path):
    x, k = data
    df = sf.from_arrays(x=x, k=k)
    df["s"] = "astype(k, 'str')"
    filtered = df[df.x > 0]
    seen = Recorder()
    if call == "length":
        assert filtered.length(progress=seen) == (x > 0).sum()
    elif call == "evaluate":
        np.testing.assert_array_equal(filtered.evaluate("k", progress=seen), k[x > 0])
    elif call == "strings":
        assert list(filtered.evaluate("s", progress=seen)) == [str(v) for v in k[x > 0]]
    elif call == "minmax":
        np.testing.assert_array_equal(df.minmax("x", progress=seen), [x.min(), x.max()])
    elif call == "binby":
        np.testing.assert_array_equal(df.count(binby="k", limits=[0, 7], shape=7, progress=seen),
                                      np.bincount(k, minlength=7))
    elif call == "groupby":
        out = df.groupby("k", agg="count", progress=seen).to_pandas_df()
        np.testing.assert_array_equal(out["count"], np.bincount(k))
    elif call == "unique":
        np.testing.assert_array_equal(df.unique("k", progress=seen), np.unique(k))
    elif call == "describe":
        assert df.describe(progress=seen).loc["mean", "x"] == pytest.approx(x.mean(), rel=1e-12)
    elif call == "export":
        filtered.export_arrow(tmp_path / "f.arrow", progress=seen)
        np.testing.assert_array_equal(sf.open(tmp_path / "f.arrow").evaluate("k"), k[x > 0])
    elif call == "parquet":
        pq = pytest.importorskip("pyarrow.parquet")
        filtered.export(tmp_path / "f.parquet", progress=seen)
        np.testing.assert_array_equal(pq.read_table(tmp_path / "f.parquet")["k"].to_numpy(), k[x > 0])
    elif call == "delayed":
        promise = df.sum("x", delay=True)
        df.execute(progress=seen)
        assert promise.get() == pytest.approx(x.sum(), rel=1e-9)
    assert seen.fractions and seen.fractions[-1] == 1.0


def test_a_callable_returning_false_cancels_and_the_frame_stays_usable(data):
    x, k = data
    df = sf.from_arrays(x=x, k=k)
    filtered = df[df.x > 0.5]
    with pytest.raises(KeyboardInterrupt):
        filtered.mean("x", progress=Recorder(stop_at=0.0))
    with pytest.raises(KeyboardInterrupt):
        filtered.length(progress=lambda f: False)
    assert len(filtered) == (x > 0.5).sum()
    assert filtered.mean("x") == pytest.approx(x[x > 0.5].mean(), rel=1e-12)


def test_ctrl_c_outside_a_pass_is_pythons(data):
    x, _ = data
    assert sf.from_arrays(x=x).sum("x") == pytest.approx(x.sum(), rel=1e-9)  # a pass has run
    with pytest.raises(KeyboardInterrupt):
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(1)


def test_a_cancelled_export_leaves_no_file(data, tmp_path):
    pytest.importorskip("pyarrow.parquet")
    x, k = data
    df = sf.from_arrays(x=x, k=k)
    with pytest.raises(KeyboardInterrupt):
        df.export_parquet(tmp_path / "c.parquet", progress=Recorder(stop_at=0.0))
    with pytest.raises(KeyboardInterrupt):
        df.export_arrow(tmp_path / "c.arrow", progress=lambda f: False)
    assert list(tmp_path.iterdir()) == []


def test_an_error_in_the_callable_is_raised(data):
    x, k = data
    df = sf.from_arrays(x=x)

    def broken(fraction):
        raise ZeroDivisionError("in the callback")
    with pytest.raises(ZeroDivisionError, match="in the callback"):
        df.sum("x", progress=broken)
    assert df.sum("x") == pytest.approx(x.sum(), rel=1e-9)
    with pytest.raises(TypeError, match="progress"):
        df.sum("x", progress="yes")


def test_text_bar_without_tqdm(data, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm fails
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    x, _ = data
    df = sf.from_arrays(x=x)
    assert df.max("x", progress=True) == x.max()
    err = capsys.readouterr().err
    assert "100%" in err and "[" + "#" * 30 + "]" in err and err.endswith("\n")
    monkeypatch.setattr(sf.settings, "progress", True)
    assert df.min("x") == x.min()
    assert "100%" in capsys.readouterr().err
    assert df.min("x", progress=False) == x.min()
    assert capsys.readouterr().err == ""


def test_tqdm_bar(data, capsys):
    pytest.importorskip("tqdm")
    x, _ = data
    df = sf.from_arrays(x=x)
    assert df.std("x", progress=True) == pytest.approx(x.std(), rel=1e-9)
    err = capsys.readouterr().err
    assert "swiftframe" in err and "100" in err


SCRIPT = textwrap.dedent("""
    import sys, time
    import numpy as np
    import swiftframe as sf

    x = np.random.default_rng(7).random(int(sys.argv[1]))
    df = sf.from_arrays(x=x)
    half = df[df.x > 0.5]
    heavy = " + ".join(f"sin(x * {k}) * cos(x + {k})" for k in range(1, 16))
    print("ready", flush=True)
    for line in sys.stdin:
        command = line.split()
        if command[0] == "long":  # passes until Ctrl-C (at most a minute's worth)
            frame = half if command[1] == "filtered" else df
            print("started", flush=True)
            try:
                for _ in range(200):
                    frame.mean(heavy, progress=command[2] == "bar" or None)
                print("finished", flush=True)
            except KeyboardInterrupt:
                print("interrupted", flush=True)
        elif command[0] == "ask":
            print(repr(float(df.mean("x"))), len(half), repr(float(half.sum("x"))), flush=True)
""")


def test_ctrl_c_ends_a_long_pass_and_the_frame_stays_usable(tmp_path):
    n = 2_000_000
    x = np.random.default_rng(7).random(n)
    script = tmp_path / "long_pass.py"
    script.write_text(SCRIPT)
    child = subprocess.Popen([sys.executable, str(script), str(n)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True, env=dict(os.environ))
    try:
        assert child.stdout.readline().strip() == "ready"
        for frame, bar in [("all", "plain"), ("filtered", "plain"), ("all", "bar")]:
            child.stdin.write(f"long {frame} {bar}\n")
            child.stdin.flush()
            assert child.stdout.readline().strip() == "started"
            time.sleep(0.5)  # well inside the passes
            sent = time.monotonic()
            child.send_signal(signal.SIGINT)
            assert child.stdout.readline().strip() == "interrupted"
            assert time.monotonic() - sent < 1.0
            child.stdin.write("ask\n")
            child.stdin.flush()
            mean, length, total = child.stdout.readline().split()
            assert float(mean) == pytest.approx(x.mean(), rel=1e-12)
            assert int(length) == (x > 0.5).sum()
            assert float(total) == pytest.approx(x[x > 0.5].sum(), rel=1e-12)
    finally:
        child.stdin.close()
        child.wait(timeout=30)
    assert child.returncode == 0
