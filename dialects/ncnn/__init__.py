"""The `ncnn` dialect: one op per ncnn layer type, grouped by category."""

from xdsl.ir import Dialect

from ncc.dialects.common import BlobAttr
from ncc.dialects.ncnn import layers, nn, sequence, shape
from ncc.dialects.ncnn.base import NcnnLayer, Param, Weight, mat_of, mat_shape

LAYERS: list[type[NcnnLayer]] = [*layers.LAYERS, *nn.LAYERS, *shape.LAYERS, *sequence.LAYERS]

LAYERS_BY_TYPE: dict[str, type[NcnnLayer]] = {cls.name.split(".", 1)[1]: cls for cls in LAYERS}

NCNN = Dialect("ncnn", list(LAYERS), [])

__all__ = ["LAYERS", "LAYERS_BY_TYPE", "NCNN", "NcnnLayer", "Param", "Weight", "mat_of", "mat_shape"]
