// RUN: ncc-opt %s -p onnx-fuse-attention --split-input-file | filecheck %s

// timm's attention: (q * scale) @ k^T → softmax → @ v becomes one onnx.Attention whose
// scale is the constant; the transpose of K is dropped (Attention takes K itself).
func.func @timm(%q: tensor<1x4x17x8xf32>, %k: tensor<1x4x17x8xf32>, %v: tensor<1x4x17x8xf32>) -> tensor<1x4x17x8xf32> {
  %s = "onnx.Constant"() <{value = dense<0.25> : tensor<f32>}> : () -> tensor<f32>
  %qs = "onnx.Mul"(%q, %s) : (tensor<1x4x17x8xf32>, tensor<f32>) -> tensor<1x4x17x8xf32>
  %kt = "onnx.Transpose"(%k) <{perm = array<i64: 0, 1, 3, 2>}> : (tensor<1x4x17x8xf32>) -> tensor<1x4x8x17xf32>
  %a = "onnx.MatMul"(%qs, %kt) : (tensor<1x4x17x8xf32>, tensor<1x4x8x17xf32>) -> tensor<1x4x17x17xf32>
  %p = "onnx.Softmax"(%a) <{axis = -1 : i64}> : (tensor<1x4x17x17xf32>) -> tensor<1x4x17x17xf32>
  %y = "onnx.MatMul"(%p, %v) : (tensor<1x4x17x17xf32>, tensor<1x4x17x8xf32>) -> tensor<1x4x17x8xf32>
  func.return %y : tensor<1x4x17x8xf32>
}

// CHECK-LABEL: func.func @timm
// CHECK-NOT:     onnx.MatMul
// CHECK:         %[[Y:.*]] = "onnx.Attention"(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) <{scale = 2.500000e-01 : f32{{.*}}}>
// CHECK-NEXT:    func.return %[[Y]]

// -----

// 3-D per-head operands (nn.MultiheadAttention), a scale on each side and an additive mask:
// reshaped to 4-D around the Attention, scales multiplied, mask passed on.
func.func @mha(%q: tensor<4x6x8xf32>, %kt: tensor<4x8x6xf32>, %v: tensor<4x6x8xf32>, %m: tensor<6x6xf32>) -> tensor<4x6x8xf32> {
  %s = "onnx.Constant"() <{value = dense<0.5> : tensor<1xf32>}> : () -> tensor<1xf32>
  %qs = "onnx.Mul"(%q, %s) : (tensor<4x6x8xf32>, tensor<1xf32>) -> tensor<4x6x8xf32>
  %ks = "onnx.Mul"(%kt, %s) : (tensor<4x8x6xf32>, tensor<1xf32>) -> tensor<4x8x6xf32>
  %a = "onnx.MatMul"(%qs, %ks) : (tensor<4x6x8xf32>, tensor<4x8x6xf32>) -> tensor<4x6x6xf32>
  %b = "onnx.Add"(%a, %m) : (tensor<4x6x6xf32>, tensor<6x6xf32>) -> tensor<4x6x6xf32>
  %p = "onnx.Softmax"(%b) <{axis = 2 : i64}> : (tensor<4x6x6xf32>) -> tensor<4x6x6xf32>
  %y = "onnx.MatMul"(%p, %v) : (tensor<4x6x6xf32>, tensor<4x6x8xf32>) -> tensor<4x6x8xf32>
  func.return %y : tensor<4x6x8xf32>
}

// CHECK-LABEL: func.func @mha
// CHECK:         "onnx.Transpose"(%{{.*}}) <{perm = array<i64: 0, 2, 1>}> : (tensor<4x8x6xf32>) -> tensor<4x6x8xf32>
// CHECK:         %[[A:.*]] = "onnx.Attention"({{.*}}) <{scale = 2.500000e-01 : f32{{.*}}}> : (tensor<1x4x6x8xf32>, tensor<1x4x6x8xf32>, tensor<1x4x6x8xf32>, tensor<6x6xf32>, none, none) -> tensor<1x4x6x8xf32>
// CHECK:         "onnx.Reshape"(%[[A]], %{{.*}}) <{allowzero = 0 : i64}> : (tensor<1x4x6x8xf32>, tensor<3xi64>) -> tensor<4x6x8xf32>

// -----

// A softmax over another axis is not attention: left alone.
func.func @other_axis(%q: tensor<4x6x8xf32>, %kt: tensor<4x8x6xf32>, %v: tensor<4x6x8xf32>) -> tensor<4x6x8xf32> {
  %a = "onnx.MatMul"(%q, %kt) : (tensor<4x6x8xf32>, tensor<4x8x6xf32>) -> tensor<4x6x6xf32>
  %p = "onnx.Softmax"(%a) <{axis = 1 : i64}> : (tensor<4x6x6xf32>) -> tensor<4x6x6xf32>
  %y = "onnx.MatMul"(%p, %v) : (tensor<4x6x6xf32>, tensor<4x6x8xf32>) -> tensor<4x6x8xf32>
  func.return %y : tensor<4x6x8xf32>
}

// CHECK-LABEL: func.func @other_axis
// CHECK-NOT:     onnx.Attention

// -----

// A batch of 2 (MobileViT's patches, q and k each scaled): merged into the heads by Reshapes
// (2·4 = 8 heads), the Attention's result reshaped back.
func.func @batched(%q: tensor<2x4x17x8xf32>, %k: tensor<2x4x17x8xf32>, %v: tensor<2x4x17x8xf32>) -> tensor<2x4x17x8xf32> {
  %s = "onnx.Constant"() <{value = dense<0.5> : tensor<f32>}> : () -> tensor<f32>
  %qs = "onnx.Mul"(%q, %s) : (tensor<2x4x17x8xf32>, tensor<f32>) -> tensor<2x4x17x8xf32>
  %kt = "onnx.Transpose"(%k) <{perm = array<i64: 0, 1, 3, 2>}> : (tensor<2x4x17x8xf32>) -> tensor<2x4x8x17xf32>
  %ks = "onnx.Mul"(%kt, %s) : (tensor<2x4x8x17xf32>, tensor<f32>) -> tensor<2x4x8x17xf32>
  %a = "onnx.MatMul"(%qs, %ks) : (tensor<2x4x17x8xf32>, tensor<2x4x8x17xf32>) -> tensor<2x4x17x17xf32>
  %p = "onnx.Softmax"(%a) <{axis = -1 : i64}> : (tensor<2x4x17x17xf32>) -> tensor<2x4x17x17xf32>
  %y = "onnx.MatMul"(%p, %v) : (tensor<2x4x17x17xf32>, tensor<2x4x17x8xf32>) -> tensor<2x4x17x8xf32>
  func.return %y : tensor<2x4x17x8xf32>
}

// CHECK-LABEL: func.func @batched
// CHECK-NOT:     onnx.MatMul
// CHECK:         %[[A:.*]] = "onnx.Attention"({{.*}}) <{scale = 2.500000e-01 : f32{{.*}}}> : (tensor<1x8x17x8xf32>, tensor<1x8x17x8xf32>, tensor<1x8x17x8xf32>, {{.*}}) -> tensor<1x8x17x8xf32>
// CHECK:         %[[Y:.*]] = "onnx.Reshape"(%[[A]], {{.*}}) -> tensor<2x4x17x8xf32>
// CHECK-NEXT:    func.return %[[Y]]
