// RUN: ncc-opt %s -p ncnn-fuse-shuffle-channel | filecheck %s

// Reshape (C → g, C/g) → Permute swapping the two → Reshape back is ShuffleChannel(g): groups 2
// and 3 of a 4-D Mat, and g = C/g = 2, where only the permute (not the shapes) tells a shuffle.
func.func @shuffles(%x: tensor<1x12x8x8xf32>, %y: tensor<1x4x8x8xf32>) -> (tensor<1x12x8x8xf32>, tensor<1x12x8x8xf32>, tensor<1x4x8x8xf32>) {
  %a1 = "ncnn.Reshape"(%x) <{params = {c = 2 : i32, d = 6 : i32, h = 8 : i32, w = 8 : i32}}> : (tensor<1x12x8x8xf32>) -> tensor<1x2x6x8x8xf32>
  %a2 = "ncnn.Permute"(%a1) <{params = {order_type = 6 : i32}}> : (tensor<1x2x6x8x8xf32>) -> tensor<1x6x2x8x8xf32>
  %a3 = "ncnn.Reshape"(%a2) <{params = {c = 12 : i32, h = 8 : i32, w = 8 : i32}}> : (tensor<1x6x2x8x8xf32>) -> tensor<1x12x8x8xf32>
  %b1 = "ncnn.Reshape"(%x) <{params = {c = 3 : i32, d = 4 : i32, h = 8 : i32, w = 8 : i32}}> : (tensor<1x12x8x8xf32>) -> tensor<1x3x4x8x8xf32>
  %b2 = "ncnn.Permute"(%b1) <{params = {order_type = 6 : i32}}> : (tensor<1x3x4x8x8xf32>) -> tensor<1x4x3x8x8xf32>
  %b3 = "ncnn.Reshape"(%b2) <{params = {c = 12 : i32, h = 8 : i32, w = 8 : i32}}> : (tensor<1x4x3x8x8xf32>) -> tensor<1x12x8x8xf32>
  %c1 = "ncnn.Reshape"(%y) <{params = {c = 2 : i32, d = 2 : i32, h = 8 : i32, w = 8 : i32}}> : (tensor<1x4x8x8xf32>) -> tensor<1x2x2x8x8xf32>
  %c2 = "ncnn.Permute"(%c1) <{params = {order_type = 6 : i32}}> : (tensor<1x2x2x8x8xf32>) -> tensor<1x2x2x8x8xf32>
  %c3 = "ncnn.Reshape"(%c2) <{params = {c = 4 : i32, h = 8 : i32, w = 8 : i32}}> : (tensor<1x2x2x8x8xf32>) -> tensor<1x4x8x8xf32>
  func.return %a3, %b3, %c3 : tensor<1x12x8x8xf32>, tensor<1x12x8x8xf32>, tensor<1x4x8x8xf32>
}

// CHECK-LABEL: func.func @shuffles
// CHECK-NEXT: %[[A:.*]] = "ncnn.ShuffleChannel"(%x) <{params = {group = 2 : i32}
// CHECK-NEXT: %[[B:.*]] = "ncnn.ShuffleChannel"(%x) <{params = {group = 3 : i32}
// CHECK-NEXT: %[[C:.*]] = "ncnn.ShuffleChannel"(%y) <{params = {group = 2 : i32}
// CHECK-NEXT: func.return %[[A]], %[[B]], %[[C]]

// Not shuffles: a Permute that swaps h and w (data moves inside each channel); a Permute whose
// result has another user; a last Reshape that does not come back to the input's Mat.
func.func @kept(%x: tensor<1x12x8x8xf32>) -> (tensor<1x12x8x8xf32>, tensor<1x12x8x8xf32>, tensor<1x6x2x8x8xf32>, tensor<1x6x2x64xf32>) {
  %a1 = "ncnn.Reshape"(%x) <{params = {c = 2 : i32, d = 6 : i32, h = 8 : i32, w = 8 : i32}}> : (tensor<1x12x8x8xf32>) -> tensor<1x2x6x8x8xf32>
  %a2 = "ncnn.Permute"(%a1) <{params = {order_type = 1 : i32}}> : (tensor<1x2x6x8x8xf32>) -> tensor<1x2x6x8x8xf32>
  %a3 = "ncnn.Reshape"(%a2) <{params = {c = 12 : i32, h = 8 : i32, w = 8 : i32}}> : (tensor<1x2x6x8x8xf32>) -> tensor<1x12x8x8xf32>
  %b1 = "ncnn.Reshape"(%x) <{params = {c = 2 : i32, d = 6 : i32, h = 8 : i32, w = 8 : i32}}> : (tensor<1x12x8x8xf32>) -> tensor<1x2x6x8x8xf32>
  %b2 = "ncnn.Permute"(%b1) <{params = {order_type = 6 : i32}}> : (tensor<1x2x6x8x8xf32>) -> tensor<1x6x2x8x8xf32>
  %b3 = "ncnn.Reshape"(%b2) <{params = {c = 12 : i32, h = 8 : i32, w = 8 : i32}}> : (tensor<1x6x2x8x8xf32>) -> tensor<1x12x8x8xf32>
  %c1 = "ncnn.Reshape"(%x) <{params = {c = 2 : i32, d = 6 : i32, h = 8 : i32, w = 8 : i32}}> : (tensor<1x12x8x8xf32>) -> tensor<1x2x6x8x8xf32>
  %c2 = "ncnn.Permute"(%c1) <{params = {order_type = 6 : i32}}> : (tensor<1x2x6x8x8xf32>) -> tensor<1x6x2x8x8xf32>
  %c3 = "ncnn.Reshape"(%c2) <{params = {c = 6 : i32, h = 2 : i32, w = 64 : i32}}> : (tensor<1x6x2x8x8xf32>) -> tensor<1x6x2x64xf32>
  func.return %a3, %b3, %b2, %c3 : tensor<1x12x8x8xf32>, tensor<1x12x8x8xf32>, tensor<1x6x2x8x8xf32>, tensor<1x6x2x64xf32>
}

// CHECK-LABEL: func.func @kept
// CHECK-NOT: ncnn.ShuffleChannel
// CHECK: func.return
