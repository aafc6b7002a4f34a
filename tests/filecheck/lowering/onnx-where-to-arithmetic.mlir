// RUN: ncc-opt %s -p onnx-where-to-arithmetic --split-input-file | filecheck %s

// masked_fill(x < 0, 0.) as the TorchScript exporter writes it (with a no-op Cast): ReLU.
func.func @masked_fill(%x: tensor<1x4x6xf32>) -> tensor<1x4x6xf32> {
  %z = "onnx.Constant"() <{value = dense<0.0> : tensor<f32>}> : () -> tensor<f32>
  %c = "onnx.Less"(%x, %z) : (tensor<1x4x6xf32>, tensor<f32>) -> tensor<1x4x6xi1>
  %b = "onnx.Cast"(%c) <{to = 9 : i64}> : (tensor<1x4x6xi1>) -> tensor<1x4x6xi1>
  %y = "onnx.Where"(%b, %z, %x) : (tensor<1x4x6xi1>, tensor<f32>, tensor<1x4x6xf32>) -> tensor<1x4x6xf32>
  func.return %y : tensor<1x4x6xf32>
}

// CHECK-LABEL: func.func @masked_fill
// CHECK:         %[[R:.*]] = "onnx.Relu"(%x)
// CHECK-NOT:     onnx.Where
// CHECK:         func.return %[[R]]

// -----

// torch.where(x > 0, x, 0.1 * x): LeakyReLU(0.1).
func.func @leaky(%x: tensor<1x4x6xf32>) -> tensor<1x4x6xf32> {
  %z = "onnx.Constant"() <{value = dense<0.0> : tensor<f32>}> : () -> tensor<f32>
  %a = "onnx.Constant"() <{value = dense<0.1> : tensor<f32>}> : () -> tensor<f32>
  %c = "onnx.Greater"(%x, %z) : (tensor<1x4x6xf32>, tensor<f32>) -> tensor<1x4x6xi1>
  %m = "onnx.Mul"(%x, %a) : (tensor<1x4x6xf32>, tensor<f32>) -> tensor<1x4x6xf32>
  %y = "onnx.Where"(%c, %x, %m) : (tensor<1x4x6xi1>, tensor<1x4x6xf32>, tensor<1x4x6xf32>) -> tensor<1x4x6xf32>
  func.return %y : tensor<1x4x6xf32>
}

// CHECK-LABEL: func.func @leaky
// CHECK:         %[[R:.*]] = "onnx.LeakyRelu"(%x) <{alpha = 1.000000e-01 : f32}>
// CHECK-NOT:     onnx.Where
// CHECK:         func.return %[[R]]

// -----

// where(x >= 1, x, 1) = max(x, 1): Clip(min 1); where(2 > x, x, 2) = min(x, 2): Clip(max 2);
// not(x <= -1) chooses like x > -1.
func.func @clip(%x: tensor<1x8xf32>) -> (tensor<1x8xf32>, tensor<1x8xf32>, tensor<1x8xf32>) {
  %one = "onnx.Constant"() <{value = dense<1.0> : tensor<f32>}> : () -> tensor<f32>
  %two = "onnx.Constant"() <{value = dense<2.0> : tensor<f32>}> : () -> tensor<f32>
  %m1 = "onnx.Constant"() <{value = dense<-1.0> : tensor<f32>}> : () -> tensor<f32>
  %c1 = "onnx.GreaterOrEqual"(%x, %one) : (tensor<1x8xf32>, tensor<f32>) -> tensor<1x8xi1>
  %y1 = "onnx.Where"(%c1, %x, %one) : (tensor<1x8xi1>, tensor<1x8xf32>, tensor<f32>) -> tensor<1x8xf32>
  %c2 = "onnx.Greater"(%two, %x) : (tensor<f32>, tensor<1x8xf32>) -> tensor<1x8xi1>
  %y2 = "onnx.Where"(%c2, %x, %two) : (tensor<1x8xi1>, tensor<1x8xf32>, tensor<f32>) -> tensor<1x8xf32>
  %c3 = "onnx.LessOrEqual"(%x, %m1) : (tensor<1x8xf32>, tensor<f32>) -> tensor<1x8xi1>
  %n3 = "onnx.Not"(%c3) : (tensor<1x8xi1>) -> tensor<1x8xi1>
  %y3 = "onnx.Where"(%n3, %x, %m1) : (tensor<1x8xi1>, tensor<1x8xf32>, tensor<f32>) -> tensor<1x8xf32>
  func.return %y1, %y2, %y3 : tensor<1x8xf32>, tensor<1x8xf32>, tensor<1x8xf32>
}

// CHECK-LABEL: func.func @clip
// CHECK:         %[[LO:.*]] = "onnx.Constant"() <{value = #ncc.blob<"min{{.*}}">}>
// CHECK:         %[[N:.*]] = "onnx.NoValue"()
// CHECK:         %[[A:.*]] = "onnx.Clip"(%x, %[[LO]], %[[N]])
// CHECK:         %[[N2:.*]] = "onnx.NoValue"()
// CHECK:         %[[HI:.*]] = "onnx.Constant"() <{value = #ncc.blob<"max{{.*}}">}>
// CHECK:         %[[B:.*]] = "onnx.Clip"(%x, %[[N2]], %[[HI]])
// CHECK:         %[[C:.*]] = "onnx.Clip"(%x,
// CHECK-NOT:     onnx.Where
// CHECK:         func.return %[[A]], %[[B]], %[[C]]

// -----

// A checkerboard mask has no few-rectangle form: max(min(x, S), min(y, −S)) with the
// constant S = ±inf; a constant branch folds into a constant term (a −inf branch, which IR
// text cannot write, would leave min(x, S) alone: tests/e2e/test_ops.py ConstMaskFill).
func.func @checkerboard(%x: tensor<1x4x4xf32>, %y: tensor<1x4x4xf32>) -> (tensor<1x4x4xf32>, tensor<1x4x4xf32>) {
  %c = "onnx.Constant"() <{value = dense<[[[true, false, true, false], [false, true, false, true], [true, false, true, false], [false, true, false, true]]]> : tensor<1x4x4xi1>}> : () -> tensor<1x4x4xi1>
  %w = "onnx.Where"(%c, %x, %y) : (tensor<1x4x4xi1>, tensor<1x4x4xf32>, tensor<1x4x4xf32>) -> tensor<1x4x4xf32>
  %k = "onnx.Constant"() <{value = dense<-1.0e+04> : tensor<f32>}> : () -> tensor<f32>
  %v = "onnx.Where"(%c, %x, %k) : (tensor<1x4x4xi1>, tensor<1x4x4xf32>, tensor<f32>) -> tensor<1x4x4xf32>
  func.return %w, %v : tensor<1x4x4xf32>, tensor<1x4x4xf32>
}

// CHECK-LABEL: func.func @checkerboard
// CHECK:         %[[MX:.*]] = "onnx.Min"(%x,
// CHECK:         %[[MY:.*]] = "onnx.Min"(%y,
// CHECK:         %[[W:.*]] = "onnx.Max"(%[[MX]], %[[MY]])
// CHECK:         %[[MV:.*]] = "onnx.Min"(%x,
// CHECK:         %[[K:.*]] = "onnx.Constant"() <{value = #ncc.blob<"where
// CHECK:         %[[V:.*]] = "onnx.Max"(%[[MV]], %[[K]])
// CHECK-NOT:     onnx.Where
// CHECK:         func.return %[[W]], %[[V]]

// -----

// A mask of two rectangles is left for onnx-indexing-to-slices; a condition on data with no
// activation form (where(x > 0, 1, 0)) is left for convert-onnx-to-ncnn's run-time select.
func.func @left(%x: tensor<1x4x4xf32>, %y: tensor<1x4x4xf32>) -> (tensor<1x4x4xf32>, tensor<1x4x4xf32>) {
  %c = "onnx.Constant"() <{value = dense<[[[true], [true], [false], [false]]]> : tensor<1x4x1xi1>}> : () -> tensor<1x4x1xi1>
  %w = "onnx.Where"(%c, %x, %y) : (tensor<1x4x1xi1>, tensor<1x4x4xf32>, tensor<1x4x4xf32>) -> tensor<1x4x4xf32>
  %z = "onnx.Constant"() <{value = dense<0.0> : tensor<f32>}> : () -> tensor<f32>
  %o = "onnx.Constant"() <{value = dense<1.0> : tensor<f32>}> : () -> tensor<f32>
  %g = "onnx.Greater"(%x, %z) : (tensor<1x4x4xf32>, tensor<f32>) -> tensor<1x4x4xi1>
  %s = "onnx.Where"(%g, %o, %z) : (tensor<1x4x4xi1>, tensor<f32>, tensor<f32>) -> tensor<1x4x4xf32>
  func.return %w, %s : tensor<1x4x4xf32>, tensor<1x4x4xf32>
}

// CHECK-LABEL: func.func @left
// CHECK:         %w = "onnx.Where"(%c, %x, %y)
// CHECK:         %s = "onnx.Where"(%g, %o, %z)

// -----

// torch's hardshrink (dynamo: where(|x| <= λ, 0, x)) and softshrink (where(|x| > λ,
// x - sign(x)·λ, x·0)): one Shrink each.
func.func @shrink(%x: tensor<1x8xf32>) -> (tensor<1x8xf32>, tensor<1x8xf32>) {
  %l = "onnx.Constant"() <{value = dense<0.5> : tensor<f32>}> : () -> tensor<f32>
  %z = "onnx.Constant"() <{value = dense<0.0> : tensor<f32>}> : () -> tensor<f32>
  %a = "onnx.Abs"(%x) : (tensor<1x8xf32>) -> tensor<1x8xf32>
  %le = "onnx.LessOrEqual"(%a, %l) : (tensor<1x8xf32>, tensor<f32>) -> tensor<1x8xi1>
  %h = "onnx.Where"(%le, %z, %x) : (tensor<1x8xi1>, tensor<f32>, tensor<1x8xf32>) -> tensor<1x8xf32>
  %gt = "onnx.Greater"(%a, %l) : (tensor<1x8xf32>, tensor<f32>) -> tensor<1x8xi1>
  %s = "onnx.Sign"(%x) : (tensor<1x8xf32>) -> tensor<1x8xf32>
  %sl = "onnx.Mul"(%s, %l) : (tensor<1x8xf32>, tensor<f32>) -> tensor<1x8xf32>
  %d = "onnx.Sub"(%x, %sl) : (tensor<1x8xf32>, tensor<1x8xf32>) -> tensor<1x8xf32>
  %x0 = "onnx.Mul"(%x, %z) : (tensor<1x8xf32>, tensor<f32>) -> tensor<1x8xf32>
  %w = "onnx.Where"(%gt, %d, %x0) : (tensor<1x8xi1>, tensor<1x8xf32>, tensor<1x8xf32>) -> tensor<1x8xf32>
  func.return %h, %w : tensor<1x8xf32>, tensor<1x8xf32>
}

// CHECK-LABEL: func.func @shrink
// CHECK:         %[[H:.*]] = "onnx.Shrink"(%x) <{bias = 0.000000e+00 : f32, lambd = 5.000000e-01 : f32}>
// CHECK:         %[[W:.*]] = "onnx.Shrink"(%x) <{bias = 5.000000e-01 : f32, lambd = 5.000000e-01 : f32}>
// CHECK-NOT:     onnx.Where
// CHECK:         func.return %[[H]], %[[W]]
