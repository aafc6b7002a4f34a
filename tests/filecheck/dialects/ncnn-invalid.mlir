// RUN: ncc-opt %s --verify-diagnostics --split-input-file | filecheck %s

// Each ncnn layer's verifier checks its static result types against the Mats ncnn computes
// from its inputs' Mats (`infer_mat`, transcribed from the layer's forward in ncnn).
// A 3x3 Convolution of a (3, 8, 8) Mat gives (7, 6, 6): this result type agrees.
func.func @good(%x: tensor<1x3x8x8xf32>) -> tensor<1x7x6x6xf32> {
  %y = "ncnn.Convolution"(%x) <{params = {num_output = 7 : i32, kernel_w = 3 : i32}, weights = {}}> : (tensor<1x3x8x8xf32>) -> tensor<1x7x6x6xf32>
  func.return %y : tensor<1x7x6x6xf32>
}

// CHECK: "ncnn.Convolution"(%x) <{params = {num_output = 7 : i32, kernel_w = 3 : i32}, weights = {}}> : (tensor<1x3x8x8xf32>) -> tensor<1x7x6x6xf32>

// -----

// The same layer claiming a (7, 8, 8) result is rejected, naming both Mats.
func.func @bad(%x: tensor<1x3x8x8xf32>) -> tensor<1x7x8x8xf32> {
  %y = "ncnn.Convolution"(%x) <{params = {num_output = 7 : i32, kernel_w = 3 : i32}, weights = {}}> : (tensor<1x3x8x8xf32>) -> tensor<1x7x8x8xf32>
  func.return %y : tensor<1x7x8x8xf32>
}

// CHECK: ncnn.Convolution: result types disagree with ncnn's Mat rule: Convolution on input Mats [3, 8, 8] produces [7, 6, 6], but its result(s) expect [7, 8, 8]

// -----

// A result whose shape is not static is not checked (nothing to compare yet).
func.func @dynamic(%x: tensor<1x3x8x8xf32>) -> tensor<?x7x?x?xf32> {
  %y = "ncnn.Convolution"(%x) <{params = {num_output = 7 : i32, kernel_w = 3 : i32}, weights = {}}> : (tensor<1x3x8x8xf32>) -> tensor<?x7x?x?xf32>
  func.return %y : tensor<?x7x?x?xf32>
}

// CHECK: "ncnn.Convolution"(%x) <{params = {num_output = 7 : i32, kernel_w = 3 : i32}, weights = {}}> : (tensor<1x3x8x8xf32>) -> tensor<?x7x?x?xf32>
