// RUN: ncc-opt %s -p onnx-canonicalize --split-input-file | filecheck %s

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

// -----

// The layout moves the batch pass leaves around an elementwise op cancel: tanh moves above
// the reshape, the two reshapes merge into one to the original shape and disappear; two
// transposes compose to the identity.
func.func @layout(%x: tensor<5x4x8x8xf32>) -> tensor<5x4x8x8xf32> {
  %s1 = "onnx.Constant"() <{value = dense<[1, 20, 8, 8]> : tensor<4xi64>}> : () -> tensor<4xi64>
  %s2 = "onnx.Constant"() <{value = dense<[5, 4, 8, 8]> : tensor<4xi64>}> : () -> tensor<4xi64>
  %a = "onnx.Reshape"(%x, %s1) : (tensor<5x4x8x8xf32>, tensor<4xi64>) -> tensor<1x20x8x8xf32>
  %t = "onnx.Tanh"(%a) : (tensor<1x20x8x8xf32>) -> tensor<1x20x8x8xf32>
  %b = "onnx.Reshape"(%t, %s2) : (tensor<1x20x8x8xf32>, tensor<4xi64>) -> tensor<5x4x8x8xf32>
  %p = "onnx.Transpose"(%b) <{perm = array<i64: 1, 0, 2, 3>}> : (tensor<5x4x8x8xf32>) -> tensor<4x5x8x8xf32>
  %q = "onnx.Transpose"(%p) <{perm = array<i64: 1, 0, 2, 3>}> : (tensor<4x5x8x8xf32>) -> tensor<5x4x8x8xf32>
  func.return %q : tensor<5x4x8x8xf32>
}

// CHECK-LABEL: func.func @layout
// CHECK-NEXT:    %[[T:.*]] = "onnx.Tanh"(%{{.*}}) : (tensor<5x4x8x8xf32>) -> tensor<5x4x8x8xf32>
// CHECK-NEXT:    func.return %[[T]]

// -----

// Before shape inference (onnx-simplify runs this pass first) the reshape's input type is
// unranked: the unary op stays where it is rather than being given a type it cannot know.
func.func @unranked(%x: tensor<*xf32>, %s: tensor<2xi64>) -> tensor<*xf32> {
  %a = "onnx.Reshape"(%x, %s) : (tensor<*xf32>, tensor<2xi64>) -> tensor<*xf32>
  %t = "onnx.Tanh"(%a) : (tensor<*xf32>) -> tensor<*xf32>
  func.return %t : tensor<*xf32>
}

// CHECK-LABEL: func.func @unranked
// CHECK-NEXT:    %[[A:.*]] = "onnx.Reshape"
// CHECK-NEXT:    %[[T:.*]] = "onnx.Tanh"(%[[A]]) : (tensor<*xf32>) -> tensor<*xf32>
// CHECK-NEXT:    func.return %[[T]]

// -----

// An If on a constant condition becomes the ops of the branch taken; the branch may use
// values from outside it.
func.func @if_const(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %c = "onnx.Constant"() <{value = dense<true> : tensor<i1>}> : () -> tensor<i1>
  %y = "onnx.If"(%c) ({
    %r = "onnx.Relu"(%x) : (tensor<2x3xf32>) -> tensor<2x3xf32>
    "onnx.Yield"(%r) : (tensor<2x3xf32>) -> ()
  }, {
    %n = "onnx.Neg"(%x) : (tensor<2x3xf32>) -> tensor<2x3xf32>
    "onnx.Yield"(%n) : (tensor<2x3xf32>) -> ()
  }) : (tensor<i1>) -> tensor<2x3xf32>
  func.return %y : tensor<2x3xf32>
}

// CHECK:      func.func @if_const(%[[X:.*]]: tensor<2x3xf32>)
// CHECK-NEXT:   %[[R:.*]] = "onnx.Relu"(%[[X]])
// CHECK-NEXT:   func.return %[[R]]

// -----

// Einsum as a matmul: A (b, n, d) · B (d, e) contracts d; b and n are A's free letters, so
// A is reshaped to (b·n, d), one 2-D MatMul, and the product reshaped back.
func.func @einsum(%a: tensor<2x5x8xf32>, %b: tensor<8x6xf32>) -> tensor<2x5x6xf32> {
  %y = "onnx.Einsum"(%a, %b) <{equation = "bnd,de->bne"}> : (tensor<2x5x8xf32>, tensor<8x6xf32>) -> tensor<2x5x6xf32>
  func.return %y : tensor<2x5x6xf32>
}

// CHECK-LABEL: func.func @einsum
// CHECK:         %[[A:.*]] = "onnx.Reshape"(%{{.*}}, %{{.*}}) <{allowzero = 0 : i64}> : (tensor<2x5x8xf32>, tensor<2xi64>) -> tensor<10x8xf32>
// CHECK-NEXT:    %[[M:.*]] = "onnx.MatMul"(%[[A]], %{{.*}}) : (tensor<10x8xf32>, tensor<8x6xf32>) -> tensor<10x6xf32>
// CHECK:         "onnx.Reshape"(%[[M]], %{{.*}}) <{allowzero = 0 : i64}> : (tensor<10x6xf32>, tensor<3xi64>) -> tensor<2x5x6xf32>
// CHECK-NOT:     onnx.Einsum

// -----

// A diagonal (a letter repeated inside one operand) is not a matmul: left as it is.
func.func @einsum_diagonal(%a: tensor<4x4xf32>) -> tensor<4xf32> {
  %y = "onnx.Einsum"(%a) <{equation = "ii->i"}> : (tensor<4x4xf32>) -> tensor<4xf32>
  func.return %y : tensor<4xf32>
}

// CHECK-LABEL: func.func @einsum_diagonal
// CHECK:         "onnx.Einsum"

// -----

// LayerNorm as TorchScript writes it below opset 17, with its affine Mul/Add: one
// LayerNormalization whose Scale and B carry γ and β.
func.func @layernorm(%x: tensor<1x5x8xf32>) -> tensor<1x5x8xf32> {
  %ax = "onnx.Constant"() <{value = dense<-1> : tensor<1xi64>}> : () -> tensor<1xi64>
  %two = "onnx.Constant"() <{value = dense<2.0> : tensor<f32>}> : () -> tensor<f32>
  %eps = "onnx.Constant"() <{value = dense<1.0e-05> : tensor<f32>}> : () -> tensor<f32>
  %g = "onnx.Constant"() <{value = dense<3.0> : tensor<8xf32>}> : () -> tensor<8xf32>
  %b = "onnx.Constant"() <{value = dense<0.5> : tensor<8xf32>}> : () -> tensor<8xf32>
  %m = "onnx.ReduceMean"(%x, %ax) <{keepdims = 1 : i64}> : (tensor<1x5x8xf32>, tensor<1xi64>) -> tensor<1x5x1xf32>
  %d = "onnx.Sub"(%x, %m) : (tensor<1x5x8xf32>, tensor<1x5x1xf32>) -> tensor<1x5x8xf32>
  %p = "onnx.Pow"(%d, %two) : (tensor<1x5x8xf32>, tensor<f32>) -> tensor<1x5x8xf32>
  %v = "onnx.ReduceMean"(%p, %ax) <{keepdims = 1 : i64}> : (tensor<1x5x8xf32>, tensor<1xi64>) -> tensor<1x5x1xf32>
  %a = "onnx.Add"(%v, %eps) : (tensor<1x5x1xf32>, tensor<f32>) -> tensor<1x5x1xf32>
  %s = "onnx.Sqrt"(%a) : (tensor<1x5x1xf32>) -> tensor<1x5x1xf32>
  %n = "onnx.Div"(%d, %s) : (tensor<1x5x8xf32>, tensor<1x5x1xf32>) -> tensor<1x5x8xf32>
  %y1 = "onnx.Mul"(%n, %g) : (tensor<1x5x8xf32>, tensor<8xf32>) -> tensor<1x5x8xf32>
  %y = "onnx.Add"(%y1, %b) : (tensor<1x5x8xf32>, tensor<8xf32>) -> tensor<1x5x8xf32>
  func.return %y : tensor<1x5x8xf32>
}

// CHECK-LABEL: func.func @layernorm
// CHECK-NOT:     onnx.ReduceMean
// CHECK:         %[[Y:.*]] = "onnx.LayerNormalization"(%{{.*}}, %{{.*}}, %{{.*}}) <{axis = 2 : i64, epsilon = 1.000000e-05 : f32
// CHECK-NEXT:    func.return %[[Y]]

// -----

// CastLike with a target of known type is the Cast to that type; with an unranked target
// (its type not inferred yet: the f32 is a placeholder) it stays.
func.func @cast_like(%x: tensor<2x3xi64>, %t: tensor<4xf32>, %u: tensor<*xf32>) -> (tensor<2x3xf32>, tensor<*xf32>) {
  %y = "onnx.CastLike"(%x, %t) : (tensor<2x3xi64>, tensor<4xf32>) -> tensor<2x3xf32>
  %z = "onnx.CastLike"(%x, %u) : (tensor<2x3xi64>, tensor<*xf32>) -> tensor<*xf32>
  func.return %y, %z : tensor<2x3xf32>, tensor<*xf32>
}

// CHECK:      func.func @cast_like(%[[X:.*]]: tensor<2x3xi64>, %{{.*}}: tensor<4xf32>, %[[U:.*]]: tensor<*xf32>)
// CHECK-NEXT:   %[[Y:.*]] = "onnx.Cast"(%[[X]]) <{to = 1 : i64, saturate = 1 : i64}>
// CHECK-NEXT:   %[[Z:.*]] = "onnx.CastLike"(%[[X]], %[[U]])
// CHECK-NEXT:   func.return %[[Y]], %[[Z]]

// -----

// Trilu with a known shape and k is a Where on a constant triangle (here the upper one from
// diagonal 1 of a 2x3 matrix); with k computed at run time it stays.
func.func @trilu(%x: tensor<1x2x3xf32>, %k: tensor<i64>) -> (tensor<1x2x3xf32>, tensor<1x2x3xf32>) {
  %one = "onnx.Constant"() <{value = dense<1> : tensor<i64>}> : () -> tensor<i64>
  %u = "onnx.Trilu"(%x, %one) : (tensor<1x2x3xf32>, tensor<i64>) -> tensor<1x2x3xf32>
  %r = "onnx.Trilu"(%x, %k) : (tensor<1x2x3xf32>, tensor<i64>) -> tensor<1x2x3xf32>
  func.return %u, %r : tensor<1x2x3xf32>, tensor<1x2x3xf32>
}

// CHECK-LABEL: func.func @trilu
// CHECK-DAG:    %[[M:.*]] = "onnx.Constant"() <{value = dense<{{\[}}[false, true, true], [false, false, true]]> : tensor<2x3xi1>}>
// CHECK-DAG:    %[[Z:.*]] = "onnx.Constant"() {{.*}} -> tensor<f32>
// CHECK:        %[[U:.*]] = "onnx.Where"(%[[M]], %{{.*}}, %[[Z]])
// CHECK:        %[[R:.*]] = "onnx.Trilu"
// CHECK:        func.return %[[U]], %[[R]]
