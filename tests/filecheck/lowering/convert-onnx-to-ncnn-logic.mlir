// RUN: ncc-opt %s -p convert-onnx-to-ncnn --split-input-file | filecheck %s

// A comparison with a constant is a Threshold step (x < k on -x against -k; >= is the
// complement of <); its float cast is the same Mat.
func.func @compare(%x: tensor<1x8xf32>) -> (tensor<1x8xf32>, tensor<1x8xi1>) {
  %k = "onnx.Constant"() <{value = dense<0.25> : tensor<f32>}> : () -> tensor<f32>
  %g = "onnx.Greater"(%x, %k) : (tensor<1x8xf32>, tensor<f32>) -> tensor<1x8xi1>
  %f = "onnx.Cast"(%g) <{to = 1 : i64}> : (tensor<1x8xi1>) -> tensor<1x8xf32>
  %ge = "onnx.GreaterOrEqual"(%x, %k) : (tensor<1x8xf32>, tensor<f32>) -> tensor<1x8xi1>
  func.return %f, %ge : tensor<1x8xf32>, tensor<1x8xi1>
}

// CHECK:      "ncnn.Threshold"(%x) <{params = {threshold = 2.500000e-01 : f32}{{.*}} -> tensor<1x8xf32>
// CHECK-NEXT: %[[N:.*]] = "ncnn.UnaryOp"(%x) <{params = {op_type = 1 : i32}
// CHECK-NEXT: %[[T:.*]] = "ncnn.Threshold"(%[[N]]) <{params = {threshold = -2.500000e-01 : f32}
// CHECK-NEXT: "ncnn.BinaryOp"(%[[T]]) <{params = {op_type = 7 : i32, with_scalar = 1 : i32, b = 1.000000e+00 : f32}{{.*}} -> tensor<1x8xi1>

// -----

// Where on a run-time mask: S = ((m - 0.5) * 2^100) * 2^100 is +inf where m and -inf
// elsewhere, and where(m, x, y) = max(min(x, S), min(y, -S)): no 0 * inf, so infinite
// branches stay exact.
func.func @where(%x: tensor<1x8xf32>, %y: tensor<1x8xf32>, %m: tensor<1x8xi1>) -> tensor<1x8xf32> {
  %w = "onnx.Where"(%m, %x, %y) : (tensor<1x8xi1>, tensor<1x8xf32>, tensor<1x8xf32>) -> tensor<1x8xf32>
  func.return %w : tensor<1x8xf32>
}

// CHECK:      %[[H:.*]] = "ncnn.BinaryOp"(%m) <{params = {op_type = 1 : i32, with_scalar = 1 : i32, b = 5.000000e-01 : f32}
// CHECK-NEXT: %[[A:.*]] = "ncnn.BinaryOp"(%[[H]]) <{params = {op_type = 2 : i32, with_scalar = 1 : i32, b = 1.2676506e+30 : f32}
// CHECK-NEXT: %[[S:.*]] = "ncnn.BinaryOp"(%[[A]]) <{params = {op_type = 2 : i32, with_scalar = 1 : i32, b = 1.2676506e+30 : f32}
// CHECK-NEXT: %[[NS:.*]] = "ncnn.UnaryOp"(%[[S]]) <{params = {op_type = 1 : i32}
// CHECK-NEXT: %[[P:.*]] = "ncnn.BinaryOp"(%x, %[[S]]) <{params = {op_type = 5 : i32}
// CHECK-NEXT: %[[Q:.*]] = "ncnn.BinaryOp"(%y, %[[NS]]) <{params = {op_type = 5 : i32}
// CHECK-NEXT: %[[R:.*]] = "ncnn.BinaryOp"(%[[P]], %[[Q]]) <{params = {op_type = 4 : i32}
// CHECK-NEXT: func.return %[[R]]
