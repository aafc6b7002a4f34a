// RUN: ncc-opt %s -p convert-onnx-to-ncnn --split-input-file | filecheck %s

// Transpose → Permute: the Mat perm (c,h,w) → (h,c,w) reads "WCH" reversed, order_type 2.
func.func @transpose(%x: tensor<1x3x4x5xf32>) -> tensor<1x4x3x5xf32> {
  %y = "onnx.Transpose"(%x) <{perm = array<i64: 0, 2, 1, 3>}> : (tensor<1x3x4x5xf32>) -> tensor<1x4x3x5xf32>
  func.return %y : tensor<1x4x3x5xf32>
}

// CHECK-LABEL: func.func @transpose(
// CHECK-NEXT:    %y = "ncnn.Permute"(%x) <{params = {order_type = 2 : i32}, weights = {}}> : (tensor<1x3x4x5xf32>) -> tensor<1x4x3x5xf32>
// CHECK-NEXT:    func.return %y

// -----

// Only size-1 axes move: no data moves, a Reshape to the result's Mat is enough.
func.func @transpose_size1(%x: tensor<1x4x5xf32>) -> tensor<4x1x5xf32> {
  %y = "onnx.Transpose"(%x) <{perm = array<i64: 1, 0, 2>}> : (tensor<1x4x5xf32>) -> tensor<4x1x5xf32>
  func.return %y : tensor<4x1x5xf32>
}

// CHECK-LABEL: func.func @transpose_size1
// CHECK-NEXT:    %y = "ncnn.Reshape"(%x) <{params = {c = 4 : i32, h = 1 : i32, w = 5 : i32}, weights = {}}> : (tensor<1x4x5xf32>) -> tensor<4x1x5xf32>
// CHECK-NOT:     ncnn.Permute

// -----

// The dropped batch axis moves inside: Permute the Mat (4,5) → (5,4) into a carrier
// type (1,5,4), then Reshape to the result's Mat (5,1,4).
func.func @transpose_out_of_batch(%x: tensor<1x4x5xf32>) -> tensor<5x1x4xf32> {
  %y = "onnx.Transpose"(%x) <{perm = array<i64: 2, 0, 1>}> : (tensor<1x4x5xf32>) -> tensor<5x1x4xf32>
  func.return %y : tensor<5x1x4xf32>
}

// CHECK-LABEL: func.func @transpose_out_of_batch
// CHECK-NEXT:    %[[P:.*]] = "ncnn.Permute"(%x) <{params = {order_type = 1 : i32}, weights = {}}> : (tensor<1x4x5xf32>) -> tensor<1x5x4xf32>
// CHECK-NEXT:    %{{.*}} = "ncnn.Reshape"(%[[P]]) <{params = {c = 5 : i32, h = 1 : i32, w = 4 : i32}, weights = {}}> : (tensor<1x5x4xf32>) -> tensor<5x1x4xf32>

// -----

// Concat along a batch that carries data: the (1,3,4) input, whose Mat dropped the batch,
// is lifted to a (1,3,4) Mat so that both inputs have the output's Mat rank.
func.func @concat(%x: tensor<1x3x4xf32>, %z: tensor<2x3x4xf32>) -> tensor<3x3x4xf32> {
  %y = "onnx.Concat"(%x, %z) <{axis = 0 : i64}> : (tensor<1x3x4xf32>, tensor<2x3x4xf32>) -> tensor<3x3x4xf32>
  func.return %y : tensor<3x3x4xf32>
}

// CHECK-LABEL: func.func @concat
// CHECK-NEXT:    %[[L:.*]] = "ncnn.Reshape"(%x) <{params = {c = 1 : i32, h = 3 : i32, w = 4 : i32}, weights = {}}> : (tensor<1x3x4xf32>) -> tensor<1x1x3x4xf32>
// CHECK-NEXT:    %{{.*}} = "ncnn.Concat"(%[[L]], %z) <{params = {axis = 0 : i32}, weights = {}}> : (tensor<1x1x3x4xf32>, tensor<2x3x4xf32>) -> tensor<3x3x4xf32>

// -----

// Split → Slice. ncnn keeps the piece a 2-D (1,4) Mat while the logical (1,4) result has
// the Mat (4,): the piece gets a carrier type and a Reshape.
func.func @split(%x: tensor<3x4xf32>) -> (tensor<1x4xf32>, tensor<2x4xf32>) {
  %s = "onnx.Constant"() <{value = dense<[1, 2]> : tensor<2xi64>}> : () -> tensor<2xi64>
  %a, %b = "onnx.Split"(%x, %s) <{axis = 0 : i64}> : (tensor<3x4xf32>, tensor<2xi64>) -> (tensor<1x4xf32>, tensor<2x4xf32>)
  func.return %a, %b : tensor<1x4xf32>, tensor<2x4xf32>
}

// CHECK-LABEL: func.func @split
// CHECK:         %[[A:.*]], %b = "ncnn.Slice"(%x) <{params = {slices = array<i32: 1, 2>, axis = 0 : i32}, weights = {}}> : (tensor<3x4xf32>) -> (tensor<1x1x4xf32>, tensor<2x4xf32>)
// CHECK-NEXT:    %a = "ncnn.Reshape"(%[[A]]) <{params = {w = 4 : i32}, weights = {}}> : (tensor<1x1x4xf32>) -> tensor<1x4xf32>

// -----

// Slice → Crop on Mat axes: starts/ends normalised and clamped (no ncnn end=0 trap).
func.func @slice(%x: tensor<1x6x4x5xf32>) -> tensor<1x3x4x4xf32> {
  %st = "onnx.Constant"() <{value = dense<[1, -4]> : tensor<2xi64>}> : () -> tensor<2xi64>
  %en = "onnx.Constant"() <{value = dense<[4, 1000]> : tensor<2xi64>}> : () -> tensor<2xi64>
  %ax = "onnx.Constant"() <{value = dense<[1, 3]> : tensor<2xi64>}> : () -> tensor<2xi64>
  %none = "onnx.NoValue"() : () -> none
  %y = "onnx.Slice"(%x, %st, %en, %ax, %none) : (tensor<1x6x4x5xf32>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>, none) -> tensor<1x3x4x4xf32>
  func.return %y : tensor<1x3x4x4xf32>
}

// CHECK-LABEL: func.func @slice
// CHECK:         %y = "ncnn.Crop"(%x) <{params = {starts = array<i32: 1, 1>, ends = array<i32: 4, 5>, axes = array<i32: 0, 2>}, weights = {}}> : (tensor<1x6x4x5xf32>) -> tensor<1x3x4x4xf32>

// -----

// Pad constant on c, h, w of a 3-D Mat: front/behind, top/bottom, left/right.
func.func @pad(%x: tensor<1x3x4x5xf32>) -> tensor<1x6x7x8xf32> {
  %p = "onnx.Constant"() <{value = dense<[0, 2, 1, 2, 0, 1, 2, 1]> : tensor<8xi64>}> : () -> tensor<8xi64>
  %v = "onnx.Constant"() <{value = dense<1.5> : tensor<f32>}> : () -> tensor<f32>
  %none = "onnx.NoValue"() : () -> none
  %y = "onnx.Pad"(%x, %p, %v, %none) <{mode = "constant"}> : (tensor<1x3x4x5xf32>, tensor<8xi64>, tensor<f32>, none) -> tensor<1x6x7x8xf32>
  func.return %y : tensor<1x6x7x8xf32>
}

// CHECK-LABEL: func.func @pad(
// CHECK:         %y = "ncnn.Padding"(%x) <{params = {front = 2 : i32, behind = 1 : i32, top = 1 : i32, bottom = 2 : i32, left = 2 : i32, right = 1 : i32, type = 0 : i32, value = 1.500000e+00 : f32}, weights = {}}>

// -----

// Reflect on d of a 4-D Mat: front/behind, type 2.
func.func @pad_reflect_5d(%x: tensor<1x3x4x5x6xf32>) -> tensor<1x3x5x5x6xf32> {
  %p = "onnx.Constant"() <{value = dense<[1, 0]> : tensor<2xi64>}> : () -> tensor<2xi64>
  %a = "onnx.Constant"() <{value = dense<[2]> : tensor<1xi64>}> : () -> tensor<1xi64>
  %none = "onnx.NoValue"() : () -> none
  %y = "onnx.Pad"(%x, %p, %none, %a) <{mode = "reflect"}> : (tensor<1x3x4x5x6xf32>, tensor<2xi64>, none, tensor<1xi64>) -> tensor<1x3x5x5x6xf32>
  func.return %y : tensor<1x3x5x5x6xf32>
}

// CHECK-LABEL: func.func @pad_reflect_5d
// CHECK:         %y = "ncnn.Padding"(%x) <{params = {front = 1 : i32, behind = 0 : i32, type = 2 : i32}, weights = {}}>

// -----

// DepthToSpace DCR → PixelShuffle mode 1 (CRD would be mode 0).
func.func @d2s(%x: tensor<1x8x3x4xf32>) -> tensor<1x2x6x8xf32> {
  %y = "onnx.DepthToSpace"(%x) <{blocksize = 2 : i64, mode = "DCR"}> : (tensor<1x8x3x4xf32>) -> tensor<1x2x6x8xf32>
  func.return %y : tensor<1x2x6x8xf32>
}

// CHECK-LABEL: func.func @d2s
// CHECK-NEXT:    %y = "ncnn.PixelShuffle"(%x) <{params = {upscale_factor = 2 : i32, mode = 1 : i32}, weights = {}}>

// -----

// SpaceToDepth → Reorg mode 1 (ONNX's channel order).
func.func @s2d(%x: tensor<1x2x6x8xf32>) -> tensor<1x8x3x4xf32> {
  %y = "onnx.SpaceToDepth"(%x) <{blocksize = 2 : i64}> : (tensor<1x2x6x8xf32>) -> tensor<1x8x3x4xf32>
  func.return %y : tensor<1x8x3x4xf32>
}

// CHECK-LABEL: func.func @s2d
// CHECK-NEXT:    %y = "ncnn.Reorg"(%x) <{params = {stride = 2 : i32, mode = 1 : i32}, weights = {}}>

// -----

// Reshape → ncnn Reshape to the result's Mat (12, 5).
func.func @reshape(%x: tensor<1x3x4x5xf32>) -> tensor<1x12x5xf32> {
  %s = "onnx.Constant"() <{value = dense<[1, -1, 5]> : tensor<3xi64>}> : () -> tensor<3xi64>
  %y = "onnx.Reshape"(%x, %s) <{allowzero = 0 : i64}> : (tensor<1x3x4x5xf32>, tensor<3xi64>) -> tensor<1x12x5xf32>
  func.return %y : tensor<1x12x5xf32>
}

// CHECK-LABEL: func.func @reshape
// CHECK:         %y = "ncnn.Reshape"(%x) <{params = {h = 12 : i32, w = 5 : i32}, weights = {}}> : (tensor<1x3x4x5xf32>) -> tensor<1x12x5xf32>

// -----

// Tile → ncnn Tile with numpy-style repeats over the Mat axes (c, h, w).
func.func @tile(%x: tensor<1x4x6x6xf32>) -> tensor<1x8x6x12xf32> {
  %r = "onnx.Constant"() <{value = dense<[1, 2, 1, 2]> : tensor<4xi64>}> : () -> tensor<4xi64>
  %y = "onnx.Tile"(%x, %r) : (tensor<1x4x6x6xf32>, tensor<4xi64>) -> tensor<1x8x6x12xf32>
  func.return %y : tensor<1x8x6x12xf32>
}

// CHECK-LABEL: func.func @tile(
// CHECK:         %y = "ncnn.Tile"(%x) <{params = {repeats = array<i32: 2, 1, 2>}, weights = {}}> : (tensor<1x4x6x6xf32>) -> tensor<1x8x6x12xf32>

// -----

// Tiling the batch of 1 into frames: the input is lifted to a 4-D Mat (1, 4, 6, 6) first.
func.func @tile_batch(%x: tensor<1x4x6x6xf32>) -> tensor<3x4x6x6xf32> {
  %r = "onnx.Constant"() <{value = dense<[3, 1, 1, 1]> : tensor<4xi64>}> : () -> tensor<4xi64>
  %y = "onnx.Tile"(%x, %r) : (tensor<1x4x6x6xf32>, tensor<4xi64>) -> tensor<3x4x6x6xf32>
  func.return %y : tensor<3x4x6x6xf32>
}

// CHECK-LABEL: func.func @tile_batch
// CHECK:         %[[L:.*]] = "ncnn.Reshape"(%x) <{params = {c = 1 : i32, d = 4 : i32, h = 6 : i32, w = 6 : i32}, weights = {}}>
// CHECK-NEXT:    %{{.*}} = "ncnn.Tile"(%[[L]]) <{params = {repeats = array<i32: 3, 1, 1, 1>}, weights = {}}> : (tensor<1x1x4x6x6xf32>) -> tensor<3x4x6x6xf32>

// -----

// A constant pad of the frames axis of (T, C, H, W) — the c axis of a 4-D Mat, which
// Padding cannot reach — is a Concat with a constant block (the temporal shift's zeros).
func.func @pad_frames(%x: tensor<3x2x4x4xf32>) -> tensor<4x2x4x4xf32> {
  %p = "onnx.Constant"() <{value = dense<[0, 0, 0, 0, 1, 0, 0, 0]> : tensor<8xi64>}> : () -> tensor<8xi64>
  %none = "onnx.NoValue"() : () -> none
  %y = "onnx.Pad"(%x, %p, %none, %none) <{mode = "constant"}> : (tensor<3x2x4x4xf32>, tensor<8xi64>, none, none) -> tensor<4x2x4x4xf32>
  func.return %y : tensor<4x2x4x4xf32>
}

// CHECK-LABEL: func.func @pad_frames
// CHECK:         %[[Z:.*]] = "ncnn.MemoryData"() <{params = {c = 1 : i32, d = 2 : i32, h = 4 : i32, w = 4 : i32}, weights = {data = #ncc.blob<"{{.*}}">}}> : () -> tensor<1x1x2x4x4xf32>
// CHECK-NEXT:    %{{.*}} = "ncnn.Concat"(%x, %[[Z]]) <{params = {axis = 0 : i32}, weights = {}}> : (tensor<3x2x4x4xf32>, tensor<1x1x2x4x4xf32>) -> tensor<4x2x4x4xf32>
