// RUN: ncc-opt %s -p onnx-expand-to-tile,dce --split-input-file | filecheck %s

// x * mean.expand(...): Mul broadcasts anyway, so the Expand goes; an Expand to the same
// shape goes too.
func.func @broadcast(%x: tensor<1x4x6x6xf32>, %m: tensor<1x1x6x6xf32>) -> tensor<1x4x6x6xf32> {
  %s = "onnx.Constant"() <{value = dense<[1, 4, 6, 6]> : tensor<4xi64>}> : () -> tensor<4xi64>
  %e = "onnx.Expand"(%m, %s) : (tensor<1x1x6x6xf32>, tensor<4xi64>) -> tensor<1x4x6x6xf32>
  %same = "onnx.Expand"(%x, %s) : (tensor<1x4x6x6xf32>, tensor<4xi64>) -> tensor<1x4x6x6xf32>
  %y = "onnx.Mul"(%same, %e) : (tensor<1x4x6x6xf32>, tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32>
  func.return %y : tensor<1x4x6x6xf32>
}

// CHECK-LABEL: func.func @broadcast
// CHECK-NEXT:    %y = "onnx.Mul"(%x, %m) : (tensor<1x4x6x6xf32>, tensor<1x1x6x6xf32>) -> tensor<1x4x6x6xf32>
// CHECK-NEXT:    func.return %y

// -----

// An Expand whose result is used as it is (returned, concatenated) becomes a Tile of the
// input lifted to the output rank.
func.func @tile(%m: tensor<6x1xf32>, %x: tensor<2x3x6x4xf32>) -> (tensor<2x3x6x4xf32>, tensor<2x3x6x8xf32>) {
  %s = "onnx.Constant"() <{value = dense<[2, 3, 6, 4]> : tensor<4xi64>}> : () -> tensor<4xi64>
  %e = "onnx.Expand"(%m, %s) : (tensor<6x1xf32>, tensor<4xi64>) -> tensor<2x3x6x4xf32>
  %c = "onnx.Concat"(%e, %x) <{axis = 3 : i64}> : (tensor<2x3x6x4xf32>, tensor<2x3x6x4xf32>) -> tensor<2x3x6x8xf32>
  func.return %e, %c : tensor<2x3x6x4xf32>, tensor<2x3x6x8xf32>
}

// CHECK-LABEL: func.func @tile
// CHECK:         %[[R:.*]] = "onnx.Reshape"(%m, {{.*}}) <{allowzero = 0 : i64}> : (tensor<6x1xf32>, tensor<4xi64>) -> tensor<1x1x6x1xf32>
// CHECK:         %[[K:.*]] = "onnx.Constant"() <{value = dense<[2, 3, 1, 4]> : tensor<4xi64>}>
// CHECK:         %[[T:.*]] = "onnx.Tile"(%[[R]], %[[K]]) : (tensor<1x1x6x1xf32>, tensor<4xi64>) -> tensor<2x3x6x4xf32>
// CHECK:         "onnx.Concat"(%[[T]], %x)
// CHECK-NOT:     onnx.Expand
