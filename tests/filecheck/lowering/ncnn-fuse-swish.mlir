// RUN: ncc-opt %s -p ncnn-fuse-swish | filecheck %s

// x * sigmoid(x), either operand order, becomes Swish(x). A Sigmoid with another user, or a
// Mul of a different value, stays as it is.
func.func @main(%x: tensor<1x4x8x8xf32>, %y: tensor<1x4x8x8xf32>) -> (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>) {
  %s1 = "ncnn.Sigmoid"(%x) : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %m1 = "ncnn.BinaryOp"(%x, %s1) <{params = {op_type = 2 : i32}}> : (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %s2 = "ncnn.Sigmoid"(%y) : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %m2 = "ncnn.BinaryOp"(%s2, %y) <{params = {op_type = 2 : i32}}> : (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %s3 = "ncnn.Sigmoid"(%x) : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %m3 = "ncnn.BinaryOp"(%y, %s3) <{params = {op_type = 2 : i32}}> : (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  func.return %m1, %m2, %m3, %s3 : tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>
}

// CHECK:      %[[A:.*]] = "ncnn.Swish"(%x) {{.*}}-> tensor<1x4x8x8xf32>
// CHECK-NEXT: %[[B:.*]] = "ncnn.Swish"(%y) {{.*}}-> tensor<1x4x8x8xf32>
// CHECK-NEXT: %[[S3:.*]] = "ncnn.Sigmoid"(%x)
// CHECK-NEXT: %[[M3:.*]] = "ncnn.BinaryOp"(%y, %[[S3]])
// CHECK-NEXT: func.return %[[A]], %[[B]], %[[M3]], %[[S3]]
