"""Progress reports of a pass: `progress=` resolved to None or a callable
report(fraction) with an optional close(); bars for progress=True."""

import sys

from . import settings

WIDTH = 30


def reporter(progress):
    """None for no report, else a callable(fraction) that may return False to cancel:
    `progress` itself when callable, a bar for True, settings.progress for None."""
    if progress is None:
        progress = settings.progress
    if progress is None or progress is False:
        return None
    if progress is True:
        return _bar()
    if callable(progress):
        return progress
    raise TypeError(f"progress is True, False, None or a callable progress(fraction), not {type(progress).__name__}")


def _bar():
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return TextBar(sys.stderr)
    return TqdmBar(tqdm)


class TqdmBar:
    """A tqdm bar in percent, made at the first report (one per C call; a call of
    several passes moves it back to 0 at each new pass)."""

    def __init__(self, tqdm):
        self._tqdm = tqdm
        self._bar = None

    def __call__(self, fraction):
        if self._bar is None:
            self._bar = self._tqdm(total=100, unit="%", leave=False, desc="swiftframe")
        self._bar.n = round(100 * fraction, 1)
        self._bar.refresh()

    def close(self):
        if self._bar is not None:
            self._bar.close()
            self._bar = None


class TextBar:
    """`[#####.....]  50%` redrawn in place on `stream` when the whole percent changes."""

    def __init__(self, stream):
        self._stream = stream
        self._shown = None

    def __call__(self, fraction):
        percent = int(100 * min(1.0, max(0.0, fraction)))
        if percent == self._shown:
            return
        self._shown = percent
        done = percent * WIDTH // 100
        self._stream.write(f"\r[{'#' * done}{'.' * (WIDTH - done)}] {percent:3d}%")
        self._stream.flush()

    def close(self):
        if self._shown is not None:
            self._stream.write("\n")
            self._stream.flush()
            self._shown = None
