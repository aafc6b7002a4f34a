"""Every ncc pass by name, as lazy factories (xDSL style): importing the registry imports
no pass module; `ncc`, `ncc-opt`, the pipeline parser and the xdsl universe all read it."""

from __future__ import annotations

from collections.abc import Callable

from xdsl.passes import ModulePass


def get_all_passes() -> dict[str, Callable[[], type[ModulePass]]]:
    """ncc's own passes, then the plug-in passes (`ncc.plugins`: the `ncc.passes` entry-point
    group and `--load-passes` modules), which cannot shadow a built-in name."""
    from ncc.plugins import entry_point_passes, loaded_passes

    builtin = _builtin_passes()
    return {**loaded_passes(), **entry_point_passes(builtin_pass_names()), **builtin}


_XDSL_GENERIC = frozenset({"cse", "dce", "canonicalize"})


def builtin_pass_names() -> set[str]:
    """Names no plug-in may take: ncc's passes and the xDSL passes a pipeline may name."""
    return set(_builtin_passes()) | _XDSL_GENERIC


def _builtin_passes() -> dict[str, Callable[[], type[ModulePass]]]:
    def set_input_shapes():
        from ncc.lowering.onnx.set_input_shapes import SetInputShapesPass

        return SetInputShapesPass

    def onnx_shape_inference():
        from ncc.lowering.onnx.shape_inference import OnnxShapeInferencePass

        return OnnxShapeInferencePass

    def onnx_fold_constants():
        from ncc.lowering.onnx.fold_constants import OnnxFoldConstantsPass

        return OnnxFoldConstantsPass

    def onnx_canonicalize():
        from ncc.lowering.onnx.canonicalize import OnnxCanonicalizePass

        return OnnxCanonicalizePass

    def onnx_simplify():
        from ncc.lowering.onnx.simplify import OnnxSimplifyPass

        return OnnxSimplifyPass

    def onnx_fold_batchnorm():
        from ncc.lowering.onnx.fold_batchnorm import OnnxFoldBatchNormPass

        return OnnxFoldBatchNormPass

    def onnx_layout_assign():
        from ncc.lowering.onnx.layout_assign import OnnxLayoutAssignPass

        return OnnxLayoutAssignPass

    def onnx_batch_layout():
        from ncc.lowering.onnx.batch_layout import OnnxBatchLayoutPass

        return OnnxBatchLayoutPass

    def onnx_where_to_arithmetic():
        from ncc.lowering.onnx.where_to_arithmetic import OnnxWhereToArithmeticPass

        return OnnxWhereToArithmeticPass

    def onnx_indexing_to_slices():
        from ncc.lowering.onnx.indexing_to_slices import OnnxIndexingToSlicesPass

        return OnnxIndexingToSlicesPass

    def onnx_expand_to_tile():
        from ncc.lowering.onnx.expand_to_tile import OnnxExpandToTilePass

        return OnnxExpandToTilePass

    def onnx_fuse_attention():
        from ncc.lowering.onnx.fuse_attention import OnnxFuseAttentionPass

        return OnnxFuseAttentionPass

    def onnx_check_static():
        from ncc.lowering.onnx.check_static import OnnxCheckStaticPass

        return OnnxCheckStaticPass

    def convert_onnx_to_ncnn():
        from ncc.lowering.onnx_to_ncnn import ConvertOnnxToNcnnPass

        return ConvertOnnxToNcnnPass

    def ncnn_fold_affine():
        from ncc.lowering.ncnn.fold_affine import NcnnFoldAffinePass

        return NcnnFoldAffinePass

    def ncnn_fuse_swish():
        from ncc.lowering.ncnn.fuse_swish import NcnnFuseSwishPass

        return NcnnFuseSwishPass

    def ncnn_fuse_shuffle_channel():
        from ncc.lowering.ncnn.fuse_shuffle_channel import NcnnFuseShuffleChannelPass

        return NcnnFuseShuffleChannelPass

    def ncnn_fuse_slices():
        from ncc.lowering.ncnn.fuse_slices import NcnnFuseSlicesPass

        return NcnnFuseSlicesPass

    def ncnn_fuse_activation():
        from ncc.lowering.ncnn.fuse_activation import NcnnFuseActivationPass

        return NcnnFuseActivationPass

    def ncnn_innerproduct_to_gemm():
        from ncc.lowering.ncnn.innerproduct_to_gemm import NcnnInnerProductToGemmPass

        return NcnnInnerProductToGemmPass

    def ncnn_fp32_accumulation():
        from ncc.lowering.ncnn.fp32_accumulation import NcnnFp32AccumulationPass

        return NcnnFp32AccumulationPass

    def ncnn_fold_permutes():
        from ncc.lowering.ncnn.fold_permutes import NcnnFoldPermutesPass

        return NcnnFoldPermutesPass

    def ncnn_fold_reshapes():
        from ncc.lowering.ncnn.fold_reshapes import NcnnFoldReshapesPass

        return NcnnFoldReshapesPass

    def ncnn_materialize_outputs():
        from ncc.lowering.ncnn.materialize_outputs import NcnnMaterializeOutputsPass

        return NcnnMaterializeOutputsPass

    def ncnn_insert_split():
        from ncc.lowering.ncnn.insert_split import NcnnInsertSplitPass

        return NcnnInsertSplitPass

    def ncnn_legalize():
        from ncc.lowering.ncnn.legalize import NcnnLegalizePass

        return NcnnLegalizePass

    return {
        "set-input-shapes": set_input_shapes,
        "onnx-shape-inference": onnx_shape_inference,
        "onnx-fold-constants": onnx_fold_constants,
        "onnx-canonicalize": onnx_canonicalize,
        "onnx-simplify": onnx_simplify,
        "onnx-fold-batchnorm": onnx_fold_batchnorm,
        "onnx-batch-layout": onnx_batch_layout,
        "onnx-layout-assign": onnx_layout_assign,
        "onnx-where-to-arithmetic": onnx_where_to_arithmetic,
        "onnx-indexing-to-slices": onnx_indexing_to_slices,
        "onnx-expand-to-tile": onnx_expand_to_tile,
        "onnx-fuse-attention": onnx_fuse_attention,
        "onnx-check-static": onnx_check_static,
        "convert-onnx-to-ncnn": convert_onnx_to_ncnn,
        "ncnn-fold-affine": ncnn_fold_affine,
        "ncnn-fuse-swish": ncnn_fuse_swish,
        "ncnn-fuse-shuffle-channel": ncnn_fuse_shuffle_channel,
        "ncnn-fuse-slices": ncnn_fuse_slices,
        "ncnn-fuse-activation": ncnn_fuse_activation,
        "ncnn-fold-permutes": ncnn_fold_permutes,
        "ncnn-fold-reshapes": ncnn_fold_reshapes,
        "ncnn-innerproduct-to-gemm": ncnn_innerproduct_to_gemm,
        "ncnn-fp32-accumulation": ncnn_fp32_accumulation,
        "ncnn-materialize-outputs": ncnn_materialize_outputs,
        "ncnn-insert-split": ncnn_insert_split,
        "ncnn-legalize": ncnn_legalize,
    }


def pipeline_passes() -> dict[str, Callable[[], type[ModulePass]]]:
    """The passes a pipeline spec may name: ncc's and xDSL's generic cse / dce / canonicalize."""

    def cse():
        from xdsl.transforms.common_subexpression_elimination import CommonSubexpressionElimination

        return CommonSubexpressionElimination

    def dce():
        from xdsl.transforms.dead_code_elimination import DeadCodeElimination

        return DeadCodeElimination

    def canonicalize():
        from xdsl.transforms.canonicalize import CanonicalizePass

        return CanonicalizePass

    return {**get_all_passes(), "cse": cse, "dce": dce, "canonicalize": canonicalize}


def get_all_dialects():
    def onnx():
        from ncc.dialects.onnx import ONNX

        return ONNX

    def ncnn():
        from ncc.dialects.ncnn import NCNN

        return NCNN

    def layout():
        from ncc.dialects.layout import LAYOUT

        return LAYOUT

    def ncc():
        from ncc.dialects.common import NCC

        return NCC

    return {"ncc": ncc, "onnx": onnx, "ncnn": ncnn, "layout": layout}
