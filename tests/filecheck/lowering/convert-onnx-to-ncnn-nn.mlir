// RUN: ncc-opt %s -p convert-onnx-to-ncnn --split-input-file | filecheck %s

// Conv: asymmetric pads and strides become explicit per-side params (no auto_pad left for
// ncnn to resolve); every param whose ncnn default is another param is written.
func.func @conv(%x: tensor<1x3x8x9xf32>) -> tensor<1x4x4x9xf32> {
  %w = "onnx.Constant"() <{value = dense<0.5> : tensor<4x3x3x2xf32>}> : () -> tensor<4x3x3x2xf32>
  %b = "onnx.Constant"() <{value = dense<0.25> : tensor<4xf32>}> : () -> tensor<4xf32>
  %y = "onnx.Conv"(%x, %w, %b) <{pads = array<i64: 1, 0, 0, 1>, strides = array<i64: 2, 1>, group = 1 : i64}> : (tensor<1x3x8x9xf32>, tensor<4x3x3x2xf32>, tensor<4xf32>) -> tensor<1x4x4x9xf32>
  func.return %y : tensor<1x4x4x9xf32>
}

// CHECK-LABEL: func.func @conv
// CHECK:       "ncnn.Convolution"(%x) <{params = {num_output = 4 : i32, bias_term = 1 : i32, weight_data_size = 72 : i32, kernel_w = 2 : i32, kernel_h = 3 : i32, stride_w = 1 : i32, stride_h = 2 : i32, dilation_w = 1 : i32, dilation_h = 1 : i32, pad_left = 0 : i32, pad_right = 1 : i32, pad_top = 1 : i32, pad_bottom = 0 : i32}, weights = {weight = #ncc.blob<{{.*}}>, bias = #ncc.blob<{{.*}}>}}> : (tensor<1x3x8x9xf32>) -> tensor<1x4x4x9xf32>

// -----

// Grouped conv with SAME_UPPER: ConvolutionDepthWise, pads resolved from the static shape.
func.func @dw(%x: tensor<1x4x7x7xf32>) -> tensor<1x4x4x4xf32> {
  %w = "onnx.Constant"() <{value = dense<0.5> : tensor<4x1x3x3xf32>}> : () -> tensor<4x1x3x3xf32>
  %none = "onnx.NoValue"() : () -> none
  %y = "onnx.Conv"(%x, %w, %none) <{auto_pad = "SAME_UPPER", strides = array<i64: 2, 2>, group = 4 : i64}> : (tensor<1x4x7x7xf32>, tensor<4x1x3x3xf32>, none) -> tensor<1x4x4x4xf32>
  func.return %y : tensor<1x4x4x4xf32>
}

// CHECK-LABEL: func.func @dw
// CHECK:       "ncnn.ConvolutionDepthWise"(%x) <{params = {num_output = 4 : i32, bias_term = 0 : i32, weight_data_size = 36 : i32, {{.*}}pad_left = 1 : i32, pad_right = 1 : i32, pad_top = 1 : i32, pad_bottom = 1 : i32, group = 4 : i32}

// -----

// ConvTranspose: output_padding → output_pad_right/bottom.
func.func @deconv(%x: tensor<1x2x3x3xf32>) -> tensor<1x3x6x6xf32> {
  %w = "onnx.Constant"() <{value = dense<0.5> : tensor<2x3x3x3xf32>}> : () -> tensor<2x3x3x3xf32>
  %none = "onnx.NoValue"() : () -> none
  %y = "onnx.ConvTranspose"(%x, %w, %none) <{strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, output_padding = array<i64: 1, 1>}> : (tensor<1x2x3x3xf32>, tensor<2x3x3x3xf32>, none) -> tensor<1x3x6x6xf32>
  func.return %y : tensor<1x3x6x6xf32>
}

// CHECK-LABEL: func.func @deconv
// CHECK:       "ncnn.Deconvolution"(%x) <{params = {num_output = 3 : i32, {{.*}}pad_left = 1 : i32, pad_right = 1 : i32, pad_top = 1 : i32, pad_bottom = 1 : i32, output_pad_right = 1 : i32, output_pad_bottom = 1 : i32}

// -----

// MaxPool with ceil_mode: the partial last window becomes extra end padding, pad_mode 1.
func.func @maxpool(%x: tensor<1x3x10x11xf32>) -> tensor<1x3x5x5xf32> {
  %y = "onnx.MaxPool"(%x) <{kernel_shape = array<i64: 3, 3>, strides = array<i64: 2, 2>, ceil_mode = 1 : i64}> : (tensor<1x3x10x11xf32>) -> tensor<1x3x5x5xf32>
  func.return %y : tensor<1x3x5x5xf32>
}

// CHECK-LABEL: func.func @maxpool
// CHECK:       "ncnn.Pooling"(%x) <{params = {pooling_type = 0 : i32, pad_mode = 1 : i32, avgpool_count_include_pad = 0 : i32, kernel_w = 3 : i32, kernel_h = 3 : i32, stride_w = 2 : i32, stride_h = 2 : i32, pad_left = 0 : i32, pad_right = 0 : i32, pad_top = 0 : i32, pad_bottom = 1 : i32}, weights = {}}>

// -----

// GlobalAveragePool: ncnn's global pooling gives a 1-D Mat, reshaped back to (C, 1, 1).
func.func @gap(%x: tensor<1x8x5x5xf32>) -> tensor<1x8x1x1xf32> {
  %y = "onnx.GlobalAveragePool"(%x) : (tensor<1x8x5x5xf32>) -> tensor<1x8x1x1xf32>
  func.return %y : tensor<1x8x1x1xf32>
}

// CHECK-LABEL: func.func @gap
// CHECK:       %[[P:.*]] = "ncnn.Pooling"(%x) <{params = {pooling_type = 1 : i32, global_pooling = 1 : i32}, weights = {}}> : (tensor<1x8x5x5xf32>) -> tensor<8xf32>
// CHECK-NEXT:  "ncnn.Reshape"(%[[P]]) <{params = {c = 8 : i32, h = 1 : i32, w = 1 : i32}, weights = {}}> : (tensor<8xf32>) -> tensor<1x8x1x1xf32>

// -----

// Gemm with a constant B: InnerProduct (transB weight as is, alpha folded in, beta*C as bias).
func.func @gemm(%a: tensor<3x4xf32>) -> tensor<3x2xf32> {
  %b = "onnx.Constant"() <{value = dense<1.0> : tensor<2x4xf32>}> : () -> tensor<2x4xf32>
  %c = "onnx.Constant"() <{value = dense<1.0> : tensor<2xf32>}> : () -> tensor<2xf32>
  %y = "onnx.Gemm"(%a, %b, %c) <{transB = 1 : i64, alpha = 2.0 : f32}> : (tensor<3x4xf32>, tensor<2x4xf32>, tensor<2xf32>) -> tensor<3x2xf32>
  func.return %y : tensor<3x2xf32>
}

// CHECK-LABEL: func.func @gemm
// CHECK:       "ncnn.InnerProduct"(%a) <{params = {num_output = 2 : i32, weight_data_size = 8 : i32, bias_term = 1 : i32}

// -----

// MatMul of two activations: ncnn MatMul (batched, numpy broadcasting).
func.func @matmul(%a: tensor<1x4x5x6xf32>, %b: tensor<1x4x6x7xf32>) -> tensor<1x4x5x7xf32> {
  %y = "onnx.MatMul"(%a, %b) : (tensor<1x4x5x6xf32>, tensor<1x4x6x7xf32>) -> tensor<1x4x5x7xf32>
  func.return %y : tensor<1x4x5x7xf32>
}

// CHECK-LABEL: func.func @matmul
// CHECK:       "ncnn.MatMul"(%a, %b) <{params = {}, weights = {}}> : (tensor<1x4x5x6xf32>, tensor<1x4x6x7xf32>) -> tensor<1x4x5x7xf32>

// -----

// A [1, N] B keeps its leading 1 (rows of B are data): a (1, N) Mat, never the vector (N) that
// ncnn MatMul would read as a column (issue 9: [4, 1] x [1, 5]).
func.func @matmul_row_b(%a: tensor<4x1xf32>, %b: tensor<1x5xf32>) -> tensor<4x5xf32> {
  %y = "onnx.MatMul"(%a, %b) : (tensor<4x1xf32>, tensor<1x5xf32>) -> tensor<4x5xf32>
  func.return %y : tensor<4x5xf32>
}

// CHECK-LABEL: func.func @matmul_row_b
// CHECK:       %[[B:.*]] = "ncnn.Reshape"(%b) <{params = {h = 1 : i32, w = 5 : i32}, weights = {}}> : (tensor<1x5xf32>) -> tensor<1x1x5xf32>
// CHECK-NEXT:  "ncnn.MatMul"(%a, %[[B]])

// -----

// Gemm operands are never vectors: ncnn's x86 Gemm counts a packed vector's rows by its
// elempack (issue 9: transA with A [1, K] returned a quarter of the rows).
func.func @gemm_trans_a(%a: tensor<1x8xf32>, %b: tensor<1x5xf32>) -> tensor<8x5xf32> {
  %c = "onnx.NoValue"() : () -> none
  %y = "onnx.Gemm"(%a, %b, %c) <{transA = 1 : i64}> : (tensor<1x8xf32>, tensor<1x5xf32>, none) -> tensor<8x5xf32>
  func.return %y : tensor<8x5xf32>
}

// CHECK-LABEL: func.func @gemm_trans_a
// CHECK:       %[[A:.*]] = "ncnn.Reshape"(%a) <{params = {h = 1 : i32, w = 8 : i32}
// CHECK-NEXT:  %[[B:.*]] = "ncnn.Reshape"(%b) <{params = {h = 1 : i32, w = 5 : i32}
// CHECK-NEXT:  "ncnn.Gemm"(%[[A]], %[[B]]) <{params = {alpha = 1.000000e+00 : f32, transA = 1 : i32

// -----

// MatMul with a constant (K, N) right operand on a (1, L, K) sequence: InnerProduct per row.
func.func @linear(%a: tensor<1x5x6xf32>) -> tensor<1x5x3xf32> {
  %w = "onnx.Constant"() <{value = dense<1.0> : tensor<6x3xf32>}> : () -> tensor<6x3xf32>
  %y = "onnx.MatMul"(%a, %w) : (tensor<1x5x6xf32>, tensor<6x3xf32>) -> tensor<1x5x3xf32>
  func.return %y : tensor<1x5x3xf32>
}

// CHECK-LABEL: func.func @linear
// CHECK:       "ncnn.InnerProduct"(%a) <{params = {num_output = 3 : i32, weight_data_size = 18 : i32, bias_term = 0 : i32}
// CHECK-NOT:   "ncnn.Reshape"

// -----

// Standalone BatchNormalization and LayerNormalization over the last axis.
func.func @norms(%x: tensor<1x3x4x5xf32>) -> tensor<1x3x4x5xf32> {
  %c = "onnx.Constant"() <{value = dense<1.0> : tensor<3xf32>}> : () -> tensor<3xf32>
  %g = "onnx.Constant"() <{value = dense<1.0> : tensor<5xf32>}> : () -> tensor<5xf32>
  %none = "onnx.NoValue"() : () -> none
  %y = "onnx.BatchNormalization"(%x, %c, %c, %c, %c) <{epsilon = 1.0e-03 : f32}> : (tensor<1x3x4x5xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<1x3x4x5xf32>
  %z = "onnx.LayerNormalization"(%y, %g, %none) <{axis = -1 : i64, epsilon = 1.0e-05 : f32}> : (tensor<1x3x4x5xf32>, tensor<5xf32>, none) -> tensor<1x3x4x5xf32>
  func.return %z : tensor<1x3x4x5xf32>
}

// CHECK-LABEL: func.func @norms
// CHECK:       "ncnn.BatchNorm"(%x) <{params = {channels = 3 : i32, eps = 1.000000e-03 : f32}, weights = {slope = {{.*}}, mean = {{.*}}, var = {{.*}}, bias = {{.*}}}}>
// CHECK:       "ncnn.LayerNorm"(%{{.*}}) <{params = {affine_size = 5 : i32, eps = 1.000000e-05 : f32, affine = 1 : i32}

// -----

// torch's default nearest upsampling (asymmetric, floor) → Interp nearest with the output size.
func.func @resize(%x: tensor<1x3x5x6xf32>) -> tensor<1x3x10x12xf32> {
  %roi = "onnx.NoValue"() : () -> none
  %s = "onnx.Constant"() <{value = dense<[1.0, 1.0, 2.0, 2.0]> : tensor<4xf32>}> : () -> tensor<4xf32>
  %y = "onnx.Resize"(%x, %roi, %s, %roi) <{mode = "nearest", coordinate_transformation_mode = "asymmetric", nearest_mode = "floor"}> : (tensor<1x3x5x6xf32>, none, tensor<4xf32>, none) -> tensor<1x3x10x12xf32>
  func.return %y : tensor<1x3x10x12xf32>
}

// CHECK-LABEL: func.func @resize
// CHECK:       "ncnn.Interp"(%x) <{params = {output_height = 10 : i32, output_width = 12 : i32, resize_type = 1 : i32}

// -----

// ReduceMean over H, W: Reduction with Mat axes 1, 2 (batch dropped) and fixbug0=1.
func.func @reduce(%x: tensor<1x3x5x6xf32>) -> tensor<1x3x1x1xf32> {
  %axes = "onnx.Constant"() <{value = dense<[2, 3]> : tensor<2xi64>}> : () -> tensor<2xi64>
  %y = "onnx.ReduceMean"(%x, %axes) <{keepdims = 1 : i64}> : (tensor<1x3x5x6xf32>, tensor<2xi64>) -> tensor<1x3x1x1xf32>
  func.return %y : tensor<1x3x1x1xf32>
}

// CHECK-LABEL: func.func @reduce
// CHECK:       "ncnn.Reduction"(%x) <{params = {operation = 3 : i32, reduce_all = 0 : i32, axes = array<i32: 1, 2>, keepdims = 1 : i32, fixbug0 = 1 : i32}, weights = {}}>
