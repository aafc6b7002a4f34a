// RUN: ncc-opt %s --verify-diagnostics --split-input-file | filecheck %s

// Each onnx op's verifier checks its result type against its own shape rule.
func.func @add(%a: tensor<1x3xf32>, %b: tensor<1x3xf32>) -> tensor<5x5xf32> {
  %0 = "onnx.Add"(%a, %b) : (tensor<1x3xf32>, tensor<1x3xf32>) -> tensor<5x5xf32>
  func.return %0 : tensor<5x5xf32>
}

// CHECK: onnx.Add: result 0 has type tensor<5x5xf32>, but its shape rule gives tensor<1x3xf32>

// -----

// A less-known result (dynamic dims) is fine: shape inference refines it.
func.func @dynamic(%a: tensor<1x3xf32>, %b: tensor<1x3xf32>) -> tensor<?x3xf32> {
  %0 = "onnx.Add"(%a, %b) : (tensor<1x3xf32>, tensor<1x3xf32>) -> tensor<?x3xf32>
  func.return %0 : tensor<?x3xf32>
}

// CHECK: "onnx.Add"(%a, %b) : (tensor<1x3xf32>, tensor<1x3xf32>) -> tensor<?x3xf32>

// -----

func.func @transpose(%a: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = "onnx.Transpose"(%a) <{perm = array<i64: 1, 0>}> : (tensor<2x3xf32>) -> tensor<2x3xf32>
  func.return %0 : tensor<2x3xf32>
}

// CHECK: onnx.Transpose: result 0 has type tensor<2x3xf32>, but its shape rule gives tensor<3x2xf32>
