// RUN: awk -v RS='// -----\n' 'NR==1' %s | not ncc-opt --disable-verify -p ncnn-legalize 2>&1 | filecheck %s --check-prefix=MATMUL
// RUN: awk -v RS='// -----\n' 'NR==2' %s | not ncc-opt --disable-verify -p ncnn-legalize 2>&1 | filecheck %s --check-prefix=RESHAPE
// RUN: awk -v RS='// -----\n' 'NR==3' %s | ncc-opt -p ncnn-legalize | filecheck %s --check-prefix=OK

// A layer whose result type's Mat is not the Mat ncnn computes from its inputs is a placement
// bug in ncc: the compile stops, naming the layer, its node, and both Mats.
// (--disable-verify: the layer's verifier checks the same rule; `ncc compile` does not run
// the verifier, so ncnn-legalize is what stops a compile.)
// Here ncnn's MatMul multiplies a (4, 1) Mat by a 1-D (5) Mat (the [1, 5] operand lost its
// leading 1): K 1 ≠ 5.
func.func @main(%a: tensor<4x1xf32>, %b: tensor<1x5xf32>) -> tensor<4x5xf32> {
  %y = "ncnn.MatMul"(%a, %b) <{params = {}, weights = {}}> {onnx_node = "/mm"} : (tensor<4x1xf32>, tensor<1x5xf32>) -> tensor<4x5xf32>
  func.return %y : tensor<4x5xf32>
}
// MATMUL: error: node '/mm' (MatMul): internal error: placement: MatMul on input Mats [4, 1], [5]: MatMul of Mats [4, 1] and [5]: K 1 ≠ 5

// -----

// A Reshape to 2-D (h=4, w=99) of a (4, 9, 11) Mat is a (4, 99) Mat, not the (396) its
// result type says.
func.func @main(%x: tensor<1x4x9x11xf32>) -> tensor<396xf32> {
  %y = "ncnn.Reshape"(%x) <{params = {h = 4 : i32, w = 99 : i32}, weights = {}}> {onnx_node = "/flat"} : (tensor<1x4x9x11xf32>) -> tensor<396xf32>
  func.return %y : tensor<396xf32>
}
// RESHAPE: error: node '/flat' (Reshape): internal error: placement: Reshape on input Mats [4, 9, 11] produces [4, 99], but its result(s) expect [396]

// -----

// The same layers with result types that match pass.
func.func @main(%x: tensor<1x4x9x11xf32>) -> tensor<4x99xf32> {
  %y = "ncnn.Reshape"(%x) <{params = {h = 4 : i32, w = 99 : i32}, weights = {}}> {onnx_node = "/flat"} : (tensor<1x4x9x11xf32>) -> tensor<4x99xf32>
  func.return %y : tensor<4x99xf32>
}
// OK: "ncnn.Reshape"
