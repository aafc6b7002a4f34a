// RUN: ncc-opt %s -p ncnn-fold-affine | filecheck %s

// A constant added along the bias axis becomes the bias: InnerProduct + (1, N) row (either
// operand order), InnerProduct - c (negated), a conv + (1, C, 1, 1) added to its own bias, and
// an InnerProduct seen through a Reshape that keeps the last axis.
func.func @folded(%x: tensor<17x8xf32>, %y: tensor<1x3x5x5xf32>, %z: tensor<64x8xf32>) -> (tensor<17x4xf32>, tensor<17x4xf32>, tensor<1x4x5x5xf32>, tensor<4x16x4xf32>) {
  %c = "ncnn.MemoryData"() <{params = {w = 4 : i32}, weights = {data = dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>}}> : () -> tensor<1x4xf32>
  %ip1 = "ncnn.InnerProduct"(%x) <{params = {num_output = 4 : i32, weight_data_size = 32 : i32}, weights = {weight = dense<0.5> : tensor<32xf32>}}> : (tensor<17x8xf32>) -> tensor<17x4xf32>
  %a = "ncnn.BinaryOp"(%c, %ip1) <{params = {op_type = 0 : i32}}> : (tensor<1x4xf32>, tensor<17x4xf32>) -> tensor<17x4xf32>
  %ip2 = "ncnn.InnerProduct"(%x) <{params = {num_output = 4 : i32, weight_data_size = 32 : i32}, weights = {weight = dense<0.5> : tensor<32xf32>}}> : (tensor<17x8xf32>) -> tensor<17x4xf32>
  %b = "ncnn.BinaryOp"(%ip2, %c) <{params = {op_type = 1 : i32}}> : (tensor<17x4xf32>, tensor<1x4xf32>) -> tensor<17x4xf32>
  %k = "ncnn.MemoryData"() <{params = {c = 4 : i32, h = 1 : i32, w = 1 : i32}, weights = {data = dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>}}> : () -> tensor<1x4x1x1xf32>
  %conv = "ncnn.Convolution"(%y) <{params = {num_output = 4 : i32, kernel_w = 1 : i32, weight_data_size = 12 : i32, bias_term = 1 : i32}, weights = {weight = dense<0.5> : tensor<12xf32>, bias = dense<[10.0, 20.0, 30.0, 40.0]> : tensor<4xf32>}}> : (tensor<1x3x5x5xf32>) -> tensor<1x4x5x5xf32>
  %d = "ncnn.BinaryOp"(%conv, %k) <{params = {op_type = 0 : i32}}> : (tensor<1x4x5x5xf32>, tensor<1x4x1x1xf32>) -> tensor<1x4x5x5xf32>
  %r = "ncnn.MemoryData"() <{params = {c = 1 : i32, h = 1 : i32, w = 4 : i32}, weights = {data = dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>}}> : () -> tensor<1x1x1x4xf32>
  %ip3 = "ncnn.InnerProduct"(%z) <{params = {num_output = 4 : i32, weight_data_size = 32 : i32}, weights = {weight = dense<0.5> : tensor<32xf32>}}> : (tensor<64x8xf32>) -> tensor<64x4xf32>
  %re = "ncnn.Reshape"(%ip3) <{params = {c = 4 : i32, h = 16 : i32, w = 4 : i32}}> : (tensor<64x4xf32>) -> tensor<4x16x4xf32>
  %e = "ncnn.BinaryOp"(%r, %re) <{params = {op_type = 0 : i32}}> : (tensor<1x1x1x4xf32>, tensor<4x16x4xf32>) -> tensor<4x16x4xf32>
  func.return %a, %b, %d, %e : tensor<17x4xf32>, tensor<17x4xf32>, tensor<1x4x5x5xf32>, tensor<4x16x4xf32>
}

// CHECK-LABEL: func.func @folded
// CHECK-NOT:  ncnn.MemoryData
// CHECK:      %[[A:.*]] = "ncnn.InnerProduct"(%x) <{params = {num_output = 4 : i32, weight_data_size = 32 : i32, bias_term = 1 : i32}, weights = {weight = {{.*}}, bias = #ncc.blob<"InnerProduct.bias
// CHECK-NEXT: %[[B:.*]] = "ncnn.InnerProduct"(%x) <{params = {{.*}}bias_term = 1 : i32}, weights = {weight = {{.*}}, bias = #ncc.blob<"InnerProduct.bias
// CHECK-NEXT: %[[D:.*]] = "ncnn.Convolution"(%y) <{params = {{.*}}bias_term = 1 : i32}, weights = {weight = {{.*}}, bias = #ncc.blob<"Convolution.bias
// CHECK-NEXT: %[[IP:.*]] = "ncnn.InnerProduct"(%z) <{params = {{.*}}bias_term = 1 : i32}
// CHECK-NEXT: %[[E:.*]] = "ncnn.Reshape"(%[[IP]])
// CHECK-NEXT: func.return %[[A]], %[[B]], %[[D]], %[[E]]

// Kept: c - x; a layer with a fused activation; a constant that varies along w of a conv's
// output; an add that broadcasts the layer's output; a layer output with another user.
func.func @kept(%x: tensor<17x8xf32>, %y: tensor<1x3x5x5xf32>, %v: tensor<1x8xf32>) -> (tensor<17x4xf32>, tensor<17x4xf32>, tensor<1x4x5x5xf32>, tensor<17x4xf32>, tensor<1x4xf32>, tensor<1x4xf32>) {
  %c = "ncnn.MemoryData"() <{params = {w = 4 : i32}, weights = {data = dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>}}> : () -> tensor<1x4xf32>
  %ip1 = "ncnn.InnerProduct"(%x) <{params = {num_output = 4 : i32, weight_data_size = 32 : i32}, weights = {weight = dense<0.5> : tensor<32xf32>}}> : (tensor<17x8xf32>) -> tensor<17x4xf32>
  %a = "ncnn.BinaryOp"(%c, %ip1) <{params = {op_type = 1 : i32}}> : (tensor<1x4xf32>, tensor<17x4xf32>) -> tensor<17x4xf32>
  %ip2 = "ncnn.InnerProduct"(%x) <{params = {num_output = 4 : i32, weight_data_size = 32 : i32, activation_type = 1 : i32}, weights = {weight = dense<0.5> : tensor<32xf32>}}> : (tensor<17x8xf32>) -> tensor<17x4xf32>
  %b = "ncnn.BinaryOp"(%ip2, %c) <{params = {op_type = 0 : i32}}> : (tensor<17x4xf32>, tensor<1x4xf32>) -> tensor<17x4xf32>
  %w = "ncnn.MemoryData"() <{params = {w = 5 : i32}, weights = {data = dense<[1.0, 2.0, 3.0, 4.0, 5.0]> : tensor<5xf32>}}> : () -> tensor<5xf32>
  %conv = "ncnn.Convolution"(%y) <{params = {num_output = 4 : i32, kernel_w = 1 : i32, weight_data_size = 12 : i32}, weights = {weight = dense<0.5> : tensor<12xf32>}}> : (tensor<1x3x5x5xf32>) -> tensor<1x4x5x5xf32>
  %d = "ncnn.BinaryOp"(%conv, %w) <{params = {op_type = 0 : i32}}> : (tensor<1x4x5x5xf32>, tensor<5xf32>) -> tensor<1x4x5x5xf32>
  %m = "ncnn.MemoryData"() <{params = {h = 17 : i32, w = 4 : i32}, weights = {data = dense<1.0> : tensor<68xf32>}}> : () -> tensor<17x4xf32>
  %ip3 = "ncnn.InnerProduct"(%v) <{params = {num_output = 4 : i32, weight_data_size = 32 : i32}, weights = {weight = dense<0.5> : tensor<32xf32>}}> : (tensor<1x8xf32>) -> tensor<1x4xf32>
  %e = "ncnn.BinaryOp"(%ip3, %m) <{params = {op_type = 0 : i32}}> : (tensor<1x4xf32>, tensor<17x4xf32>) -> tensor<17x4xf32>
  %ip4 = "ncnn.InnerProduct"(%v) <{params = {num_output = 4 : i32, weight_data_size = 32 : i32}, weights = {weight = dense<0.5> : tensor<32xf32>}}> : (tensor<1x8xf32>) -> tensor<1x4xf32>
  %f = "ncnn.BinaryOp"(%ip4, %c) <{params = {op_type = 0 : i32}}> : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x4xf32>
  func.return %a, %b, %d, %e, %f, %ip4 : tensor<17x4xf32>, tensor<17x4xf32>, tensor<1x4x5x5xf32>, tensor<17x4xf32>, tensor<1x4xf32>, tensor<1x4xf32>
}

// CHECK-LABEL: func.func @kept
// CHECK-NOT:  bias_term = 1
// CHECK:      func.return

// A constant the output is multiplied by along the bias axis (a per-channel layer scale, either
// operand order, or a scalar) scales the weight rows and the bias.
func.func @scaled(%x: tensor<17x8xf32>, %y: tensor<1x3x5x5xf32>) -> (tensor<17x4xf32>, tensor<1x4x5x5xf32>, tensor<17x4xf32>) {
  %c = "ncnn.MemoryData"() <{params = {w = 4 : i32}, weights = {data = dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>}}> : () -> tensor<1x4xf32>
  %ip1 = "ncnn.InnerProduct"(%x) <{params = {num_output = 4 : i32, weight_data_size = 32 : i32}, weights = {weight = dense<0.5> : tensor<32xf32>}}> : (tensor<17x8xf32>) -> tensor<17x4xf32>
  %a = "ncnn.BinaryOp"(%c, %ip1) <{params = {op_type = 2 : i32}}> : (tensor<1x4xf32>, tensor<17x4xf32>) -> tensor<17x4xf32>
  %k = "ncnn.MemoryData"() <{params = {c = 4 : i32, h = 1 : i32, w = 1 : i32}, weights = {data = dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>}}> : () -> tensor<1x4x1x1xf32>
  %conv = "ncnn.Convolution"(%y) <{params = {num_output = 4 : i32, kernel_w = 1 : i32, weight_data_size = 12 : i32, bias_term = 1 : i32}, weights = {weight = dense<0.5> : tensor<12xf32>, bias = dense<1.0> : tensor<4xf32>}}> : (tensor<1x3x5x5xf32>) -> tensor<1x4x5x5xf32>
  %d = "ncnn.BinaryOp"(%conv, %k) <{params = {op_type = 2 : i32}}> : (tensor<1x4x5x5xf32>, tensor<1x4x1x1xf32>) -> tensor<1x4x5x5xf32>
  %ip2 = "ncnn.InnerProduct"(%x) <{params = {num_output = 4 : i32, weight_data_size = 32 : i32}, weights = {weight = dense<0.5> : tensor<32xf32>}}> : (tensor<17x8xf32>) -> tensor<17x4xf32>
  %e = "ncnn.BinaryOp"(%ip2) <{params = {op_type = 2 : i32, with_scalar = 1 : i32, b = 0.25 : f32}}> : (tensor<17x4xf32>) -> tensor<17x4xf32>
  func.return %a, %d, %e : tensor<17x4xf32>, tensor<1x4x5x5xf32>, tensor<17x4xf32>
}

// CHECK-LABEL: func.func @scaled
// CHECK-NOT:  ncnn.MemoryData
// CHECK:      %[[A:.*]] = "ncnn.InnerProduct"(%x) <{params = {num_output = 4 : i32, weight_data_size = 32 : i32}, weights = {weight = #ncc.blob<"InnerProduct.weight
// CHECK-NEXT: %[[D:.*]] = "ncnn.Convolution"(%y) <{params = {{.*}}}, weights = {weight = #ncc.blob<"Convolution.weight{{.*}}, bias = #ncc.blob<"Convolution.bias
// CHECK-NEXT: %[[E:.*]] = "ncnn.InnerProduct"(%x) <{params = {num_output = 4 : i32, weight_data_size = 32 : i32}, weights = {weight = #ncc.blob<"InnerProduct.weight
// CHECK-NEXT: func.return %[[A]], %[[D]], %[[E]]
