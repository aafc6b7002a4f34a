"""The base of the `ncnn` dialect: one op per ncnn layer type, each with its param table.

A layer op has variadic tensor operands (its bottom blobs) and results (its top blobs), a
`params` dictionary keyed by ncnn's param *names*, and a `weights` dictionary of
`#ncc.blob` arrays in the layer's load order. The class-level `PARAMS` table (name → ncnn
id, default, kind) and `WEIGHTS` tuple (name, whether the loader reads a 4-byte type tag)
are transcribed once from ncnn's `src/layer/<x>.cpp` and read by the emitter, the verifier
and the tests alike.

Value types at this level stay the *logical* tensor types (ONNX shapes). How a logical
shape sits in an ncnn Mat is one rule, `mat_shape`, so axis params are computed from it and
the layout pass (which normalises shapes before conversion) is the one place that changes it.
"""

from __future__ import annotations

from abc import ABC
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from xdsl.dialects.builtin import (
    DenseArrayBase,
    DenseIntOrFPElementsAttr,
    DictionaryAttr,
    FloatAttr,
    IntegerAttr,
    StringAttr,
    f32,
    i32,
)
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import IRDLOperation, prop_def, traits_def, var_operand_def, var_result_def
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

from ncc.dialects.common import BlobAttr, NccError, attr_array, node_loc, op_location, static_shape

INT, FLOAT, INTS, FLOATS, STR = "int", "float", "ints", "floats", "str"


@dataclass(frozen=True)
class Param:
    """One entry of an ncnn param dict: its id, its default and how it is written."""

    id: int
    default: Any
    kind: str = INT


@dataclass(frozen=True)
class Weight:
    """One weight blob in load order. `tagged`: the loader calls `mb.load(n, 0)`, so the
    blob starts with a 4-byte storage tag (fp32 0, fp16 0x01306B47); otherwise raw fp32."""

    name: str
    tagged: bool
    optional: bool = False


COMMON_PARAMS: dict[str, Param] = {
    # per-layer feature mask (docs/developer-guide/layer-feat-mask.md): 1 no fp16 arithmetic,
    # 2 no fp16 storage, 4 no bf16, 8 no int8, 16 no Vulkan, 32 no sgemm, 64 no winograd, 128 one thread
    "featmask": Param(31, 0),
}


class NcnnLayer(IRDLOperation, ABC):
    """Base of every `ncnn.*` layer op."""

    PARAMS: ClassVar[dict[str, Param]] = {}
    WEIGHTS: ClassVar[tuple[Weight, ...]] = ()
    VULKAN: ClassVar[bool] = True
    """Whether ncnn has a Vulkan kernel (False: the layer falls back to CPU under Vulkan)."""
    READS_INT32: ClassVar[bool] = False
    """Whether the layer reads its input Mat's bytes as int32 (Embed's word indices): a model
    input feeding it is fed as int32 bytes, not float values (manifest `"feed": "int32"`)."""
    BIAS_AXIS: ClassVar[int | None] = None
    """The logical axis of the output (counted from the end) that the layer's `bias` weight
    (`bias_term` 1) is added along, and whose index is the outermost of its `weight` (one row
    per output channel): a constant added or multiplied along it alone folds into them."""
    VULKAN_FP32_RTOL: ClassVar[float | None] = None
    """The layer's Vulkan kernel is documented as less exact than fp32 arithmetic: the error
    (relative to the output's range) `ncc verify` accepts in Vulkan fp32 for a model using it."""

    inputs = var_operand_def()
    outputs = var_result_def()
    params = prop_def(DictionaryAttr, default_value=DictionaryAttr({}))
    weights = prop_def(DictionaryAttr, default_value=DictionaryAttr({}))
    traits = traits_def(Pure())

    @classmethod
    def generalize_params(
        cls, samples: Sequence[tuple[Mapping[int, str], Sequence[Sequence[int]] | None]]
    ) -> dict[int, str] | None:
        """Params (id → `.param` token) that give this layer's output at every compile size
        (`ncc.symbolic`), from `samples`: per size, the params ncc wrote there and the layer's
        input Mats when known (the given size first). None: no size-free form."""
        return None

    @classmethod
    def all_params(cls) -> dict[str, Param]:
        """The layer's own params and the ones every ncnn layer reads (`featmask`, id 31)."""
        return {**COMMON_PARAMS, **cls.PARAMS}

    @property
    def layer_type(self) -> str:
        return self.name.split(".", 1)[1]

    @classmethod
    def build(
        cls,
        inputs: Sequence[SSAValue],
        result_types: Sequence[Attribute],
        params: Mapping[str, Any] | None = None,
        weights: Mapping[str, np.ndarray] | None = None,
        node: str | None = None,
    ):
        """Create the layer from Python values: params are converted by their table kind,
        weights become blobs (float32)."""
        pattrs: dict[str, Attribute] = {}
        for key, value in (params or {}).items():
            if key not in cls.all_params():
                raise NccError(f"ncnn {cls.name} has no param '{key}'")
            pattrs[key] = param_attr(cls.all_params()[key].kind, value)
        wattrs: dict[str, Attribute] = {}
        for key, arr in (weights or {}).items():
            arr = np.ascontiguousarray(np.asarray(arr, dtype=np.float32))
            wattrs[key] = BlobAttr.from_array(arr, f"{cls.name[5:]}.{key}")
        op = cls.create(
            operands=list(inputs),
            result_types=list(result_types),
            properties={"params": DictionaryAttr(pattrs), "weights": DictionaryAttr(wattrs)},
        )
        if node is not None:
            op.location = node_loc(node)
        return op

    def param(self, key: str) -> Any:
        """A param's Python value, or its default."""
        a = self.params.data.get(key)
        return self.all_params()[key].default if a is None else param_value(a)

    def set_param(self, key: str, value: Any) -> None:
        d = dict(self.params.data)
        d[key] = param_attr(self.all_params()[key].kind, value)
        self.properties["params"] = DictionaryAttr(d)

    def param_items(self) -> list[tuple[int, str, Any]]:
        """(id, kind, value) for every param that differs from its default, by id."""
        out = []
        for key, a in self.params.data.items():
            p = self.all_params()[key]
            v = param_value(a)
            if _same(v, p.default):
                continue
            out.append((p.id, p.kind, v))
        return sorted(out, key=lambda x: x[0])

    def param_or(self, key: str, fallback: str) -> Any:
        """A param whose ncnn default is another param's value (`kernel_h = pd.get(11,
        kernel_w)`): its value when set, else the other param's."""
        v = self.param(key)
        return self.param(fallback) if v is None else v

    def infer_mat(self, in_mats: list[Mat]) -> list[Mat] | None:
        """The numpy-order Mat shapes `(w)`, `(h, w)`, `(c, h, w)`, `(c, d, h, w)` of the
        layer's outputs, computed from its params and its inputs' Mats exactly as the layer's
        `forward` in ncnn's `src/layer/<x>.cpp` does. Shapes are per batch item (ncnn's batch
        axis `Mat.n` is not part of them). None: the layer has no rule (a plugin layer) or a
        form the rule does not model (size expressions); raises `MatRuleError` where ncnn
        would reject the inputs or compute something other than the op means."""
        return None

    def loads_weights(self) -> bool:
        """Whether ncnn's `load_model` reads the layer's weights from the .bin: not when
        `dynamic_weight` is set (the convolutions then take weight and bias as bottoms)."""
        return not ("dynamic_weight" in self.PARAMS and self.param("dynamic_weight"))

    def weight(self, key: str) -> np.ndarray | None:
        a = self.weights.data.get(key)
        return None if a is None else attr_array(a)

    def verify_(self) -> None:
        for key, a in self.params.data.items():
            if key not in self.all_params():
                raise VerifyException(f"{self.name} has no param '{key}'")
            kind = self.all_params()[key].kind
            ok = {
                INT: isinstance(a, IntegerAttr),
                FLOAT: isinstance(a, FloatAttr),
                INTS: isinstance(a, DenseArrayBase),
                FLOATS: isinstance(a, DenseArrayBase),
                STR: isinstance(a, StringAttr),
            }[kind]
            if not ok:
                raise VerifyException(f"{self.name} param '{key}' must be {kind}, got {a}")
        names = {w.name for w in self.WEIGHTS}
        for key, a in self.weights.data.items():
            if key not in names:
                raise VerifyException(f"{self.name} has no weight '{key}'")
            # dense<…> only in hand-written IR (tests that need the values); passes write blobs
            if not isinstance(a, BlobAttr | DenseIntOrFPElementsAttr):
                raise VerifyException(f"{self.name} weight '{key}' must be #ncc.blob")
        mismatch = self.placement_mismatch()
        if mismatch is not None:
            raise VerifyException(f"{self.name}: result types disagree with ncnn's Mat rule: {mismatch}")

    def placement_mismatch(self) -> str | None:
        """How the Mats of the layer's results (`mat_shape` of their static types) differ from
        those ncnn computes from its inputs' Mats (`infer_mat`), in one line; None when they
        agree or one side is not known (a non-static type, a layer without a rule)."""
        ins_shapes = [static_shape(v.type) for v in self.operands]
        out_shapes = [static_shape(v.type) for v in self.results]
        if any(s is None for s in ins_shapes) or any(s is None for s in out_shapes):
            return None
        try:
            ins = [mat_shape(s) for s in ins_shapes]
            wanted = [mat_shape(s) for s in out_shapes]
        except NccError:
            return None  # no Mat at all: ncnn-legalize names the tensor
        show = lambda ms: ", ".join(str(list(m)) for m in ms)  # noqa: E731
        where = f"{self.layer_type} on input Mats {show(ins) or '(none)'}"
        try:
            got = self.infer_mat(ins)
        except MatRuleError as e:
            return f"{where}: {e}"
        if got is None:
            return None
        got = [tuple(m) for m in got]
        if got != wanted:
            return f"{where} produces {show(got)}, but its result(s) expect {show(wanted)}"
        return None

    def error(self, message: str) -> NccError:
        return NccError(message, **op_location(self))


def _same(v: Any, default: Any) -> bool:
    if isinstance(v, list | tuple):
        return isinstance(default, list | tuple) and list(v) == list(default)
    return v == default


_INT_ATTRS: dict[int, Attribute] = {}
"""int param value → its attribute: attributes are immutable, and building an IntegerAttr
(xDSL checks its range) is most of the cost of creating a layer."""


def param_attr(kind: str, value: Any) -> Attribute:
    if kind == INT:
        v = int(value)
        attr = _INT_ATTRS.get(v)
        if attr is None:
            attr = _INT_ATTRS[v] = IntegerAttr(v, i32)
        return attr
    if kind == FLOAT:
        return FloatAttr(float(value), f32)
    if kind == INTS:
        return DenseArrayBase.from_list(i32, [int(v) for v in value])
    if kind == FLOATS:
        return DenseArrayBase.from_list(f32, [float(v) for v in value])
    if kind == STR:
        return StringAttr(str(value))
    raise ValueError(kind)


def param_value(a: Attribute) -> Any:
    if isinstance(a, IntegerAttr | FloatAttr):
        return a.value.data
    if isinstance(a, DenseArrayBase):
        return list(a.get_values())
    if isinstance(a, StringAttr):
        return a.data
    raise ValueError(a)


# ----------------------------------------------------------------------------- layout

Mat = tuple[int, ...]
"""An ncnn Mat shape in numpy order: (w), (h, w), (c, h, w) or (c, d, h, w)."""


class MatRuleError(ValueError):
    """ncnn would reject these input Mats, or compute with them something else than meant."""


class KeepsMat:
    """Mixin of a layer whose every output has its first input's Mat (activations,
    normalisations, per-element layers)."""

    def infer_mat(self, in_mats: list[Mat]) -> list[Mat] | None:
        return [tuple(in_mats[0])] * len(self.results)


_LETTERS = {1: "w", 2: "hw", 3: "chw", 4: "cdhw"}


def mat_axes(mat: Sequence[int]) -> dict[str, int]:
    """A Mat's w/h/d/c (1 for the axes its rank lacks), as ncnn's `Mat` fields read."""
    axes = {"w": 1, "h": 1, "d": 1, "c": 1}
    axes.update(zip(_LETTERS[len(mat)], (int(x) for x in mat), strict=True))
    return axes


def mat_from_axes(dims: int, axes: dict[str, int]) -> Mat:
    """The Mat of rank `dims` with the given w/h/d/c."""
    return tuple(int(axes[k]) for k in _LETTERS[dims])


def window_extent(size: int, kernel: int, stride: int, dilation: int, pad_a: int, pad_b: int) -> int:
    """Output length of a sliding window over `size` padded by `pad_a` / `pad_b`."""
    extent = dilation * (kernel - 1) + 1
    return _cdiv(size + pad_a + pad_b - extent, stride) + 1


def same_pad(size: int, kernel: int, stride: int, dilation: int = 1) -> int:
    """The total pad ncnn adds for SAME_UPPER / SAME_LOWER (-233 / -234, pad_mode 2 / 3)."""
    return dilation * (kernel - 1) + 1 + (size - 1) // stride * stride - size


def _cdiv(a: int, b: int) -> int:
    """C integer division (truncates toward zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def fits_mat(shape: Sequence[int]) -> bool:
    """Whether every logical axis of `shape` has a Mat axis of its own (at most 4 dims once a
    leading batch of 1 is dropped): the shapes conversion patterns compute axes on."""
    shape = tuple(shape)
    return len(shape) - (1 if len(shape) > 1 and shape[0] == 1 else 0) <= 4


def mat_shape(shape: Sequence[int]) -> tuple[int, ...]:
    """The ncnn Mat shape (numpy order, at most 4 dims) of a logical tensor shape.

    A leading batch of 1 is dropped; a scalar is a 1-element vector. A tensor with more axes
    than that (rank 6, or rank 5 with a batch N > 1) sits in the Mat with its outermost axes
    merged into the Mat's outermost one: (2, 3, 4, 8, 8) → (6, 4, 8, 8). That is where the
    layout stage (`onnx-layout-assign`) leaves such tensors between the Reshapes it inserts,
    and how a model input or output of that shape is fed or read (C order, so a plain
    reshape): only Reshapes produce or read such values (`fits_mat` is false for them)."""
    shape = tuple(int(d) for d in shape)
    if len(shape) == 0:
        return (1,)
    if len(shape) > 1 and shape[0] == 1:
        shape = shape[1:]
    if len(shape) > 4:
        shape = (int(np.prod(shape[: len(shape) - 3])), *shape[-3:])
    return shape


def data_mat(shape: Sequence[int], keep: int = 2) -> tuple[int, ...]:
    """The Mat of a tensor whose last `keep` axes are data even when 1 (the rows and columns
    of a MatMul / Gemm operand): `mat_shape`, except that a leading 1 among those axes stays,
    so a [1, N] operand is a (1, N) Mat and not the vector (N) that ncnn reads another way."""
    shape = tuple(int(d) for d in shape)
    mat = mat_shape(shape)
    if len(mat) < min(len(shape), keep):
        return shape[-keep:]
    return mat


def mat_of(v: SSAValue) -> tuple[int, ...]:
    s = static_shape(v.type)
    if s is None:
        raise NccError(f"value of type {v.type} has no static shape")
    return mat_shape(s)


def batch_dropped(shape: Sequence[int]) -> int:
    """How many leading logical axes `mat_shape` drops (0 or 1)."""
    return 1 if len(shape) > 1 and shape[0] == 1 else 0
