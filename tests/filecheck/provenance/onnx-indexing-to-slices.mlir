// RUN: ncc-opt %s -p onnx-indexing-to-slices --print-debuginfo | filecheck %s

// The Gather's tensor name moves to the value that now computes it (the Concat of slices),
// and every op made for it carries the Gather's node.
func.func @main(%x: tensor<1x6x4xf32>) -> tensor<1x3x4xf32> {
  %i = "onnx.Constant"() <{value = dense<[4, 0, 2]> : tensor<3xi64>}> : () -> tensor<3xi64>
  %g = "onnx.Gather"(%x, %i) <{axis = 1 : i64}> {onnx_outputs = ["picked"]} : (tensor<1x6x4xf32>, tensor<3xi64>) -> tensor<1x3x4xf32> loc("pick")
  %r = "onnx.Relu"(%g) {onnx_outputs = ["y"]} : (tensor<1x3x4xf32>) -> tensor<1x3x4xf32> loc("relu")
  func.return %r : tensor<1x3x4xf32>
}

// CHECK-NOT:  onnx.Gather
// CHECK:      "onnx.Slice"({{.*}}loc("pick")
// CHECK:      %[[C:.*]] = "onnx.Concat"({{.*}}) <{axis = 1 : i64}> {onnx_outputs = ["picked"]} : {{.*}} loc("pick")
// CHECK:      "onnx.Relu"(%[[C]]) {onnx_outputs = ["y"]} {{.*}} loc("relu")
