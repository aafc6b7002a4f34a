// RUN: not ncc-opt %s -p onnx-indexing-to-slices 2>&1 | filecheck %s

// What would take too many slices is an error naming the node, the op, its steps and the
// input dims (a step-2 slice of an odd length is single slices: 600 of them).
// CHECK: ncc-opt: error: node 'strided' (Slice): Slice with steps [1, 1, 2] on [1, 1, 1199] would take 601 Slice/Concat ops

func.func @too_many(%x: tensor<1x1x1199xf32>) -> tensor<1x1x600xf32> {
  %s = "onnx.Constant"() <{value = dense<0> : tensor<1xi64>}> : () -> tensor<1xi64>
  %e = "onnx.Constant"() <{value = dense<1199> : tensor<1xi64>}> : () -> tensor<1xi64>
  %a = "onnx.Constant"() <{value = dense<2> : tensor<1xi64>}> : () -> tensor<1xi64>
  %t = "onnx.Constant"() <{value = dense<2> : tensor<1xi64>}> : () -> tensor<1xi64>
  %y = "onnx.Slice"(%x, %s, %e, %a, %t) {onnx_node = "strided"} : (tensor<1x1x1199xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x1x600xf32>
  func.return %y : tensor<1x1x600xf32>
}
