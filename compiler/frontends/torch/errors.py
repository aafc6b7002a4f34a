"""Errors of the PyTorch frontend: `ExportError`, the one-line summaries of torch's long
exporter and unpickler messages, and `require_torch` (torch is an optional dependency)."""

from __future__ import annotations

import re

from ncc.errors import NccError

ANSI = re.compile(r"\x1b\[[0-9;]*m")


class ExportError(NccError):
    """torch could not export the model: the user's model, not ncc, has to change.
    `detail` keeps torch's full message (printed with NCC_DEBUG=1)."""

    kind = "export error"

    def __init__(self, message: str, *, file: str | None = None, detail: str = "", log: str = ""):
        super().__init__(message, file=file)
        self.detail = detail
        self.log = log


def require_torch():
    """The torch module, or an error saying how to install it."""
    try:
        import torch
    except ImportError as e:
        raise NccError(f"the PyTorch frontend needs torch ({e}); pip install 'ncc-ncnn[torch]'") from None
    return torch


def summarise_export_error(e: BaseException) -> str:
    """One line from torch's exporter message: the root exception and the user's source line."""
    text = ANSI.sub("", str(e))
    where = ""
    m = re.search(r'The following call raised this error:\s*\n\s*File "([^"]+)", line (\d+), in (\S+)', text)
    if m:
        where = f" (at {m[1]}:{m[2]} in {m[3]})"
    if "## Exception summary" in text:
        summary = text.split("## Exception summary", 1)[1]
        for line in summary.splitlines():
            line = line.strip()
            if line:
                line = re.sub(r"^<class '(?:[\w.]*\.)?(\w+)'>:", r"\1:", line)
                return clip(line) + where
    return f"{type(e).__name__}: {clip(first_line(text))}{where}"


def unpickling_reason(e: BaseException) -> str:
    """torch.load's weights_only refusal names the offending global on a later line."""
    m = re.search(r"WeightsUnpickler error: (.*?)(?: Please use|$)", ANSI.sub("", str(e)), re.M)
    return m[1].strip() if m else f"{type(e).__name__}: {first_line(str(e))}"


def first_line(text: str) -> str:
    for line in ANSI.sub("", text).splitlines():
        if line.strip():
            return line.strip()
    return ""


def clip(text: str, limit: int = 400) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
