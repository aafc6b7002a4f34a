// RUN: ncc-opt %s -p ncnn-fold-permutes | filecheck %s

// Two Permutes that cancel disappear (also when the logical shapes differ but the Mat is the
// same); two that do not become one: (c,h,w) → (c,w,h) [code 1] → (w,c,h) [code 2] is code 4.
func.func @folded(%x: tensor<3x17x64xf32>, %y: tensor<2x5x7xf32>) -> (tensor<3x17x64xf32>, tensor<7x2x5xf32>) {
  %a = "ncnn.Permute"(%x) <{params = {order_type = 1 : i32}}> : (tensor<3x17x64xf32>) -> tensor<3x64x17xf32>
  %b = "ncnn.Permute"(%a) <{params = {order_type = 1 : i32}}> : (tensor<3x64x17xf32>) -> tensor<1x3x17x64xf32>
  %s = "ncnn.Sigmoid"(%b) : (tensor<1x3x17x64xf32>) -> tensor<3x17x64xf32>
  %c = "ncnn.Permute"(%y) <{params = {order_type = 1 : i32}}> : (tensor<2x5x7xf32>) -> tensor<2x7x5xf32>
  %d = "ncnn.Permute"(%c) <{params = {order_type = 2 : i32}}> : (tensor<2x7x5xf32>) -> tensor<7x2x5xf32>
  func.return %s, %d : tensor<3x17x64xf32>, tensor<7x2x5xf32>
}

// CHECK-LABEL: func.func @folded
// CHECK-NEXT: %[[S:.*]] = "ncnn.Sigmoid"(%x)
// CHECK-NEXT: %[[D:.*]] = "ncnn.Permute"(%y) <{params = {order_type = 4 : i32}
// CHECK-NEXT: func.return %[[S]], %[[D]]

// Kept: a first Permute with another user; a cancelling pair whose result is a function result
// of another logical type.
func.func @kept(%x: tensor<3x17x64xf32>) -> (tensor<3x17x64xf32>, tensor<3x64x17xf32>, tensor<1x3x17x64xf32>) {
  %a = "ncnn.Permute"(%x) <{params = {order_type = 1 : i32}}> : (tensor<3x17x64xf32>) -> tensor<3x64x17xf32>
  %b = "ncnn.Permute"(%a) <{params = {order_type = 1 : i32}}> : (tensor<3x64x17xf32>) -> tensor<3x17x64xf32>
  %c = "ncnn.Permute"(%x) <{params = {order_type = 1 : i32}}> : (tensor<3x17x64xf32>) -> tensor<3x64x17xf32>
  %d = "ncnn.Permute"(%c) <{params = {order_type = 1 : i32}}> : (tensor<3x64x17xf32>) -> tensor<1x3x17x64xf32>
  func.return %b, %a, %d : tensor<3x17x64xf32>, tensor<3x64x17xf32>, tensor<1x3x17x64xf32>
}

// CHECK-LABEL: func.func @kept
// CHECK-COUNT-4: ncnn.Permute
// CHECK: func.return
