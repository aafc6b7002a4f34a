// RUN: ncc-opt %s -p ncnn-fuse-slices | filecheck %s

// Crops that tile an axis become one Slice, in axis order whatever the crops' order: equal
// pieces as -233 each, unequal ones with the last as the rest. A crop that overlaps the tiling
// stays beside it.
func.func @tiled(%x: tensor<1x12x8x8xf32>, %y: tensor<1x12x8x8xf32>) -> (tensor<1x6x8x8xf32>, tensor<1x6x8x8xf32>, tensor<1x12x8x3xf32>, tensor<1x12x8x5xf32>, tensor<1x12x8x2xf32>) {
  %b = "ncnn.Crop"(%x) <{params = {starts = array<i32: 6>, ends = array<i32: 12>, axes = array<i32: 0>}}> : (tensor<1x12x8x8xf32>) -> tensor<1x6x8x8xf32>
  %a = "ncnn.Crop"(%x) <{params = {starts = array<i32: 0>, ends = array<i32: 6>, axes = array<i32: 0>}}> : (tensor<1x12x8x8xf32>) -> tensor<1x6x8x8xf32>
  %c = "ncnn.Crop"(%y) <{params = {starts = array<i32: 0>, ends = array<i32: 3>, axes = array<i32: -1>}}> : (tensor<1x12x8x8xf32>) -> tensor<1x12x8x3xf32>
  %d = "ncnn.Crop"(%y) <{params = {starts = array<i32: 3>, ends = array<i32: -233>, axes = array<i32: 2>}}> : (tensor<1x12x8x8xf32>) -> tensor<1x12x8x5xf32>
  %e = "ncnn.Crop"(%y) <{params = {starts = array<i32: 2>, ends = array<i32: 4>, axes = array<i32: 2>}}> : (tensor<1x12x8x8xf32>) -> tensor<1x12x8x2xf32>
  func.return %a, %b, %c, %d, %e : tensor<1x6x8x8xf32>, tensor<1x6x8x8xf32>, tensor<1x12x8x3xf32>, tensor<1x12x8x5xf32>, tensor<1x12x8x2xf32>
}

// CHECK-LABEL: func.func @tiled
// CHECK-NEXT: %a, %b = "ncnn.Slice"(%x) <{params = {slices = array<i32: -233, -233>, axis = 0 : i32}
// CHECK-NEXT: %c, %d = "ncnn.Slice"(%y) <{params = {slices = array<i32: 3, -233>, axis = 2 : i32}
// CHECK-NEXT: %e = "ncnn.Crop"(%y)
// CHECK-NEXT: func.return %a, %b, %c, %d, %e

// Kept: a gap between the pieces; pieces on different axes; a crop that cuts two axes.
func.func @kept(%x: tensor<1x12x8x8xf32>) -> (tensor<1x4x8x8xf32>, tensor<1x7x8x8xf32>, tensor<1x12x4x8xf32>, tensor<1x12x8x4xf32>, tensor<1x12x4x4xf32>) {
  %a = "ncnn.Crop"(%x) <{params = {starts = array<i32: 0>, ends = array<i32: 4>, axes = array<i32: 0>}}> : (tensor<1x12x8x8xf32>) -> tensor<1x4x8x8xf32>
  %b = "ncnn.Crop"(%x) <{params = {starts = array<i32: 5>, ends = array<i32: 12>, axes = array<i32: 0>}}> : (tensor<1x12x8x8xf32>) -> tensor<1x7x8x8xf32>
  %c = "ncnn.Crop"(%x) <{params = {starts = array<i32: 0>, ends = array<i32: 4>, axes = array<i32: 1>}}> : (tensor<1x12x8x8xf32>) -> tensor<1x12x4x8xf32>
  %d = "ncnn.Crop"(%x) <{params = {starts = array<i32: 4>, ends = array<i32: 8>, axes = array<i32: 2>}}> : (tensor<1x12x8x8xf32>) -> tensor<1x12x8x4xf32>
  %e = "ncnn.Crop"(%x) <{params = {starts = array<i32: 4, 4>, ends = array<i32: 8, 8>, axes = array<i32: 1, 2>}}> : (tensor<1x12x8x8xf32>) -> tensor<1x12x4x4xf32>
  func.return %a, %b, %c, %d, %e : tensor<1x4x8x8xf32>, tensor<1x7x8x8xf32>, tensor<1x12x4x8xf32>, tensor<1x12x8x4xf32>, tensor<1x12x4x4xf32>
}

// CHECK-LABEL: func.func @kept
// CHECK-NOT: ncnn.Slice
// CHECK: func.return
