"""Keeping torch's warnings, logging and printed graphs off the terminal while it exports or
loads (file descriptors 1 and 2, so C++ output too); the text is kept for `ExportError.log`."""

from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass
class Log:
    text: str = ""


@contextlib.contextmanager
def quiet(verbose: bool, log: Log) -> Iterator[None]:
    """Keep torch's warnings, logging and printed graphs off the terminal (file descriptors 1
    and 2, so C++ output too); the text lands in `log` (ExportError.log)."""
    if verbose:
        yield
        return
    import logging

    saved_levels = {}
    for name in ("torch", "torch.onnx", "torch.export", "torch._dynamo", "torch.fx", "onnxscript"):
        lg = logging.getLogger(name)
        saved_levels[name] = lg.level
        lg.setLevel(logging.ERROR)
    sys.stdout.flush()
    sys.stderr.flush()
    saved_fds = []
    sink = tempfile.TemporaryFile(mode="w+b")
    text_sink = io.StringIO()
    try:
        for fd in (1, 2):
            try:
                saved_fds.append((fd, os.dup(fd)))
                os.dup2(sink.fileno(), fd)
            except OSError:
                pass
        # Python-level writes too: sys.stdout/stderr may not be fds 1/2 (pytest, notebooks)
        with warnings.catch_warnings(), contextlib.redirect_stdout(text_sink), contextlib.redirect_stderr(text_sink):
            warnings.simplefilter("ignore")
            yield
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        for fd, saved in saved_fds:
            os.dup2(saved, fd)
            os.close(saved)
        sink.seek(0)
        log.text = sink.read().decode("utf-8", "replace") + text_sink.getvalue()
        sink.close()
        for name, level in saved_levels.items():
            logging.getLogger(name).setLevel(level)
