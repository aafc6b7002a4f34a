// RUN: ncc-opt %s -t ncnn-param | filecheck %s

// Only params that differ from ncnn's defaults are written; floats always carry a '.';
// arrays use the -233xx=len,... form; the first line is the magic, then layer/blob counts.
func.func @main(%x: tensor<1x4x5x6xf32>) -> tensor<1x4x5x6xf32> {
  %a = "ncnn.Clip"(%x) <{params = {min = 0.0 : f32, max = 6.0 : f32}}> {onnx_node = "/act/Clip"} : (tensor<1x4x5x6xf32>) -> tensor<1x4x5x6xf32>
  %b = "ncnn.BinaryOp"(%a) <{params = {op_type = 2 : i32, with_scalar = 1 : i32, b = 3.0 : f32}}> : (tensor<1x4x5x6xf32>) -> tensor<1x4x5x6xf32>
  %c = "ncnn.Eltwise"(%b) <{params = {op_type = 1 : i32, coeffs = array<f32: 1.0, -2.5>}}> : (tensor<1x4x5x6xf32>) -> tensor<1x4x5x6xf32>
  func.return %c : tensor<1x4x5x6xf32>
}

// CHECK:      7767517
// CHECK-NEXT: 4 4
// CHECK-NEXT: Input in0 0 1 in0 0=6 1=5 2=4
// CHECK-NEXT: Clip act/Clip 1 1 in0 0 0=0.0 1=6.0
// CHECK-NEXT: BinaryOp binaryop_2 1 1 0 1 0=2 1=1 2=3.0
// CHECK-NEXT: Eltwise eltwise_3 1 1 1 out0 0=1 -23301=2,1.0,-2.5
