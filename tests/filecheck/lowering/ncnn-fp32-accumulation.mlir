// RUN: ncc-opt %s -p ncnn-fp32-accumulation | filecheck %s

// A 4096-term dot product keeps fp32 arithmetic (featmask 1); a 64-term one does not.
func.func @main(%x: tensor<1x4096xf32>, %y: tensor<1x64xf32>) -> (tensor<1x8xf32>, tensor<1x8xf32>) {
  %a = "ncnn.InnerProduct"(%x) <{params = {num_output = 8 : i32, weight_data_size = 32768 : i32}, weights = {weight = #ncc.blob<"w1">}}> : (tensor<1x4096xf32>) -> tensor<1x8xf32>
  %b = "ncnn.InnerProduct"(%y) <{params = {num_output = 8 : i32, weight_data_size = 512 : i32}, weights = {weight = #ncc.blob<"w2">}}> : (tensor<1x64xf32>) -> tensor<1x8xf32>
  func.return %a, %b : tensor<1x8xf32>, tensor<1x8xf32>
}

// CHECK:      "ncnn.InnerProduct"(%{{.*}}) <{params = {num_output = 8 : i32, weight_data_size = 32768 : i32, featmask = 1 : i32}
// CHECK-NEXT: "ncnn.InnerProduct"(%{{.*}}) <{params = {num_output = 8 : i32, weight_data_size = 512 : i32}

