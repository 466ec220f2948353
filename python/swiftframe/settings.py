"""Package-wide settings, read when a pass starts.

    import swiftframe as sf
    sf.settings.progress = True   # a progress bar on every pass
"""

# The default of every `progress=` argument: False (none), True (a bar: tqdm when it is
# installed, else a text bar on stderr) or a callable progress(fraction) -> False to cancel.
progress = False
