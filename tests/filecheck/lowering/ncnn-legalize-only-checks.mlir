// RUN: ncc-opt %s -p ncnn-legalize | filecheck %s

// ncnn-legalize only checks: layers nobody uses are legal, and stay (the conversion erases
// what it makes dead; nothing after it cleans up behind a pattern).
func.func @main(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> {
  %unused = "ncnn.MemoryData"() <{params = {w = 4 : i32}, weights = {}}> : () -> tensor<4xf32>
  %dead = "ncnn.Sigmoid"(%x) <{params = {}, weights = {}}> : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %y = "ncnn.ReLU"(%x) <{params = {}, weights = {}}> : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  func.return %y : tensor<1x4x8x8xf32>
}

// CHECK-LABEL: func.func @main
// CHECK-NEXT:    %unused = "ncnn.MemoryData"()
// CHECK-NEXT:    %dead = "ncnn.Sigmoid"(%x)
// CHECK-NEXT:    %y = "ncnn.ReLU"(%x)
// CHECK-NEXT:    func.return %y
