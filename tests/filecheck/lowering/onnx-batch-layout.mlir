// RUN: ncc-opt %s -p onnx-batch-layout --split-input-file | filecheck %s
// RUN: ncc-opt %s -p 'onnx-batch-layout{strategy=conv3d}' --split-input-file | filecheck %s --check-prefix=C3D
// RUN: ncc-opt %s -p 'onnx-batch-layout{strategy=batch-axis}' --split-input-file | filecheck %s --check-prefix=BAX
// RUN: not ncc-opt %s -p 'onnx-batch-layout{strategy=diagonal}' 2>&1 | filecheck %s --check-prefix=BAD

// A conv over 5 frames stacked on the batch axis.
// grouped: one grouped conv over (1, 5·3, H, W) with the weight repeated 5 times.
// conv3d: a (1, C, 5, H, W) view and a depth-1 3-D conv with the same weight.
func.func @conv(%x: tensor<5x3x8x8xf32>) -> tensor<5x4x8x8xf32> {
  %w = "onnx.Constant"() <{value = #ncc.blob<"w">}> : () -> tensor<4x3x3x3xf32>
  %b = "onnx.Constant"() <{value = #ncc.blob<"b">}> : () -> tensor<4xf32>
  %y = "onnx.Conv"(%x, %w, %b) <{group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, kernel_shape = array<i64: 3, 3>}> : (tensor<5x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<5x4x8x8xf32>
  func.return %y : tensor<5x4x8x8xf32>
}

// CHECK:      "onnx.Reshape"(%{{.*}}, %{{.*}}) <{allowzero = 0 : i64}> : (tensor<5x3x8x8xf32>, tensor<4xi64>) -> tensor<1x15x8x8xf32>
// CHECK:      "onnx.Conv"(%{{.*}}, %{{.*}}, %{{.*}}) <{group = 5 : i64, {{.*}}}> : (tensor<1x15x8x8xf32>, tensor<20x3x3x3xf32>, tensor<20xf32>) -> tensor<1x20x8x8xf32>
// CHECK:      "onnx.Reshape"(%{{.*}}, %{{.*}}) <{allowzero = 0 : i64}> : (tensor<1x20x8x8xf32>, tensor<4xi64>) -> tensor<5x4x8x8xf32>

// C3D:      "onnx.Transpose"(%{{.*}}) <{perm = array<i64: 1, 0, 2, 3>}> : (tensor<5x3x8x8xf32>) -> tensor<3x5x8x8xf32>
// C3D:      "onnx.Reshape"({{.*}}) -> tensor<1x3x5x8x8xf32>
// C3D:      "onnx.Conv"({{.*}}) <{{{.*}}pads = array<i64: 0, 1, 1, 0, 1, 1>, kernel_shape = array<i64: 1, 3, 3>{{.*}}}> : (tensor<1x3x5x8x8xf32>, tensor<4x3x1x3x3xf32>, tensor<4xf32>) -> tensor<1x4x5x8x8xf32>
// C3D:      "onnx.Reshape"({{.*}}) -> tensor<4x5x8x8xf32>
// C3D:      "onnx.Transpose"(%{{.*}}) <{perm = array<i64: 1, 0, 2, 3>}> : (tensor<4x5x8x8xf32>) -> tensor<5x4x8x8xf32>

// batch-axis: the conv runs per frame (1, 3, 8, 8) between two moves of the batch axis.
// BAX:      %[[F:.*]] = "layout.dim_to_batch"(%{{.*}}) <{batch = 5 : i64}> : (tensor<5x3x8x8xf32>) -> tensor<1x3x8x8xf32>
// BAX-NEXT: %[[Y:.*]] = "onnx.Conv"(%[[F]], %{{.*}}, %{{.*}}) {{.*}} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32>
// BAX-NEXT: "layout.batch_to_dim"(%[[Y]]) <{batch = 5 : i64}> : (tensor<1x4x8x8xf32>) -> tensor<5x4x8x8xf32>

// BAD: error: unknown batch strategy 'diagonal' (choose from grouped, conv3d, batch-axis)

// -----

// Per-channel BatchNorm parameters are tiled per frame; a batch of 1 is left alone.
func.func @bn(%x: tensor<2x3x4x4xf32>, %one: tensor<1x3x4x4xf32>) -> (tensor<2x3x4x4xf32>, tensor<1x3x2x2xf32>) {
  %s = "onnx.Constant"() <{value = #ncc.blob<"s">}> : () -> tensor<3xf32>
  %y = "onnx.BatchNormalization"(%x, %s, %s, %s, %s) <{epsilon = 1.0e-05 : f32}> : (tensor<2x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<2x3x4x4xf32>
  %p = "onnx.MaxPool"(%one) <{kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>}> : (tensor<1x3x4x4xf32>) -> tensor<1x3x2x2xf32>
  func.return %y, %p : tensor<2x3x4x4xf32>, tensor<1x3x2x2xf32>
}

// CHECK-LABEL: func.func @bn
// CHECK:       "onnx.BatchNormalization"({{.*}}) <{epsilon = {{.*}}}> : (tensor<1x6x4x4xf32>, tensor<6xf32>, tensor<6xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<1x6x4x4xf32>
// CHECK:       "onnx.MaxPool"(%{{.*}}) {{.*}} : (tensor<1x3x4x4xf32>) -> tensor<1x3x2x2xf32>

// -----

// batch-axis: the moves are pushed through per-frame ops and cancel; a per-frame flatten and
// Gemm stay inside, so only the graph's end moves the frames back.
func.func @chain(%x: tensor<5x3x8x8xf32>) -> tensor<5x2xf32> {
  %w = "onnx.Constant"() <{value = #ncc.blob<"w">}> : () -> tensor<4x3x3x3xf32>
  %b = "onnx.Constant"() <{value = #ncc.blob<"b">}> : () -> tensor<4xf32>
  %fc = "onnx.Constant"() <{value = #ncc.blob<"fc">}> : () -> tensor<2x256xf32>
  %none = "onnx.NoValue"() : () -> none
  %y = "onnx.Conv"(%x, %w, %b) <{group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, kernel_shape = array<i64: 3, 3>}> : (tensor<5x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<5x4x8x8xf32>
  %t = "onnx.Tanh"(%y) : (tensor<5x4x8x8xf32>) -> tensor<5x4x8x8xf32>
  %p = "onnx.MaxPool"(%t) <{kernel_shape = array<i64: 1, 1>}> : (tensor<5x4x8x8xf32>) -> tensor<5x4x8x8xf32>
  %f = "onnx.Flatten"(%p) <{axis = 1 : i64}> : (tensor<5x4x8x8xf32>) -> tensor<5x256xf32>
  %g = "onnx.Gemm"(%f, %fc, %none) <{transB = 1 : i64}> : (tensor<5x256xf32>, tensor<2x256xf32>, none) -> tensor<5x2xf32>
  func.return %g : tensor<5x2xf32>
}

// BAX-LABEL: func.func @chain
// BAX:       "layout.dim_to_batch"
// BAX-NOT:   "layout.
// BAX:       "onnx.Gemm"({{.*}}) -> tensor<1x2xf32>
// BAX-NEXT:  "layout.batch_to_dim"({{.*}}) <{batch = 5 : i64}> : (tensor<1x2xf32>) -> tensor<5x2xf32>
