// RUN: ncc-opt %s -p ncnn-innerproduct-to-gemm | filecheck %s

// An InnerProduct on 17 rows of 192 with 192·192 weights becomes a Gemm with constant B
// (transposed) and the bias as a constant 1×N C; without a bias, no C.
func.func @rows(%x: tensor<17x192xf32>) -> (tensor<17x192xf32>, tensor<17x192xf32>) {
  %a = "ncnn.InnerProduct"(%x) <{params = {num_output = 192 : i32, weight_data_size = 36864 : i32, bias_term = 1 : i32}, weights = {weight = dense<0.5> : tensor<36864xf32>, bias = dense<1.0> : tensor<192xf32>}}> : (tensor<17x192xf32>) -> tensor<17x192xf32>
  %b = "ncnn.InnerProduct"(%x) <{params = {num_output = 192 : i32, weight_data_size = 36864 : i32}, weights = {weight = dense<0.5> : tensor<36864xf32>}}> : (tensor<17x192xf32>) -> tensor<17x192xf32>
  func.return %a, %b : tensor<17x192xf32>, tensor<17x192xf32>
}

// CHECK-LABEL: func.func @rows
// CHECK-NEXT: %[[A:.*]] = "ncnn.Gemm"(%x) <{params = {transB = 1 : i32, constantB = 1 : i32, constantC = 1 : i32, constantM = 17 : i32, constantN = 192 : i32, constantK = 192 : i32, constant_broadcast_type_C = 4 : i32}, weights = {B = #ncc.blob<{{.*}}>, C = #ncc.blob<{{.*}}>}}>
// CHECK-NEXT: %[[B:.*]] = "ncnn.Gemm"(%x) <{params = {{{.*}}constant_broadcast_type_C = -1 : i32}, weights = {B = #ncc.blob<{{.*}}>}}>
// CHECK-NEXT: func.return %[[A]], %[[B]]

// Kept: a fused activation; one row (a vector); small weights.
func.func @kept(%x: tensor<17x192xf32>, %v: tensor<1x192xf32>, %s: tensor<17x8xf32>) -> (tensor<17x192xf32>, tensor<1x192xf32>, tensor<17x4xf32>) {
  %a = "ncnn.InnerProduct"(%x) <{params = {num_output = 192 : i32, weight_data_size = 36864 : i32, activation_type = 1 : i32}, weights = {weight = dense<0.5> : tensor<36864xf32>}}> : (tensor<17x192xf32>) -> tensor<17x192xf32>
  %b = "ncnn.InnerProduct"(%v) <{params = {num_output = 192 : i32, weight_data_size = 36864 : i32}, weights = {weight = dense<0.5> : tensor<36864xf32>}}> : (tensor<1x192xf32>) -> tensor<1x192xf32>
  %c = "ncnn.InnerProduct"(%s) <{params = {num_output = 4 : i32, weight_data_size = 32 : i32}, weights = {weight = dense<0.5> : tensor<32xf32>}}> : (tensor<17x8xf32>) -> tensor<17x4xf32>
  func.return %a, %b, %c : tensor<17x192xf32>, tensor<1x192xf32>, tensor<17x4xf32>
}

// CHECK-LABEL: func.func @kept
// CHECK-NOT: ncnn.Gemm
// CHECK: func.return
