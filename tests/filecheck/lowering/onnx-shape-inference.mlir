// RUN: ncc-opt %s -p onnx-shape-inference | filecheck %s

func.func @main(%x: tensor<1x3x8x8xf32>, %y: tensor<3x1x1xf32>) -> tensor<*xf32> {
  %a = "onnx.Add"(%x, %y) : (tensor<1x3x8x8xf32>, tensor<3x1x1xf32>) -> tensor<*xf32>
  %r = "onnx.Relu"(%a) : (tensor<*xf32>) -> tensor<*xf32>
  %c = "onnx.Cast"(%r) <{to = 7 : i64}> : (tensor<*xf32>) -> tensor<*xf32>
  %e = "onnx.Equal"(%c, %c) : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  func.return %r : tensor<*xf32>
}

// CHECK:      func.func @main(%{{.*}}: tensor<1x3x8x8xf32>, %{{.*}}: tensor<3x1x1xf32>) -> tensor<1x3x8x8xf32>
// CHECK-NEXT:   "onnx.Add"{{.*}} -> tensor<1x3x8x8xf32>
// CHECK-NEXT:   "onnx.Relu"{{.*}} -> tensor<1x3x8x8xf32>
// CHECK-NEXT:   "onnx.Cast"{{.*}} -> tensor<1x3x8x8xi64>
// CHECK-NEXT:   "onnx.Equal"{{.*}} -> tensor<1x3x8x8xi1>
