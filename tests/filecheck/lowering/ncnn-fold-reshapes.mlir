// RUN: ncc-opt %s -p ncnn-fold-reshapes | filecheck %s

// A Reshape that keeps the outer axis (3) and feeds only a Slice along it, whose pieces feed
// only Reshapes, is dropped: the Slice cuts its input, each piece a (1, p, ...) logical value.
func.func @slice(%x: tensor<3x3x17x16xf32>) -> (tensor<3x17x16xf32>, tensor<3x17x16xf32>, tensor<3x17x16xf32>) {
  %r = "ncnn.Reshape"(%x) <{params = {h = 3 : i32, w = 816 : i32}}> : (tensor<3x3x17x16xf32>) -> tensor<3x816xf32>
  %a, %b, %c = "ncnn.Slice"(%r) <{params = {slices = array<i32: 1, 1, 1>}}> : (tensor<3x816xf32>) -> (tensor<1x1x816xf32>, tensor<1x1x816xf32>, tensor<1x1x816xf32>)
  %a2 = "ncnn.Reshape"(%a) <{params = {c = 3 : i32, h = 17 : i32, w = 16 : i32}}> : (tensor<1x1x816xf32>) -> tensor<3x17x16xf32>
  %b2 = "ncnn.Reshape"(%b) <{params = {c = 3 : i32, h = 17 : i32, w = 16 : i32}}> : (tensor<1x1x816xf32>) -> tensor<3x17x16xf32>
  %c2 = "ncnn.Reshape"(%c) <{params = {c = 3 : i32, h = 17 : i32, w = 16 : i32}}> : (tensor<1x1x816xf32>) -> tensor<3x17x16xf32>
  func.return %a2, %b2, %c2 : tensor<3x17x16xf32>, tensor<3x17x16xf32>, tensor<3x17x16xf32>
}

// CHECK-LABEL: func.func @slice
// CHECK-NEXT: %[[A:.*]], %[[B:.*]], %[[C:.*]] = "ncnn.Slice"(%x) <{params = {slices = array<i32: 1, 1, 1>, axis = 0 : i32}{{.*}} -> (tensor<1x1x3x17x16xf32>, tensor<1x1x3x17x16xf32>, tensor<1x1x3x17x16xf32>)
// CHECK-NEXT: "ncnn.Reshape"(%[[A]])
// CHECK-NEXT: "ncnn.Reshape"(%[[B]])
// CHECK-NEXT: "ncnn.Reshape"(%[[C]])

// Kept: a Reshape that changes the outer axis; a piece used by something else than a Reshape.
func.func @kept(%x: tensor<3x3x17x16xf32>) -> (tensor<4x612xf32>, tensor<1x1x816xf32>, tensor<1x2x816xf32>) {
  %r = "ncnn.Reshape"(%x) <{params = {h = 4 : i32, w = 612 : i32}}> : (tensor<3x3x17x16xf32>) -> tensor<4x612xf32>
  %s = "ncnn.Sigmoid"(%r) : (tensor<4x612xf32>) -> tensor<4x612xf32>
  %r2 = "ncnn.Reshape"(%x) <{params = {h = 3 : i32, w = 816 : i32}}> : (tensor<3x3x17x16xf32>) -> tensor<3x816xf32>
  %a, %b = "ncnn.Slice"(%r2) <{params = {slices = array<i32: 1, -233>}}> : (tensor<3x816xf32>) -> (tensor<1x1x816xf32>, tensor<1x2x816xf32>)
  %n = "ncnn.Sigmoid"(%a) : (tensor<1x1x816xf32>) -> tensor<1x1x816xf32>
  func.return %s, %n, %b : tensor<4x612xf32>, tensor<1x1x816xf32>, tensor<1x2x816xf32>
}

// CHECK-LABEL: func.func @kept
// CHECK: "ncnn.Reshape"(%x)
// CHECK: "ncnn.Reshape"(%x)
// CHECK-NEXT: "ncnn.Slice"
