// RUN: ncc-opt %s -p 'set-input-shapes{shapes="x:1x3x8x8"}' | filecheck %s
// RUN: not ncc-opt %s -p set-input-shapes 2>&1 | filecheck %s --check-prefix=DYN

func.func @main(%x: tensor<?x3x?x?xf32>) -> tensor<?x3x?x?xf32> attributes {ncc.input_names = ["x"]} {
  %r = "onnx.Relu"(%x) : (tensor<?x3x?x?xf32>) -> tensor<?x3x?x?xf32>
  func.return %r : tensor<?x3x?x?xf32>
}

// CHECK: func.func @main(%{{.*}}: tensor<1x3x8x8xf32>)
// DYN: error: input 'x' has a dynamic shape ?x3x?x?; give it with --input-shape x=
