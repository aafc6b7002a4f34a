"""The `xdsl.universe` entry point: plain `xdsl-opt` sees ncc's dialects and passes."""

from xdsl.universe import Universe

from ncc.registry import get_all_dialects, get_all_passes

NCC_UNIVERSE = Universe(all_dialects=get_all_dialects(), all_passes=get_all_passes())
