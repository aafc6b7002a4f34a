// RUN: ncc-opt %s -p onnx-canonicalize | filecheck %s

// The Erf form of GELU that torch exports becomes one onnx.Gelu; Identity disappears.
func.func @main(%x: tensor<1x16x64xf32>) -> tensor<1x16x64xf32> {
  %sqrt2 = "onnx.Constant"() <{value = dense<1.41421354> : tensor<f32>}> : () -> tensor<f32>
  %one = "onnx.Constant"() <{value = dense<1.0> : tensor<f32>}> : () -> tensor<f32>
  %half = "onnx.Constant"() <{value = dense<0.5> : tensor<f32>}> : () -> tensor<f32>
  %i = "onnx.Identity"(%x) : (tensor<1x16x64xf32>) -> tensor<1x16x64xf32>
  %d = "onnx.Div"(%i, %sqrt2) : (tensor<1x16x64xf32>, tensor<f32>) -> tensor<1x16x64xf32>
  %e = "onnx.Erf"(%d) : (tensor<1x16x64xf32>) -> tensor<1x16x64xf32>
  %a = "onnx.Add"(%e, %one) : (tensor<1x16x64xf32>, tensor<f32>) -> tensor<1x16x64xf32>
  %m = "onnx.Mul"(%i, %a) : (tensor<1x16x64xf32>, tensor<1x16x64xf32>) -> tensor<1x16x64xf32>
  %y = "onnx.Mul"(%m, %half) : (tensor<1x16x64xf32>, tensor<f32>) -> tensor<1x16x64xf32>
  func.return %y : tensor<1x16x64xf32>
}

// CHECK:      func.func @main(%[[X:.*]]: tensor<1x16x64xf32>)
// CHECK-NEXT:   %[[G:.*]] = "onnx.Gelu"(%[[X]]) <{approximate = "none"}>
// CHECK-NEXT:   func.return %[[G]]
