// RUN: ncc-opt %s -p onnx-layout-assign,onnx-simplify,cse --split-input-file | filecheck %s
// RUN: ncc-opt %s -p onnx-layout-assign,onnx-simplify,cse,convert-onnx-to-ncnn --split-input-file | filecheck %s --check-prefix=NCNN

// Merged axes: a Concat along axis 2 of rank-6 tensors tells apart only axis 2, so the axes
// before it and after it merge: (20, 8|1, 6·6·3), one Concat on the middle Mat axis.
func.func @merged(%x: tensor<1x20x8x6x6x3xf32>, %y: tensor<1x20x1x6x6x3xf32>) -> tensor<1x20x9x6x6x3xf32> {
  %c = "onnx.Concat"(%x, %y) <{axis = 2 : i64}> : (tensor<1x20x8x6x6x3xf32>, tensor<1x20x1x6x6x3xf32>) -> tensor<1x20x9x6x6x3xf32>
  func.return %c : tensor<1x20x9x6x6x3xf32>
}

// CHECK-LABEL: func.func @merged
// CHECK:       "onnx.Reshape"(%x, %{{.*}}) <{allowzero = 0 : i64}> : (tensor<1x20x8x6x6x3xf32>, tensor<3xi64>) -> tensor<20x8x108xf32>
// CHECK:       "onnx.Reshape"(%y, %{{.*}}) <{allowzero = 0 : i64}> : (tensor<1x20x1x6x6x3xf32>, tensor<3xi64>) -> tensor<20x1x108xf32>
// CHECK:       "onnx.Concat"(%{{.*}}, %{{.*}}) <{axis = 1 : i64}> : (tensor<20x8x108xf32>, tensor<20x1x108xf32>) -> tensor<20x9x108xf32>
// CHECK:       "onnx.Reshape"({{.*}}) -> tensor<1x20x9x6x6x3xf32>
// NCNN-LABEL:  func.func @merged
// NCNN:        "ncnn.Concat"({{.*}}) <{params = {axis = 1 : i32}{{.*}}}> {{.*}} -> tensor<20x9x108xf32>

// -----

// Batch axis: a Softmax along axis 0 of a (2, …) tensor keeps the batch as its own Mat axis.
func.func @batch(%x: tensor<2x3x4x5x6xf32>) -> tensor<2x3x4x5x6xf32> {
  %s = "onnx.Softmax"(%x) <{axis = 0 : i64}> : (tensor<2x3x4x5x6xf32>) -> tensor<2x3x4x5x6xf32>
  func.return %s : tensor<2x3x4x5x6xf32>
}

// CHECK-LABEL: func.func @batch
// CHECK:       "onnx.Reshape"(%x, %{{.*}}) <{allowzero = 0 : i64}> : (tensor<2x3x4x5x6xf32>, tensor<2xi64>) -> tensor<2x360xf32>
// CHECK:       "onnx.Softmax"(%{{.*}}) <{axis = 0 : i64}> : (tensor<2x360xf32>) -> tensor<2x360xf32>
// CHECK:       "onnx.Reshape"({{.*}}) -> tensor<2x3x4x5x6xf32>

// -----

// Unrolling: a 3-D conv over a batch of 2 (ncnn's Convolution3D has no groups to fold the
// batch into) runs once per item: Slice → Conv on (1, …) → Concat along the batch.
func.func @unroll(%x: tensor<2x3x4x8x8xf32>) -> tensor<2x4x4x8x8xf32> {
  %w = "onnx.Constant"() <{value = #ncc.blob<"w">}> : () -> tensor<4x3x3x3x3xf32>
  %b = "onnx.Constant"() <{value = #ncc.blob<"b">}> : () -> tensor<4xf32>
  %y = "onnx.Conv"(%x, %w, %b) <{group = 1 : i64, pads = array<i64: 1, 1, 1, 1, 1, 1>, kernel_shape = array<i64: 3, 3, 3>}> : (tensor<2x3x4x8x8xf32>, tensor<4x3x3x3x3xf32>, tensor<4xf32>) -> tensor<2x4x4x8x8xf32>
  func.return %y : tensor<2x4x4x8x8xf32>
}

// CHECK-LABEL: func.func @unroll
// CHECK:       %[[ROWS:.*]] = "onnx.Reshape"(%x, %{{.*}}) <{allowzero = 0 : i64}> : (tensor<2x3x4x8x8xf32>, tensor<2xi64>) -> tensor<2x768xf32>
// CHECK:       "onnx.Slice"(%[[ROWS]], {{.*}}) -> tensor<1x768xf32>
// CHECK:       "onnx.Conv"({{.*}}) <{{.*}}> : (tensor<1x3x4x8x8xf32>, tensor<4x3x3x3x3xf32>, tensor<4xf32>) -> tensor<1x4x4x8x8xf32>
// CHECK:       "onnx.Slice"(%[[ROWS]], {{.*}}) -> tensor<1x768xf32>
// CHECK:       "onnx.Conv"({{.*}}) <{{.*}}> : (tensor<1x3x4x8x8xf32>, tensor<4x3x3x3x3xf32>, tensor<4xf32>) -> tensor<1x4x4x8x8xf32>
// CHECK:       "onnx.Concat"({{.*}}) <{axis = 0 : i64}> : (tensor<1x1024xf32>, tensor<1x1024xf32>) -> tensor<2x1024xf32>
// CHECK:       "onnx.Reshape"({{.*}}) -> tensor<2x4x4x8x8xf32>
// NCNN-LABEL:  func.func @unroll
// NCNN-COUNT-2: "ncnn.Convolution3D"

// -----

// Move cancellation: two elementwise ops on a rank-6 tensor share one grouping, so the
// Reshape out of the first and into the second cancel: one Reshape in, one out.
func.func @cancel(%x: tensor<1x2x3x4x5x6xf32>) -> tensor<1x2x3x4x5x6xf32> {
  %a = "onnx.Sigmoid"(%x) : (tensor<1x2x3x4x5x6xf32>) -> tensor<1x2x3x4x5x6xf32>
  %b = "onnx.Mul"(%a, %x) : (tensor<1x2x3x4x5x6xf32>, tensor<1x2x3x4x5x6xf32>) -> tensor<1x2x3x4x5x6xf32>
  func.return %b : tensor<1x2x3x4x5x6xf32>
}

// CHECK-LABEL: func.func @cancel
// CHECK:       %[[M:.*]] = "onnx.Reshape"(%x, %{{.*}}) <{allowzero = 0 : i64}> : (tensor<1x2x3x4x5x6xf32>, tensor<1xi64>) -> tensor<720xf32>
// CHECK-NEXT:  %[[S:.*]] = "onnx.Sigmoid"(%[[M]]) : (tensor<720xf32>) -> tensor<720xf32>
// CHECK-NEXT:  %[[P:.*]] = "onnx.Mul"(%[[S]], %[[M]]) : (tensor<720xf32>, tensor<720xf32>) -> tensor<720xf32>
// CHECK-NOT:   "onnx.Reshape"(%x
// CHECK:       "onnx.Reshape"(%[[P]], %{{.*}}) <{allowzero = 0 : i64}> : (tensor<720xf32>, tensor<6xi64>) -> tensor<1x2x3x4x5x6xf32>

// -----

// Two constraints disagree: the Softmax needs axis 2 apart, the Transpose swaps the last two
// axes. Each gets its own grouping; only the Transpose moves data (exactly one Permute), the
// change of grouping between them is a Reshape.
func.func @disagree(%x: tensor<1x2x3x4x5x6xf32>) -> tensor<1x2x3x4x6x5xf32> {
  %s = "onnx.Softmax"(%x) <{axis = 2 : i64}> : (tensor<1x2x3x4x5x6xf32>) -> tensor<1x2x3x4x5x6xf32>
  %t = "onnx.Transpose"(%s) <{perm = array<i64: 0, 1, 2, 3, 5, 4>}> : (tensor<1x2x3x4x5x6xf32>) -> tensor<1x2x3x4x6x5xf32>
  func.return %t : tensor<1x2x3x4x6x5xf32>
}

// CHECK-LABEL: func.func @disagree
// CHECK:       "onnx.Softmax"(%{{.*}}) <{axis = 1 : i64}> : (tensor<2x3x120xf32>) -> tensor<2x3x120xf32>
// CHECK:       "onnx.Reshape"({{.*}}) <{allowzero = 0 : i64}> : (tensor<2x3x120xf32>, tensor<3xi64>) -> tensor<24x5x6xf32>
// CHECK:       "onnx.Transpose"(%{{.*}}) <{perm = array<i64: 0, 2, 1>}> : (tensor<24x5x6xf32>) -> tensor<24x6x5xf32>
// NCNN-LABEL:  func.func @disagree
// NCNN-COUNT-1: "ncnn.Permute"
// NCNN-NOT:    "ncnn.Permute"
// NCNN:        func.return

// -----

// A rank-5 transpose that leaves five groups is split into two that each fit a Mat.
func.func @reverse(%x: tensor<2x3x4x5x6xf32>) -> tensor<6x5x4x3x2xf32> {
  %t = "onnx.Transpose"(%x) <{perm = array<i64: 4, 3, 2, 1, 0>}> : (tensor<2x3x4x5x6xf32>) -> tensor<6x5x4x3x2xf32>
  func.return %t : tensor<6x5x4x3x2xf32>
}

// CHECK-LABEL: func.func @reverse
// CHECK-COUNT-2: "onnx.Transpose"
// CHECK-NOT:   "onnx.Transpose"
// NCNN-LABEL:  func.func @reverse
// NCNN-COUNT-2: "ncnn.Permute"
// NCNN-NOT:    "ncnn.Permute"
// NCNN:        func.return
