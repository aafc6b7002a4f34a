// RUN: ncc-opt %s -p onnx-fold-constants --split-input-file | filecheck %s

// One folding rule per function: every op on shapes and constants becomes an onnx.Constant
// (the op's numpy `evaluate`; Shape and Size from the operand's static type).

func.func @main(%x: tensor<1x4xf32>) -> tensor<2xi64> {
  %a = "onnx.Constant"() <{value = dense<[3, 4]> : tensor<2xi64>}> : () -> tensor<2xi64>
  %b = "onnx.Constant"() <{value = dense<[1, 2]> : tensor<2xi64>}> : () -> tensor<2xi64>
  %s = "onnx.Mul"(%a, %b) : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
  %t = "onnx.Sub"(%s, %b) : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
  func.return %t : tensor<2xi64>
}

// The chain folds to one constant: (3*1-1, 4*2-2) = (2, 6).
// CHECK-LABEL: func.func @main
// CHECK: "onnx.Constant"() <{value = dense<[2, 6]> : tensor<2xi64>}>
// CHECK-NOT: onnx.Mul
// CHECK-NOT: onnx.Sub

// -----

// x.view(x.size(0), -1): Shape → Gather → Unsqueeze → Concat folds to the target shape.
func.func @view_from_size(%x: tensor<3x4x5xf32>) -> tensor<2xi64> {
  %s = "onnx.Shape"(%x) : (tensor<3x4x5xf32>) -> tensor<3xi64>
  %i = "onnx.Constant"() <{value = dense<0> : tensor<i64>}> : () -> tensor<i64>
  %g = "onnx.Gather"(%s, %i) <{axis = 0 : i64}> : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
  %ax = "onnx.Constant"() <{value = dense<0> : tensor<1xi64>}> : () -> tensor<1xi64>
  %u = "onnx.Unsqueeze"(%g, %ax) : (tensor<i64>, tensor<1xi64>) -> tensor<1xi64>
  %m = "onnx.Constant"() <{value = dense<-1> : tensor<1xi64>}> : () -> tensor<1xi64>
  %c = "onnx.Concat"(%u, %m) <{axis = 0 : i64}> : (tensor<1xi64>, tensor<1xi64>) -> tensor<2xi64>
  func.return %c : tensor<2xi64>
}

// CHECK-LABEL: func.func @view_from_size
// CHECK: "onnx.Constant"() <{value = dense<[3, -1]> : tensor<2xi64>}>
// CHECK-NOT: onnx.Shape
// CHECK-NOT: onnx.Concat

// -----

// Shape with start/end, and Size, from the static type alone.
func.func @shape_size(%x: tensor<2x3x5xf32>) -> (tensor<2xi64>, tensor<i64>) {
  %s = "onnx.Shape"(%x) <{start = 1 : i64}> : (tensor<2x3x5xf32>) -> tensor<2xi64>
  %n = "onnx.Size"(%x) : (tensor<2x3x5xf32>) -> tensor<i64>
  func.return %s, %n : tensor<2xi64>, tensor<i64>
}

// CHECK-LABEL: func.func @shape_size
// CHECK-DAG: dense<[3, 5]> : tensor<2xi64>
// CHECK-DAG: dense<30> : tensor<i64>
// CHECK-NOT: onnx.Shape
// CHECK-NOT: onnx.Size

// -----

// Gather with a negative index counts from the end.
func.func @gather(%x: tensor<1xf32>) -> tensor<2xi64> {
  %d = "onnx.Constant"() <{value = dense<[7, 8, 9]> : tensor<3xi64>}> : () -> tensor<3xi64>
  %i = "onnx.Constant"() <{value = dense<[-1, 0]> : tensor<2xi64>}> : () -> tensor<2xi64>
  %g = "onnx.Gather"(%d, %i) <{axis = 0 : i64}> : (tensor<3xi64>, tensor<2xi64>) -> tensor<2xi64>
  func.return %g : tensor<2xi64>
}

// CHECK-LABEL: func.func @gather
// CHECK: dense<[9, 7]> : tensor<2xi64>
// CHECK-NOT: onnx.Gather

// -----

func.func @squeeze(%x: tensor<1xf32>) -> tensor<2xi64> {
  %d = "onnx.Constant"() <{value = dense<[[4, 5]]> : tensor<1x2xi64>}> : () -> tensor<1x2xi64>
  %a = "onnx.Constant"() <{value = dense<0> : tensor<1xi64>}> : () -> tensor<1xi64>
  %s = "onnx.Squeeze"(%d, %a) : (tensor<1x2xi64>, tensor<1xi64>) -> tensor<2xi64>
  func.return %s : tensor<2xi64>
}

// CHECK-LABEL: func.func @squeeze
// CHECK: dense<[4, 5]> : tensor<2xi64>
// CHECK-NOT: onnx.Squeeze

// -----

func.func @slice(%x: tensor<1xf32>) -> tensor<2xi64> {
  %d = "onnx.Constant"() <{value = dense<[1, 2, 3, 4, 5]> : tensor<5xi64>}> : () -> tensor<5xi64>
  %s = "onnx.Constant"() <{value = dense<-1> : tensor<1xi64>}> : () -> tensor<1xi64>
  %e = "onnx.Constant"() <{value = dense<-9223372036854775807> : tensor<1xi64>}> : () -> tensor<1xi64>
  %a = "onnx.Constant"() <{value = dense<0> : tensor<1xi64>}> : () -> tensor<1xi64>
  %t = "onnx.Constant"() <{value = dense<-3> : tensor<1xi64>}> : () -> tensor<1xi64>
  %y = "onnx.Slice"(%d, %s, %e, %a, %t) : (tensor<5xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2xi64>
  func.return %y : tensor<2xi64>
}

// A reversed, strided Slice to the (clamped) start: [5, 2].
// CHECK-LABEL: func.func @slice
// CHECK: dense<[5, 2]> : tensor<2xi64>
// CHECK-NOT: onnx.Slice

// -----

// Float → int Cast truncates toward zero; Floor rounds down first.
func.func @cast_floor(%x: tensor<1xf32>) -> (tensor<3xi64>, tensor<3xi64>) {
  %d = "onnx.Constant"() <{value = dense<[1.5, -2.5, 3.0]> : tensor<3xf32>}> : () -> tensor<3xf32>
  %c = "onnx.Cast"(%d) <{to = 7 : i64}> : (tensor<3xf32>) -> tensor<3xi64>
  %f = "onnx.Floor"(%d) : (tensor<3xf32>) -> tensor<3xf32>
  %g = "onnx.Cast"(%f) <{to = 7 : i64}> : (tensor<3xf32>) -> tensor<3xi64>
  func.return %c, %g : tensor<3xi64>, tensor<3xi64>
}

// CHECK-LABEL: func.func @cast_floor
// CHECK-DAG: dense<[1, -2, 3]> : tensor<3xi64>
// CHECK-DAG: dense<[1, -3, 3]> : tensor<3xi64>
// CHECK-NOT: onnx.Cast
// CHECK-NOT: onnx.Floor

// -----

func.func @constant_of_shape(%x: tensor<1xf32>) -> tensor<2x3xi64> {
  %s = "onnx.Constant"() <{value = dense<[2, 3]> : tensor<2xi64>}> : () -> tensor<2xi64>
  %c = "onnx.ConstantOfShape"(%s) <{value = dense<7> : tensor<1xi64>}> : (tensor<2xi64>) -> tensor<2x3xi64>
  func.return %c : tensor<2x3xi64>
}

// CHECK-LABEL: func.func @constant_of_shape
// CHECK: dense<7> : tensor<2x3xi64>
// CHECK-NOT: onnx.ConstantOfShape

// -----

func.func @range(%x: tensor<1xf32>) -> tensor<4xi64> {
  %a = "onnx.Constant"() <{value = dense<10> : tensor<i64>}> : () -> tensor<i64>
  %b = "onnx.Constant"() <{value = dense<2> : tensor<i64>}> : () -> tensor<i64>
  %d = "onnx.Constant"() <{value = dense<-2> : tensor<i64>}> : () -> tensor<i64>
  %r = "onnx.Range"(%a, %b, %d) : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<4xi64>
  func.return %r : tensor<4xi64>
}

// CHECK-LABEL: func.func @range
// CHECK: dense<[10, 8, 6, 4]> : tensor<4xi64>
// CHECK-NOT: onnx.Range

// -----

// The causal-mask idiom: Range, Unsqueeze, comparisons and boolean logic.
func.func @compare(%x: tensor<1xf32>) -> (tensor<3x3xi1>, tensor<3xi1>, tensor<3xi1>) {
  %z = "onnx.Constant"() <{value = dense<0> : tensor<i64>}> : () -> tensor<i64>
  %n = "onnx.Constant"() <{value = dense<3> : tensor<i64>}> : () -> tensor<i64>
  %o = "onnx.Constant"() <{value = dense<1> : tensor<i64>}> : () -> tensor<i64>
  %r = "onnx.Range"(%z, %n, %o) : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<3xi64>
  %a0 = "onnx.Constant"() <{value = dense<0> : tensor<1xi64>}> : () -> tensor<1xi64>
  %a1 = "onnx.Constant"() <{value = dense<1> : tensor<1xi64>}> : () -> tensor<1xi64>
  %row = "onnx.Unsqueeze"(%r, %a0) : (tensor<3xi64>, tensor<1xi64>) -> tensor<1x3xi64>
  %col = "onnx.Unsqueeze"(%r, %a1) : (tensor<3xi64>, tensor<1xi64>) -> tensor<3x1xi64>
  %gt = "onnx.Greater"(%row, %col) : (tensor<1x3xi64>, tensor<3x1xi64>) -> tensor<3x3xi1>
  %eq = "onnx.Equal"(%r, %o) : (tensor<3xi64>, tensor<i64>) -> tensor<3xi1>
  %lt = "onnx.Less"(%r, %o) : (tensor<3xi64>, tensor<i64>) -> tensor<3xi1>
  %ne = "onnx.Not"(%eq) : (tensor<3xi1>) -> tensor<3xi1>
  %and = "onnx.And"(%ne, %lt) : (tensor<3xi1>, tensor<3xi1>) -> tensor<3xi1>
  %or = "onnx.Or"(%eq, %lt) : (tensor<3xi1>, tensor<3xi1>) -> tensor<3xi1>
  func.return %gt, %and, %or : tensor<3x3xi1>, tensor<3xi1>, tensor<3xi1>
}

// CHECK-LABEL: func.func @compare
// CHECK-DAG: dense<{{\[}}[false, true, true], [false, false, true], [false, false, false]]> : tensor<3x3xi1>
// CHECK-DAG: dense<[true, false, false]> : tensor<3xi1>
// CHECK-DAG: dense<[true, true, false]> : tensor<3xi1>
// CHECK-NOT: onnx.Greater
// CHECK-NOT: onnx.Equal
// CHECK-NOT: onnx.Less
// CHECK-NOT: onnx.Not
// CHECK-NOT: onnx.And
// CHECK-NOT: onnx.Or

// -----

func.func @where(%x: tensor<1xf32>) -> tensor<3xi64> {
  %c = "onnx.Constant"() <{value = dense<[true, false, true]> : tensor<3xi1>}> : () -> tensor<3xi1>
  %a = "onnx.Constant"() <{value = dense<[1, 2, 3]> : tensor<3xi64>}> : () -> tensor<3xi64>
  %b = "onnx.Constant"() <{value = dense<-1> : tensor<i64>}> : () -> tensor<i64>
  %w = "onnx.Where"(%c, %a, %b) : (tensor<3xi1>, tensor<3xi64>, tensor<i64>) -> tensor<3xi64>
  func.return %w : tensor<3xi64>
}

// CHECK-LABEL: func.func @where
// CHECK: dense<[1, -1, 3]> : tensor<3xi64>
// CHECK-NOT: onnx.Where

// -----

func.func @expand_tile(%x: tensor<1xf32>) -> (tensor<2x2xi64>, tensor<4xi64>) {
  %d = "onnx.Constant"() <{value = dense<[[1], [2]]> : tensor<2x1xi64>}> : () -> tensor<2x1xi64>
  %s = "onnx.Constant"() <{value = dense<[1, 2]> : tensor<2xi64>}> : () -> tensor<2xi64>
  %e = "onnx.Expand"(%d, %s) : (tensor<2x1xi64>, tensor<2xi64>) -> tensor<2x2xi64>
  %v = "onnx.Constant"() <{value = dense<[5, 6]> : tensor<2xi64>}> : () -> tensor<2xi64>
  %r = "onnx.Constant"() <{value = dense<2> : tensor<1xi64>}> : () -> tensor<1xi64>
  %t = "onnx.Tile"(%v, %r) : (tensor<2xi64>, tensor<1xi64>) -> tensor<4xi64>
  func.return %e, %t : tensor<2x2xi64>, tensor<4xi64>
}

// CHECK-LABEL: func.func @expand_tile
// CHECK-DAG: dense<{{\[}}[1, 1], [2, 2]]> : tensor<2x2xi64>
// CHECK-DAG: dense<[5, 6, 5, 6]> : tensor<4xi64>
// CHECK-NOT: onnx.Expand
// CHECK-NOT: onnx.Tile

// -----

// Integer arithmetic as ONNX defines it: Div truncates toward zero, Mod takes the sign of
// the divisor (fmod = 0), Add exactly in int64.
func.func @integer_arith(%x: tensor<1xf32>) -> (tensor<2xi64>, tensor<2xi64>, tensor<1xi64>) {
  %a = "onnx.Constant"() <{value = dense<[-7, 7]> : tensor<2xi64>}> : () -> tensor<2xi64>
  %b = "onnx.Constant"() <{value = dense<2> : tensor<i64>}> : () -> tensor<i64>
  %d = "onnx.Div"(%a, %b) : (tensor<2xi64>, tensor<i64>) -> tensor<2xi64>
  %nb = "onnx.Constant"() <{value = dense<-3> : tensor<i64>}> : () -> tensor<i64>
  %m = "onnx.Mod"(%a, %nb) : (tensor<2xi64>, tensor<i64>) -> tensor<2xi64>
  %big = "onnx.Constant"() <{value = dense<9007199254740993> : tensor<1xi64>}> : () -> tensor<1xi64>
  %one = "onnx.Constant"() <{value = dense<1> : tensor<1xi64>}> : () -> tensor<1xi64>
  %q = "onnx.Div"(%big, %one) : (tensor<1xi64>, tensor<1xi64>) -> tensor<1xi64>
  %s = "onnx.Add"(%q, %one) : (tensor<1xi64>, tensor<1xi64>) -> tensor<1xi64>
  func.return %d, %m, %s : tensor<2xi64>, tensor<2xi64>, tensor<1xi64>
}

// CHECK-LABEL: func.func @integer_arith
// CHECK-DAG: dense<[-3, 3]> : tensor<2xi64>
// CHECK-DAG: dense<[-1, -2]> : tensor<2xi64>
// CHECK-DAG: dense<9007199254740994> : tensor<1xi64>
// CHECK-NOT: onnx.Div
// CHECK-NOT: onnx.Mod
// CHECK-NOT: onnx.Add

// -----

// g.shape[2] * g.shape[3] as exported through ReduceProd of a shape slice; Identity too.
func.func @reduce_prod_identity(%x: tensor<1x1x6x7xf32>) -> tensor<1xi64> {
  %s = "onnx.Shape"(%x) <{start = 2 : i64}> : (tensor<1x1x6x7xf32>) -> tensor<2xi64>
  %i = "onnx.Identity"(%s) : (tensor<2xi64>) -> tensor<2xi64>
  %none = "onnx.NoValue"() : () -> none
  %p = "onnx.ReduceProd"(%i, %none) <{keepdims = 1 : i64}> : (tensor<2xi64>, none) -> tensor<1xi64>
  func.return %p : tensor<1xi64>
}

// CHECK-LABEL: func.func @reduce_prod_identity
// CHECK: dense<42> : tensor<1xi64>
// CHECK-NOT: onnx.ReduceProd
// CHECK-NOT: onnx.Identity
