// RUN: ncc-opt %s -p ncnn-fuse-activation --print-debuginfo | filecheck %s

// The fused convolution computes the ReLU's tensor (its name moves) and stands for both
// ONNX nodes (a fused location).
func.func @main(%x: tensor<1x3x8x8xf32>) -> tensor<1x4x8x8xf32> {
  %c = "ncnn.Convolution"(%x) <{params = {num_output = 4 : i32, kernel_w = 1 : i32, kernel_h = 1 : i32, weight_data_size = 12 : i32}}> {onnx_outputs = ["c"]} : (tensor<1x3x8x8xf32>) -> tensor<1x4x8x8xf32> loc("conv")
  %r = "ncnn.ReLU"(%c) {onnx_outputs = ["r"]} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> loc("relu")
  func.return %r : tensor<1x4x8x8xf32>
}

// CHECK:      "ncnn.Convolution"(%x) <{params = {{{.*}}activation_type = 1 : i32}{{.*}}}> {onnx_outputs = ["r"]} : (tensor<1x3x8x8xf32>) -> tensor<1x4x8x8xf32> loc(fused["conv", "relu"])
// CHECK-NOT:  ncnn.ReLU
