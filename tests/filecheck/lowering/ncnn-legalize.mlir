// RUN: not ncc-opt %s -p ncnn-legalize 2>&1 | filecheck %s

// Anything that is not an ncnn layer stops the compile, named by node and op.
func.func @main(%x: tensor<1x8xf32>) -> tensor<1x8xf32> {
  %a = "ncnn.ReLU"(%x) : (tensor<1x8xf32>) -> tensor<1x8xf32>
  %b = "onnx.Node"(%a) <{op_type = "Hardmax", attrs = {axis = 1 : i64}}> {onnx_node = "/head/Hardmax"} : (tensor<1x8xf32>) -> tensor<1x8xf32>
  func.return %b : tensor<1x8xf32>
}

// CHECK: error: node '/head/Hardmax' (Hardmax): has no ncnn lowering (inputs [1, 8])
