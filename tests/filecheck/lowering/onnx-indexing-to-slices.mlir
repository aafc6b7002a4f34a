// RUN: ncc-opt %s -p onnx-indexing-to-slices,dce --split-input-file | filecheck %s

// Indexing on data → unit-step Slice, Reshape, Pad, Concat, found by evaluating the ops on
// element ids (errors: onnx-indexing-to-slices-errors.mlir).

// The temporal shift as torch's dynamo exporter writes it: zeros, then slice_scatter as
// Transpose + ScatterND on rank-5 tensors with a leading dim > 1 (no ncnn Mat). It becomes
// two shifted Slices padded with zeros along T, the untouched channels, and one Concat.

func.func @tsm_dynamo(%0: tensor<3x3x1x2xf32>) -> tensor<3x3x1x2xf32> {
  %1 = "onnx.Constant"() <{value = dense<[1, 3, 3, 1, 2]> : tensor<5xi64>}> : () -> tensor<5xi64>
  %2 = "onnx.Constant"() <{value = dense<1> : tensor<1xi64>}> : () -> tensor<1xi64>
  %3 = "onnx.Constant"() <{value = dense<9223372036854775807> : tensor<1xi64>}> : () -> tensor<1xi64>
  %4 = "onnx.Constant"() <{value = dense<0> : tensor<1xi64>}> : () -> tensor<1xi64>
  %5 = "onnx.Constant"() <{value = dense<2> : tensor<1xi64>}> : () -> tensor<1xi64>
  %6 = "onnx.Constant"() <{value = dense<0> : tensor<1x1xi64>}> : () -> tensor<1x1xi64>
  %7 = "onnx.Constant"() <{value = dense<0.0> : tensor<3x2x1x1x2xf32>}> : () -> tensor<3x2x1x1x2xf32>
  %8 = "onnx.Constant"() <{value = dense<[[0], [1]]> : tensor<2x1xi64>}> : () -> tensor<2x1xi64>
  %9 = "onnx.Constant"() <{value = dense<0.0> : tensor<3x1x3x1x2xf32>}> : () -> tensor<3x1x3x1x2xf32>
  %10 = "onnx.Constant"() <{value = dense<-1> : tensor<1xi64>}> : () -> tensor<1xi64>
  %11 = "onnx.Constant"() <{value = dense<1> : tensor<1x1xi64>}> : () -> tensor<1x1xi64>
  %12 = "onnx.Constant"() <{value = dense<[[1], [2]]> : tensor<2x1xi64>}> : () -> tensor<2x1xi64>
  %13 = "onnx.Constant"() <{value = dense<2> : tensor<1x1xi64>}> : () -> tensor<1x1xi64>
  %14 = "onnx.Constant"() <{value = dense<[3, 3, 1, 2]> : tensor<4xi64>}> : () -> tensor<4xi64>
  %15 = "onnx.Reshape"(%0, %1) <{allowzero = 1 : i64}> {onnx_node = "node_view"} : (tensor<3x3x1x2xf32>, tensor<5xi64>) -> tensor<1x3x3x1x2xf32>
  %16 = "onnx.Slice"(%15, %2, %3, %2, %2) {onnx_node = "node_slice_1"} : (tensor<1x3x3x1x2xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x2x3x1x2xf32>
  %17 = "onnx.Slice"(%16, %4, %2, %5, %2) {onnx_node = "node_slice_2"} : (tensor<1x2x3x1x2xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x2x1x1x2xf32>
  %18 = "onnx.Transpose"(%17) <{perm = array<i64: 2, 1, 0, 3, 4>}> {onnx_node = "node_Transpose_74"} : (tensor<1x2x1x1x2xf32>) -> tensor<1x2x1x1x2xf32>
  %19 = "onnx.ScatterND"(%7, %6, %18) <{reduction = "none"}> {onnx_node = "node_ScatterND_76"} : (tensor<3x2x1x1x2xf32>, tensor<1x1xi64>, tensor<1x2x1x1x2xf32>) -> tensor<3x2x1x1x2xf32>
  %20 = "onnx.Transpose"(%19) <{perm = array<i64: 1, 2, 0, 3, 4>}> {onnx_node = "node_Transpose_247"} : (tensor<3x2x1x1x2xf32>) -> tensor<2x1x3x1x2xf32>
  %21 = "onnx.ScatterND"(%9, %8, %20) <{reduction = "none"}> {onnx_node = "node_ScatterND_88"} : (tensor<3x1x3x1x2xf32>, tensor<2x1xi64>, tensor<2x1x3x1x2xf32>) -> tensor<3x1x3x1x2xf32>
  %22 = "onnx.Transpose"(%21) <{perm = array<i64: 1, 0, 2, 3, 4>}> {onnx_node = "node_slice_scatter_1"} : (tensor<3x1x3x1x2xf32>) -> tensor<1x3x3x1x2xf32>
  %23 = "onnx.Slice"(%15, %4, %10, %2, %2) {onnx_node = "node_slice_8"} : (tensor<1x3x3x1x2xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x2x3x1x2xf32>
  %24 = "onnx.Slice"(%23, %2, %5, %5, %2) {onnx_node = "node_slice_9"} : (tensor<1x2x3x1x2xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x2x1x1x2xf32>
  %25 = "onnx.Slice"(%22, %2, %3, %2, %2) {onnx_node = "node_slice_15"} : (tensor<1x3x3x1x2xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x2x3x1x2xf32>
  %26 = "onnx.Transpose"(%24) <{perm = array<i64: 2, 1, 0, 3, 4>}> {onnx_node = "node_Transpose_148"} : (tensor<1x2x1x1x2xf32>) -> tensor<1x2x1x1x2xf32>
  %27 = "onnx.Transpose"(%25) <{perm = array<i64: 2, 1, 0, 3, 4>}> {onnx_node = "node_Transpose_149"} : (tensor<1x2x3x1x2xf32>) -> tensor<3x2x1x1x2xf32>
  %28 = "onnx.ScatterND"(%27, %11, %26) <{reduction = "none"}> {onnx_node = "node_ScatterND_150"} : (tensor<3x2x1x1x2xf32>, tensor<1x1xi64>, tensor<1x2x1x1x2xf32>) -> tensor<3x2x1x1x2xf32>
  %29 = "onnx.Transpose"(%28) <{perm = array<i64: 1, 2, 0, 3, 4>}> {onnx_node = "node_Transpose_248"} : (tensor<3x2x1x1x2xf32>) -> tensor<2x1x3x1x2xf32>
  %30 = "onnx.ScatterND"(%21, %12, %29) <{reduction = "none"}> {onnx_node = "node_ScatterND_162"} : (tensor<3x1x3x1x2xf32>, tensor<2x1xi64>, tensor<2x1x3x1x2xf32>) -> tensor<3x1x3x1x2xf32>
  %31 = "onnx.Slice"(%15, %5, %3, %5, %2) {onnx_node = "node_slice_18"} : (tensor<1x3x3x1x2xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x3x1x1x2xf32>
  %32 = "onnx.Transpose"(%31) <{perm = array<i64: 2, 1, 0, 3, 4>}> {onnx_node = "node_Transpose_192"} : (tensor<1x3x1x1x2xf32>) -> tensor<1x3x1x1x2xf32>
  %33 = "onnx.Transpose"(%30) <{perm = array<i64: 2, 0, 1, 3, 4>}> {onnx_node = "node_Transpose_249"} : (tensor<3x1x3x1x2xf32>) -> tensor<3x3x1x1x2xf32>
  %34 = "onnx.ScatterND"(%33, %13, %32) <{reduction = "none"}> {onnx_node = "node_ScatterND_194"} : (tensor<3x3x1x1x2xf32>, tensor<1x1xi64>, tensor<1x3x1x1x2xf32>) -> tensor<3x3x1x1x2xf32>
  %35 = "onnx.Transpose"(%34) <{perm = array<i64: 2, 1, 0, 3, 4>}> {onnx_node = "node_slice_scatter_4"} : (tensor<3x3x1x1x2xf32>) -> tensor<1x3x3x1x2xf32>
  %36 = "onnx.Reshape"(%35, %14) <{allowzero = 1 : i64}> {onnx_node = "node_view_2"} : (tensor<1x3x3x1x2xf32>, tensor<4xi64>) -> tensor<3x3x1x2xf32>
  func.return %36 : tensor<3x3x1x2xf32>
}

// CHECK-LABEL: func.func @tsm_dynamo(%0: tensor<3x3x1x2xf32>)
// CHECK-NOT:     onnx.ScatterND
// CHECK-NOT:     onnx.Transpose
// CHECK:         %[[A:.*]] = "onnx.Slice"(%0, {{.*}} -> tensor<2x1x1x2xf32>
// CHECK:         %[[PA:.*]] = "onnx.Pad"(%[[A]], {{.*}} -> tensor<3x1x1x2xf32>
// CHECK:         %[[B:.*]] = "onnx.Slice"(%0, {{.*}} -> tensor<2x1x1x2xf32>
// CHECK:         %[[PB:.*]] = "onnx.Pad"(%[[B]], {{.*}} -> tensor<3x1x1x2xf32>
// CHECK:         %[[C:.*]] = "onnx.Slice"(%0, {{.*}} -> tensor<3x1x1x2xf32>
// CHECK:         %[[Y:.*]] = "onnx.Concat"(%[[PA]], %[[PB]], %[[C]]) <{axis = 1 : i64}>
// CHECK-NOT:     onnx.ScatterND
// CHECK:         func.return %[[Y]]

// -----

// The same shift as the TorchScript exporter writes it (ScatterND with 2-D indices into a
// zero constant), with a third write through a Transpose: later writes win.

func.func @tsm(%x: tensor<4x6x2x2xf32>) -> tensor<4x6x2x2xf32> {
  %z = "onnx.Constant"() <{value = dense<0.0> : tensor<4x6x2x2xf32>}> : () -> tensor<4x6x2x2xf32>
  %s0 = "onnx.Constant"() <{value = dense<[1, 0]> : tensor<2xi64>}> : () -> tensor<2xi64>
  %e0 = "onnx.Constant"() <{value = dense<[4, 2]> : tensor<2xi64>}> : () -> tensor<2xi64>
  %ax = "onnx.Constant"() <{value = dense<[0, 1]> : tensor<2xi64>}> : () -> tensor<2xi64>
  %none = "onnx.NoValue"() : () -> none
  %u0 = "onnx.Slice"(%x, %s0, %e0, %ax, %none) : (tensor<4x6x2x2xf32>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>, none) -> tensor<3x2x2x2xf32>
  %i0 = "onnx.Constant"() <{value = dense<[[[0, 0], [0, 1]], [[1, 0], [1, 1]], [[2, 0], [2, 1]]]> : tensor<3x2x2xi64>}> : () -> tensor<3x2x2xi64>
  %o0 = "onnx.ScatterND"(%z, %i0, %u0) : (tensor<4x6x2x2xf32>, tensor<3x2x2xi64>, tensor<3x2x2x2xf32>) -> tensor<4x6x2x2xf32>
  %s1 = "onnx.Constant"() <{value = dense<[0, 2]> : tensor<2xi64>}> : () -> tensor<2xi64>
  %e1 = "onnx.Constant"() <{value = dense<[3, 4]> : tensor<2xi64>}> : () -> tensor<2xi64>
  %u1 = "onnx.Slice"(%x, %s1, %e1, %ax, %none) : (tensor<4x6x2x2xf32>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>, none) -> tensor<3x2x2x2xf32>
  %i1 = "onnx.Constant"() <{value = dense<[[[1, 2], [1, 3]], [[2, 2], [2, 3]], [[3, 2], [3, 3]]]> : tensor<3x2x2xi64>}> : () -> tensor<3x2x2xi64>
  %o1 = "onnx.ScatterND"(%o0, %i1, %u1) : (tensor<4x6x2x2xf32>, tensor<3x2x2xi64>, tensor<3x2x2x2xf32>) -> tensor<4x6x2x2xf32>
  %s2 = "onnx.Constant"() <{value = dense<4> : tensor<1xi64>}> : () -> tensor<1xi64>
  %e2 = "onnx.Constant"() <{value = dense<6> : tensor<1xi64>}> : () -> tensor<1xi64>
  %a2 = "onnx.Constant"() <{value = dense<1> : tensor<1xi64>}> : () -> tensor<1xi64>
  %u2 = "onnx.Slice"(%x, %s2, %e2, %a2, %none) : (tensor<4x6x2x2xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, none) -> tensor<4x2x2x2xf32>
  %t = "onnx.Transpose"(%o1) <{perm = array<i64: 1, 0, 2, 3>}> : (tensor<4x6x2x2xf32>) -> tensor<6x4x2x2xf32>
  %i2 = "onnx.Constant"() <{value = dense<[[4], [5]]> : tensor<2x1xi64>}> : () -> tensor<2x1xi64>
  %ut = "onnx.Transpose"(%u2) <{perm = array<i64: 1, 0, 2, 3>}> : (tensor<4x2x2x2xf32>) -> tensor<2x4x2x2xf32>
  %o2 = "onnx.ScatterND"(%t, %i2, %ut) : (tensor<6x4x2x2xf32>, tensor<2x1xi64>, tensor<2x4x2x2xf32>) -> tensor<6x4x2x2xf32>
  %y = "onnx.Transpose"(%o2) <{perm = array<i64: 1, 0, 2, 3>}> : (tensor<6x4x2x2xf32>) -> tensor<4x6x2x2xf32>
  %r = "onnx.Relu"(%y) : (tensor<4x6x2x2xf32>) -> tensor<4x6x2x2xf32>
  func.return %r : tensor<4x6x2x2xf32>
}


// CHECK-LABEL: func.func @tsm
// CHECK:         %[[A:.*]] = "onnx.Slice"(%x, {{.*}} -> tensor<3x2x2x2xf32>
// CHECK:         %[[S:.*]] = "onnx.Constant"() <{value = dense<[0, 0, 0, 0, 1, 0, 0, 0]> : tensor<8xi64>}>
// CHECK:         %[[PA:.*]] = "onnx.Pad"(%[[A]], %[[S]], {{.*}} -> tensor<4x2x2x2xf32>
// CHECK:         %[[B:.*]] = "onnx.Slice"(%x, {{.*}} -> tensor<3x2x2x2xf32>
// CHECK:         %[[T:.*]] = "onnx.Constant"() <{value = dense<[1, 0, 0, 0, 0, 0, 0, 0]> : tensor<8xi64>}>
// CHECK:         %[[PB:.*]] = "onnx.Pad"(%[[B]], %[[T]], {{.*}} -> tensor<4x2x2x2xf32>
// CHECK:         %[[C:.*]] = "onnx.Slice"(%x, {{.*}} -> tensor<4x2x2x2xf32>
// CHECK:         %[[Y:.*]] = "onnx.Concat"(%[[PA]], %[[PB]], %[[C]]) <{axis = 1 : i64}>
// CHECK:         "onnx.Relu"(%[[Y]])
// CHECK-NOT:     onnx.ScatterND

// -----

func.func @gather(%x: tensor<1x6x5xf32>) -> tensor<1x5x5xf32> {
  %i = "onnx.Constant"() <{value = dense<[4, 0, 1, 2, 2]> : tensor<5xi64>}> : () -> tensor<5xi64>
  %g = "onnx.Gather"(%x, %i) <{axis = 1 : i64}> : (tensor<1x6x5xf32>, tensor<5xi64>) -> tensor<1x5x5xf32>
  func.return %g : tensor<1x5x5xf32>
}

// index_select with [4, 0, 1, 2, 2]: the run 0..2 is one Slice, the repeated 2 another.
// CHECK-LABEL: func.func @gather
// CHECK:         %[[A:.*]] = "onnx.Slice"(%x, {{.*}} -> tensor<1x1x5xf32>
// CHECK:         %[[B:.*]] = "onnx.Slice"(%x, {{.*}} -> tensor<1x3x5xf32>
// CHECK:         %[[C:.*]] = "onnx.Slice"(%x, {{.*}} -> tensor<1x1x5xf32>
// CHECK:         "onnx.Concat"(%[[A]], %[[B]], %[[C]]) <{axis = 1 : i64}>
// CHECK-NOT:     onnx.Gather

// -----

func.func @gather_scalar(%x: tensor<1x6x5xf32>) -> tensor<1x5xf32> {
  %i = "onnx.Constant"() <{value = dense<-1> : tensor<i64>}> : () -> tensor<i64>
  %g = "onnx.Gather"(%x, %i) <{axis = 1 : i64}> : (tensor<1x6x5xf32>, tensor<i64>) -> tensor<1x5xf32>
  func.return %g : tensor<1x5xf32>
}

// A scalar (negative) index: the last slice, then the axis dropped by a Reshape.
// CHECK-LABEL: func.func @gather_scalar
// CHECK:         %[[S:.*]] = "onnx.Constant"() <{value = dense<5> : tensor<1xi64>}>
// CHECK:         %[[A:.*]] = "onnx.Slice"(%x, %[[S]], {{.*}} -> tensor<1x1x5xf32>
// CHECK:         %[[R:.*]] = "onnx.Reshape"(%[[A]], {{.*}} -> tensor<1x5xf32>
// CHECK:         func.return %[[R]]

// -----

func.func @gather_elements(%x: tensor<1x2x3xf32>) -> tensor<1x2x3xf32> {
  %i = "onnx.Constant"() <{value = dense<[[[2, 0, 1], [2, 0, 1]]]> : tensor<1x2x3xi64>}> : () -> tensor<1x2x3xi64>
  %g = "onnx.GatherElements"(%x, %i) <{axis = 2 : i64}> : (tensor<1x2x3xf32>, tensor<1x2x3xi64>) -> tensor<1x2x3xf32>
  func.return %g : tensor<1x2x3xf32>
}

// GatherElements that is a rotation along the last axis: two Slices and a Concat.
// CHECK-LABEL: func.func @gather_elements
// CHECK:         %[[A:.*]] = "onnx.Slice"(%x, {{.*}} -> tensor<1x2x1xf32>
// CHECK:         %[[B:.*]] = "onnx.Slice"(%x, {{.*}} -> tensor<1x2x2xf32>
// CHECK:         "onnx.Concat"(%[[A]], %[[B]]) <{axis = 2 : i64}>
// CHECK-NOT:     onnx.GatherElements

// -----

func.func @strided(%x: tensor<1x6x4x8xf32>) -> tensor<1x3x4x8xf32> {
  %s = "onnx.Constant"() <{value = dense<1> : tensor<1xi64>}> : () -> tensor<1xi64>
  %e = "onnx.Constant"() <{value = dense<6> : tensor<1xi64>}> : () -> tensor<1xi64>
  %a = "onnx.Constant"() <{value = dense<1> : tensor<1xi64>}> : () -> tensor<1xi64>
  %t = "onnx.Constant"() <{value = dense<2> : tensor<1xi64>}> : () -> tensor<1xi64>
  %y = "onnx.Slice"(%x, %s, %e, %a, %t) : (tensor<1x6x4x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x3x4x8xf32>
  func.return %y : tensor<1x3x4x8xf32>
}

// x[:, 1::2]: channels viewed as (3, 2), the odd ones cropped, reshaped back.
// CHECK-LABEL: func.func @strided
// CHECK:         %[[V:.*]] = "onnx.Reshape"(%x, {{.*}} -> tensor<3x2x4x8xf32>
// CHECK:         %[[A:.*]] = "onnx.Slice"(%[[V]], {{.*}} -> tensor<3x1x4x8xf32>
// CHECK:         "onnx.Reshape"(%[[A]], {{.*}} -> tensor<1x3x4x8xf32>

// -----

func.func @flip(%x: tensor<1x2x3xf32>) -> tensor<1x2x3xf32> {
  %s = "onnx.Constant"() <{value = dense<-1> : tensor<1xi64>}> : () -> tensor<1xi64>
  %e = "onnx.Constant"() <{value = dense<-9223372036854775807> : tensor<1xi64>}> : () -> tensor<1xi64>
  %a = "onnx.Constant"() <{value = dense<2> : tensor<1xi64>}> : () -> tensor<1xi64>
  %t = "onnx.Constant"() <{value = dense<-1> : tensor<1xi64>}> : () -> tensor<1xi64>
  %y = "onnx.Slice"(%x, %s, %e, %a, %t) : (tensor<1x2x3xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x2x3xf32>
  func.return %y : tensor<1x2x3xf32>
}

// A reversed axis (flip) is a Concat of single slices.
// CHECK-LABEL: func.func @flip
// CHECK:         %[[A:.*]] = "onnx.Slice"(%x, %[[S2:.*]], {{.*}} -> tensor<1x2x1xf32>
// CHECK:         %[[B:.*]] = "onnx.Slice"(%x, {{.*}} -> tensor<1x2x1xf32>
// CHECK:         %[[C:.*]] = "onnx.Slice"(%x, {{.*}} -> tensor<1x2x1xf32>
// CHECK:         "onnx.Concat"(%[[A]], %[[B]], %[[C]]) <{axis = 2 : i64}>

// -----

func.func @where_mask(%x: tensor<1x4x3xf32>, %y: tensor<1x4x3xf32>) -> tensor<1x4x3xf32> {
  %c = "onnx.Constant"() <{value = dense<[[[true], [true], [false], [false]]]> : tensor<1x4x1xi1>}> : () -> tensor<1x4x1xi1>
  %w = "onnx.Where"(%c, %x, %y) : (tensor<1x4x1xi1>, tensor<1x4x3xf32>, tensor<1x4x3xf32>) -> tensor<1x4x3xf32>
  func.return %w : tensor<1x4x3xf32>
}

// Where on a constant rectangular mask selects slices of each branch.
// CHECK-LABEL: func.func @where_mask
// CHECK:         %[[A:.*]] = "onnx.Slice"(%x, {{.*}} -> tensor<1x2x3xf32>
// CHECK:         %[[B:.*]] = "onnx.Slice"(%y, {{.*}} -> tensor<1x2x3xf32>
// CHECK:         "onnx.Concat"(%[[A]], %[[B]]) <{axis = 1 : i64}>
// CHECK-NOT:     onnx.Where

// -----

func.func @untouched(%x: tensor<1x4x3xf32>) -> tensor<1x4x3xf32> {
  %s = "onnx.Constant"() <{value = dense<2> : tensor<1xi64>}> : () -> tensor<1xi64>
  %e = "onnx.Constant"() <{value = dense<4> : tensor<1xi64>}> : () -> tensor<1xi64>
  %a = "onnx.Constant"() <{value = dense<1> : tensor<1xi64>}> : () -> tensor<1xi64>
  %none = "onnx.NoValue"() : () -> none
  %p = "onnx.Slice"(%x, %s, %e, %a, %none) : (tensor<1x4x3xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, none) -> tensor<1x2x3xf32>
  %c = "onnx.Concat"(%p, %p) <{axis = 1 : i64}> : (tensor<1x2x3xf32>, tensor<1x2x3xf32>) -> tensor<1x4x3xf32>
  func.return %c : tensor<1x4x3xf32>
}

// Slices and Concats that ncnn runs as they are stay untouched.
// CHECK-LABEL: func.func @untouched
// CHECK:         %p = "onnx.Slice"(%x,
// CHECK:         %c = "onnx.Concat"(%p, %p)

// -----

// YOLOv5 Focus: x[..., 1::2, ::2] on 4x4 → (2, 2) views of rows and columns, one Crop.
func.func @focus(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32> {
  %s = "onnx.Constant"() <{value = dense<[1, 0]> : tensor<2xi64>}> : () -> tensor<2xi64>
  %e = "onnx.Constant"() <{value = dense<[4, 4]> : tensor<2xi64>}> : () -> tensor<2xi64>
  %a = "onnx.Constant"() <{value = dense<[2, 3]> : tensor<2xi64>}> : () -> tensor<2xi64>
  %t = "onnx.Constant"() <{value = dense<[2, 2]> : tensor<2xi64>}> : () -> tensor<2xi64>
  %y = "onnx.Slice"(%x, %s, %e, %a, %t) : (tensor<1x2x4x4xf32>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>) -> tensor<1x2x2x2xf32>
  func.return %y : tensor<1x2x2x2xf32>
}

// CHECK-LABEL: func.func @focus
// CHECK:         %[[V:.*]] = "onnx.Reshape"(%x, {{.*}} -> tensor<4x2x2x2xf32>
// CHECK:         %[[A:.*]] = "onnx.Slice"(%[[V]], {{.*}} -> tensor<4x1x2x1xf32>
// CHECK:         "onnx.Reshape"(%[[A]], {{.*}} -> tensor<1x2x2x2xf32>
