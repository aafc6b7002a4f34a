// RUN: ncc-opt %s -p ncnn-fuse-activation | filecheck %s

// ReLU after a convolution becomes activation_type 1; Clip (ReLU6) type 3 with its bounds.
// A conv whose output has another user keeps its activation separate.
func.func @main(%x: tensor<1x3x8x8xf32>) -> (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>) {
  %c1 = "ncnn.Convolution"(%x) <{params = {num_output = 4 : i32, kernel_w = 1 : i32, kernel_h = 1 : i32, weight_data_size = 12 : i32}}> : (tensor<1x3x8x8xf32>) -> tensor<1x4x8x8xf32>
  %r1 = "ncnn.ReLU"(%c1) : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %c2 = "ncnn.Convolution"(%x) <{params = {num_output = 4 : i32, kernel_w = 1 : i32, kernel_h = 1 : i32, weight_data_size = 12 : i32}}> : (tensor<1x3x8x8xf32>) -> tensor<1x4x8x8xf32>
  %r2 = "ncnn.Clip"(%c2) <{params = {min = 0.0 : f32, max = 6.0 : f32}}> : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %c3 = "ncnn.Convolution"(%x) <{params = {num_output = 4 : i32, kernel_w = 1 : i32, kernel_h = 1 : i32, weight_data_size = 12 : i32}}> : (tensor<1x3x8x8xf32>) -> tensor<1x4x8x8xf32>
  %r3 = "ncnn.ReLU"(%c3) : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %s = "ncnn.BinaryOp"(%r3, %c3) : (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  func.return %r1, %r2, %s : tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>
}

// CHECK:      "ncnn.Convolution"(%{{.*}}) <{params = {{{.*}}activation_type = 1 : i32}
// CHECK-NEXT: "ncnn.Convolution"(%{{.*}}) <{params = {{{.*}}activation_type = 3 : i32, activation_params = array<f32: 0.000000e+00, 6.000000e+00>}
// CHECK-NEXT: %[[C3:.*]] = "ncnn.Convolution"(%{{.*}}) <{params = {num_output = 4 : i32, kernel_w = 1 : i32, kernel_h = 1 : i32, weight_data_size = 12 : i32}
// CHECK-NEXT: "ncnn.ReLU"(%[[C3]])

// Through a Reshape used only by the activation (an elementwise activation commutes with it):
// the InnerProduct takes the ReLU and the Reshape stays.
func.func @through_reshape(%x: tensor<64x8xf32>) -> tensor<4x16x4xf32> {
  %ip = "ncnn.InnerProduct"(%x) <{params = {num_output = 4 : i32, weight_data_size = 32 : i32}}> : (tensor<64x8xf32>) -> tensor<64x4xf32>
  %re = "ncnn.Reshape"(%ip) <{params = {c = 4 : i32, h = 16 : i32, w = 4 : i32}}> : (tensor<64x4xf32>) -> tensor<4x16x4xf32>
  %r = "ncnn.ReLU"(%re) : (tensor<4x16x4xf32>) -> tensor<4x16x4xf32>
  func.return %r : tensor<4x16x4xf32>
}

// CHECK-LABEL: func.func @through_reshape
// CHECK-NEXT: %[[IP:.*]] = "ncnn.InnerProduct"(%x) <{params = {{{.*}}activation_type = 1 : i32}
// CHECK-NEXT: %[[RE:.*]] = "ncnn.Reshape"(%[[IP]])
// CHECK-NEXT: func.return %[[RE]]
