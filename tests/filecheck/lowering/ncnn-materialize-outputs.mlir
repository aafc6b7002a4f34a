// RUN: ncc-opt %s -p ncnn-materialize-outputs | filecheck %s

// An output that is the model input gets a Noop; a constant output a MemoryData; an input
// that also feeds a layer is left to ncnn-insert-split. The constant, now unused, is erased.
func.func @main(%x: tensor<1x8xf32>, %y: tensor<1x8xf32>) -> (tensor<1x8xf32>, tensor<2xi64>, tensor<1x8xf32>, tensor<1x8xf32>) {
  %c = "onnx.Constant"() <{value = dense<[3, 8]> : tensor<2xi64>}> : () -> tensor<2xi64>
  %r = "ncnn.ReLU"(%y) : (tensor<1x8xf32>) -> tensor<1x8xf32>
  func.return %x, %c, %y, %r : tensor<1x8xf32>, tensor<2xi64>, tensor<1x8xf32>, tensor<1x8xf32>
}

// CHECK-NOT:  onnx.Constant
// CHECK:      %[[N:.*]] = "ncnn.Noop"(%x)
// CHECK-NEXT: %[[M:.*]] = "ncnn.MemoryData"() <{params = {w = 2 : i32}, weights = {data = #ncc.blob<"MemoryData.data{{.*}}">}}> : () -> tensor<2xi64>
// CHECK-NEXT: func.return %[[N]], %[[M]], %y, %r
// CHECK-NOT:  onnx.Constant
