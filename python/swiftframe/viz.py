"""Plots (vaex's df.viz), drawn with matplotlib from statistics the engine computes on
a grid in one pass (binby): nothing but the grid reaches Python. matplotlib is optional:
it is imported only when a plot is made.

    df.viz.histogram("x", limits=[-3, 3], shape=64)
    df.viz.heatmap("x", "y", limits=[[-3, 3], [-2, 2]], shape=256, f="log1p")
"""

import re

import numpy as np

_WHAT = re.compile(r"\s*(\w+)\s*\((.*)\)\s*\Z", re.S)


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("plots need matplotlib: pip install matplotlib") from None
    return plt


def _parse_what(what):
    """("count", None) from "count(*)", ("mean", "x") from "mean(x)"."""
    match = _WHAT.match(what) if isinstance(what, str) else None
    if match is None:
        raise ValueError(f"what is a statistic such as 'count(*)' or 'mean(x)', not {what!r}")
    kind, argument = match.group(1), match.group(2).strip()
    from ._native import AGGREGATES
    if kind not in AGGREGATES or kind in ("covariance", "correlation"):
        raise ValueError(f"unknown statistic {kind!r} in what={what!r}")
    if argument in ("", "*"):
        if kind != "count":
            raise ValueError(f"{kind}() needs an expression: {what!r}")
        return kind, None
    return kind, argument


def _parse_f(f):
    """vaex's f: None or "identity", a numpy function name ("log1p", "log10", "sqrt"), or a callable."""
    if f is None or f == "identity":
        return lambda a: a
    if isinstance(f, str):
        if not callable(getattr(np, f, None)):
            raise ValueError(f"f is 'identity', a numpy function name such as 'log1p', or a callable, not {f!r}")
        return getattr(np, f)
    if callable(f):
        return f
    raise TypeError(f"f is a string or a callable, not {type(f).__name__}")


class Viz:
    """df.viz: plots of the frame."""

    def __init__(self, df):
        self.df = df

    def _grid(self, axes, what, limits, shape, selection, progress):
        """(statistic per cell, [(low, high)] per axis), in one pass after the limits' pass."""
        from . import binby
        kind, argument = _parse_what(what)
        bounds = binby.resolve_limits(self.df, axes, limits, selection, progress)
        grid = self.df._aggregate(kind, argument, selection, binby=list(axes), limits=[list(b) for b in bounds],
                                  shape=shape, progress=progress)
        return np.asarray(grid, dtype=np.float64), bounds

    def histogram(self, x, what="count(*)", shape=64, limits=None, f="identity", selection=None, ax=None,
                  xlabel=None, ylabel=None, label=None, hardcopy=None, progress=None, **kwargs):
        """A step plot of `what` ("count(*)", "mean(y)", …) over `shape` bins of `x`
        between `limits` ([low, high], "minmax" (the default) or a percentage such as
        "99%"; from the selection's rows), transformed by `f`; the bins are [low, high)
        as in binby. `selection` may be a list: one line per selection, the limits from
        all rows. Draws on `ax` (default: the current
        axes), saves the figure to `hardcopy` when given, and returns the axes."""
        plt = _pyplot()
        f = _parse_f(f)
        many = isinstance(selection, (list, tuple))
        selections = list(selection) if many else [selection]
        ax = plt.gca() if ax is None else ax
        if many:  # one x range for every line: from all the rows
            from . import binby
            limits = binby.resolve_limits(self.df, [x], limits, None, progress)
        for sel in selections:
            grid, ((lo, hi),) = self._grid([x], what, limits, shape, sel, progress)
            edges = np.linspace(lo, hi, grid.shape[-1] + 1)
            text = label if label is not None else (None if not many else "all rows" if sel is None else str(sel))
            with np.errstate(divide="ignore", invalid="ignore"):  # log of empty bins: -inf, as numpy's
                shown = f(grid)
            ax.stairs(shown, edges, label=text, **kwargs)
        ax.set_xlabel(str(x) if xlabel is None else xlabel)
        ax.set_ylabel(what if ylabel is None else ylabel)
        ax.set_xlim(lo, hi)
        if many or label is not None:
            ax.legend()
        if hardcopy is not None:
            ax.figure.savefig(hardcopy)
        return ax

    def heatmap(self, x, y, what="count(*)", shape=256, limits=None, f=None, selection=None, ax=None,
                colormap="afmhot", vmin=None, vmax=None, xlabel=None, ylabel=None, colorbar=True,
                colorbar_label=None, aspect="auto", hardcopy=None, progress=None, **kwargs):
        """An image of `what` over a `shape` grid of (x, y) between `limits` ([[xlo, xhi],
        [ylo, yhi]], "minmax" (the default) or percentages), transformed by `f` (e.g.
        "log1p"); x runs along the horizontal axis, y upwards. Draws on `ax` (default:
        the current axes), saves the figure to `hardcopy` when given, returns the AxesImage."""
        plt = _pyplot()
        label = what if f in (None, "identity") or not isinstance(f, str) else f"{f}({what})"
        f = _parse_f(f)
        grid, ((xlo, xhi), (ylo, yhi)) = self._grid([x, y], what, limits, shape, selection, progress)
        ax = plt.gca() if ax is None else ax
        with np.errstate(divide="ignore", invalid="ignore"):
            shown = f(grid)
        image = ax.imshow(shown.T, origin="lower", extent=[xlo, xhi, ylo, yhi], aspect=aspect, cmap=colormap,
                          vmin=vmin, vmax=vmax, interpolation="nearest", **kwargs)
        ax.set_xlabel(str(x) if xlabel is None else xlabel)
        ax.set_ylabel(str(y) if ylabel is None else ylabel)
        if colorbar:
            ax.figure.colorbar(image, ax=ax, label=colorbar_label or label)
        if hardcopy is not None:
            ax.figure.savefig(hardcopy)
        return image
