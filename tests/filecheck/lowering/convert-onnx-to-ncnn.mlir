// RUN: ncc-opt %s -p convert-onnx-to-ncnn --split-input-file | filecheck %s

// Activations map one to one; a one-element constant uses BinaryOp's scalar form; a
// lower-rank operand is reshaped to the output's Mat rank (ncnn aligns ranks to the outer axes).
func.func @main(%x: tensor<1x4x5x6xf32>, %v: tensor<6xf32>) -> tensor<1x4x5x6xf32> {
  %two = "onnx.Constant"() <{value = dense<2.0> : tensor<f32>}> : () -> tensor<f32>
  %r = "onnx.LeakyRelu"(%x) <{alpha = 0.1 : f32}> : (tensor<1x4x5x6xf32>) -> tensor<1x4x5x6xf32>
  %s = "onnx.Sub"(%two, %r) : (tensor<f32>, tensor<1x4x5x6xf32>) -> tensor<1x4x5x6xf32>
  %a = "onnx.Add"(%s, %v) : (tensor<1x4x5x6xf32>, tensor<6xf32>) -> tensor<1x4x5x6xf32>
  %m = "onnx.Softmax"(%a) <{axis = 1 : i64}> : (tensor<1x4x5x6xf32>) -> tensor<1x4x5x6xf32>
  func.return %m : tensor<1x4x5x6xf32>
}

// CHECK:      "ncnn.ReLU"(%{{.*}}) <{params = {slope = 1.000000e-01 : f32}
// CHECK-NEXT: "ncnn.BinaryOp"(%{{.*}}) <{params = {op_type = 7 : i32, with_scalar = 1 : i32, b = 2.000000e+00 : f32}
// CHECK-NEXT: "ncnn.Reshape"(%{{.*}}) <{params = {c = 1 : i32, h = 1 : i32, w = 6 : i32}
// CHECK-NEXT: "ncnn.BinaryOp"(%{{.*}}, %{{.*}}) <{params = {op_type = 0 : i32}
// CHECK-NEXT: "ncnn.Softmax"(%{{.*}}) <{params = {axis = 0 : i32, fixbug0 = 1 : i32}

// -----

// Clip with only a minimum of 0 (torch.clamp_min(x, 0)) is a ReLU; with both bounds a Clip.
func.func @clip(%x: tensor<1x8xf32>) -> tensor<1x8xf32> {
  %zero = "onnx.Constant"() <{value = dense<0.0> : tensor<f32>}> : () -> tensor<f32>
  %six = "onnx.Constant"() <{value = dense<6.0> : tensor<f32>}> : () -> tensor<f32>
  %none = "onnx.NoValue"() : () -> none
  %a = "onnx.Clip"(%x, %zero, %none) : (tensor<1x8xf32>, tensor<f32>, none) -> tensor<1x8xf32>
  %b = "onnx.Clip"(%a, %zero, %six) : (tensor<1x8xf32>, tensor<f32>, tensor<f32>) -> tensor<1x8xf32>
  func.return %b : tensor<1x8xf32>
}

// CHECK-LABEL: func.func @clip
// CHECK:      "ncnn.ReLU"
// CHECK-NEXT: "ncnn.Clip"(%{{.*}}) <{params = {min = 0.000000e+00 : f32, max = 6.000000e+00 : f32}

// -----

// Moves of the batch axis are ncnn Reshapes naming the whole logical shape, with 13 (into the
// batch) or 12 (out of it) giving the batch axis.
func.func @batch(%x: tensor<5x3x8x8xf32>) -> tensor<5x3x8x8xf32> {
  %f = "layout.dim_to_batch"(%x) <{batch = 5 : i64}> : (tensor<5x3x8x8xf32>) -> tensor<1x3x8x8xf32>
  %t = "onnx.Tanh"(%f) : (tensor<1x3x8x8xf32>) -> tensor<1x3x8x8xf32>
  %y = "layout.batch_to_dim"(%t) <{batch = 5 : i64}> : (tensor<1x3x8x8xf32>) -> tensor<5x3x8x8xf32>
  func.return %y : tensor<5x3x8x8xf32>
}

// CHECK-LABEL: func.func @batch
// CHECK:      "ncnn.Reshape"(%{{.*}}) <{params = {c = 5 : i32, d = 3 : i32, h = 8 : i32, w = 8 : i32, output_batch_axis = 0 : i32}
// CHECK-NEXT: "ncnn.TanH"
// CHECK-NEXT: "ncnn.Reshape"(%{{.*}}) <{params = {c = 5 : i32, d = 3 : i32, h = 8 : i32, w = 8 : i32, input_batch_axis = 0 : i32}
