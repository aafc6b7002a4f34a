// Each case is cut out of this file (sed) and checked on its own: the pass stops at the
// first problem, naming the node, the op, what the value depends on, and the way out.
// RUN: sed -n '/^\/\/ CASE: ok/,/^\/\/ END/p' %s | ncc-opt -p onnx-check-static | filecheck %s --check-prefix=OK
// RUN: sed -n '/^\/\/ CASE: dims/,/^\/\/ END/p' %s | not ncc-opt -p onnx-check-static 2>&1 | filecheck %s --check-prefix=DIMS
// RUN: sed -n '/^\/\/ CASE: data/,/^\/\/ END/p' %s | not ncc-opt -p onnx-check-static 2>&1 | filecheck %s --check-prefix=DATA
// RUN: sed -n '/^\/\/ CASE: gather/,/^\/\/ END/p' %s | not ncc-opt -p onnx-check-static 2>&1 | filecheck %s --check-prefix=GATHER
// RUN: sed -n '/^\/\/ CASE: where/,/^\/\/ END/p' %s | ncc-opt -p onnx-check-static | filecheck %s --check-prefix=WHERE

// CASE: ok — static shapes, constant indices: unchanged.
func.func @ok(%x: tensor<1x6xf32>) -> tensor<1x2xf32> {
  %i = "onnx.Constant"() <{value = dense<[0, 3]> : tensor<2xi64>}> : () -> tensor<2xi64>
  %g = "onnx.Gather"(%x, %i) <{axis = 1 : i64}> : (tensor<1x6xf32>, tensor<2xi64>) -> tensor<1x2xf32>
  func.return %g : tensor<1x2xf32>
}
// END
// OK: "onnx.Gather"(%x, %i)

// CASE: dims — a Reshape to x.shape of an input whose batch is dynamic.
func.func @dims(%x: tensor<?x4xf32>, %y: tensor<2x4xf32>) -> tensor<?x?xf32> attributes {ncc.input_names = ["frames", "y"]} {
  %s = "onnx.Shape"(%x) : (tensor<?x4xf32>) -> tensor<2xi64>
  %r = "onnx.Reshape"(%y, %s) {onnx_node = "view"} : (tensor<2x4xf32>, tensor<2xi64>) -> tensor<?x?xf32>
  func.return %r : tensor<?x?xf32>
}
// END
// DIMS: ncc-opt: error: node 'view' (Reshape): the output shape is not known at compile time (inputs {{\[}}[2, 4], [2]]): it depends on dims [0] of input 'frames', which are dynamic: give them with --input-shape frames=Nx4 (N: your size)

// CASE: data — a shape computed from data values (NonZero).
func.func @data(%x: tensor<1x4xf32>) -> tensor<2x?xi64> attributes {ncc.input_names = ["x"]} {
  %n = "onnx.NonZero"(%x) {onnx_node = "nz"} : (tensor<1x4xf32>) -> tensor<2x?xi64>
  func.return %n : tensor<2x?xi64>
}
// END
// DATA: ncc-opt: error: node 'nz' (NonZero): the output shape is not known at compile time (inputs {{\[}}[1, 4]]): it depends on the values of input 'x', known only at run time

// CASE: gather — indices that are an input.
func.func @gather(%x: tensor<1x6xf32>, %i: tensor<2xi64>) -> tensor<1x2xf32> attributes {ncc.input_names = ["x", "idx"]} {
  %g = "onnx.Gather"(%x, %i) <{axis = 1 : i64}> {onnx_node = "pick"} : (tensor<1x6xf32>, tensor<2xi64>) -> tensor<1x2xf32>
  func.return %g : tensor<1x2xf32>
}
// END
// GATHER: ncc-opt: error: node 'pick' (Gather): its indices are computed at run time (data [1, 6]); ncnn has no gather/scatter layer, so they must be constants: it depends on the values of input 'idx'

// CASE: where — a condition on data passes: the conversion selects exactly (onnx_to_ncnn/logic.py).
func.func @where(%x: tensor<1x6xf32>) -> tensor<1x6xf32> {
  %z = "onnx.Constant"() <{value = dense<0.0> : tensor<f32>}> : () -> tensor<f32>
  %o = "onnx.Constant"() <{value = dense<1.0> : tensor<f32>}> : () -> tensor<f32>
  %c = "onnx.Greater"(%x, %z) : (tensor<1x6xf32>, tensor<f32>) -> tensor<1x6xi1>
  %w = "onnx.Where"(%c, %o, %z) {onnx_node = "step"} : (tensor<1x6xi1>, tensor<f32>, tensor<f32>) -> tensor<1x6xf32>
  func.return %w : tensor<1x6xf32>
}
// END
// WHERE: "onnx.Where"(%c, %o, %z)
