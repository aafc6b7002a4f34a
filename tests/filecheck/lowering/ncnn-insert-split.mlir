// RUN: ncc-opt %s -p ncnn-insert-split | filecheck %s

// A blob may feed one ncnn layer only: the input feeds two layers and the return.
func.func @main(%x: tensor<1x8xf32>) -> (tensor<1x8xf32>, tensor<1x8xf32>) {
  %a = "ncnn.ReLU"(%x) : (tensor<1x8xf32>) -> tensor<1x8xf32>
  %b = "ncnn.BinaryOp"(%a, %x) <{params = {op_type = 2 : i32}}> : (tensor<1x8xf32>, tensor<1x8xf32>) -> tensor<1x8xf32>
  func.return %a, %b : tensor<1x8xf32>, tensor<1x8xf32>
}

// CHECK:      %[[X0:.*]], %[[X1:.*]] = "ncnn.Split"(%{{.*}})
// CHECK-NEXT: %[[A:.*]] = "ncnn.ReLU"(%[[X0]])
// CHECK-NEXT: %[[A0:.*]], %[[A1:.*]] = "ncnn.Split"(%[[A]])
// CHECK-NEXT: %[[B:.*]] = "ncnn.BinaryOp"(%[[A0]], %[[X1]])
// CHECK-NEXT: func.return %[[A1]], %[[B]]
