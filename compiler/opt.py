"""`ncc-opt`: an xdsl-opt driver with every ncc dialect and pass, for IR tests
(`// RUN: ncc-opt %s -p onnx-shape-inference | filecheck %s`). `-t ncnn-param` prints the
`.param` text of an ncnn-dialect module. `--load-passes FILE.py|MODULE` registers plug-in
passes (see `ncc.plugins`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.utils.target import Target
from xdsl.xdsl_opt_main import xDSLOptMain

from ncc.registry import get_all_dialects, get_all_passes


@dataclass(frozen=True)
class NcnnParamTarget(Target):
    name = "ncnn-param"

    def emit(self, ctx: Context, module: ModuleOp, output: IO[str]) -> None:
        from ncc.emit.ncnn_files import emit_model

        output.write(emit_model(module).param)


class NccOptMain(xDSLOptMain):
    def register_all_dialects(self):
        super().register_all_dialects()
        # the xdsl.universe entry point usually registered them already
        for name, factory in get_all_dialects().items():
            if name not in self.ctx.registered_dialect_names:
                self.ctx.register_dialect(name, factory)

    def register_all_passes(self):
        super().register_all_passes()
        for name, factory in get_all_passes().items():
            if name not in self.available_passes:
                self.register_pass(name, factory)

    def apply_passes(self, prog: ModuleOp) -> None:
        """Each pass runs with provenance tracking, as in `ncc compile`: tensor names and
        locations follow the rewrites (`ncc.lowering.rewriting`)."""
        from ncc.lowering.rewriting import tracking

        passes, callback = self.pipeline.passes, self.pipeline.callback
        steps = [None, *passes, None]  # the callback sees (previous, module, next), as in xDSL
        if callback is not None:
            callback(None, prog, steps[1])
        for i, p in enumerate(passes, start=1):
            with tracking(prog):
                p.apply(self.ctx, prog)
            if callback is not None:
                callback(p, prog, steps[i + 1])

    def register_all_targets(self):
        super().register_all_targets()
        self.available_targets["ncnn-param"] = lambda: NcnnParamTarget

    def register_all_frontends(self):
        super().register_all_frontends()

        def parse_onnx(io: IO[bytes]) -> ModuleOp:
            import onnx

            from ncc.frontends.onnx import import_model

            return import_model(onnx.load_model_from_string(io.read()))

        self.available_frontends["onnx"] = parse_onnx


def take_load_passes(args: Sequence[str]) -> tuple[list[str], list[str]]:
    """Split `--load-passes X` / `--load-passes=X` off the arguments: the plug-ins must be
    registered before xDSLOptMain reads its pass table."""
    rest, targets = [], []
    it = iter(args)
    for a in it:
        if a == "--load-passes":
            targets.append(next(it, ""))
        elif a.startswith("--load-passes="):
            targets.append(a.split("=", 1)[1])
        else:
            rest.append(a)
    return rest, targets


def main(args: Sequence[str] | None = None) -> None:
    import sys

    from ncc.dialects.common import NccError
    from ncc.plugins import load_all

    args, plugins = take_load_passes(sys.argv[1:] if args is None else args)
    try:
        load_all(plugins)
        NccOptMain(args=args).run()
    except NccError as e:
        print(f"ncc-opt: error: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
