// RUN: ncc-opt %s -p onnx-fold-constants | filecheck %s

func.func @main(%x: tensor<1x4xf32>) -> tensor<2xi64> {
  %a = "onnx.Constant"() <{value = dense<[3, 4]> : tensor<2xi64>}> : () -> tensor<2xi64>
  %b = "onnx.Constant"() <{value = dense<[1, 2]> : tensor<2xi64>}> : () -> tensor<2xi64>
  %s = "onnx.Mul"(%a, %b) : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
  %t = "onnx.Sub"(%s, %b) : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
  func.return %t : tensor<2xi64>
}

// The chain folds to one constant: (3*1-1, 4*2-2) = (2, 6).
// CHECK: "onnx.Constant"() <{value = dense<[2, 6]> : tensor<2xi64>}>
// CHECK-NOT: onnx.Mul
// CHECK-NOT: onnx.Sub
