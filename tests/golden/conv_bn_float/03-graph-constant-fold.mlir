builtin.module attributes {canopy.inputs = ["x"], canopy.outputs = ["y"], canopy.weights = "weights.npz"} {
  func.func @main(%0: tensor<1x3x4x4xf32>) -> tensor<1x4x4x4xf32> {
    %1 = graph.const "bn.folded_weight" : tensor<4x3x3x3xf32>
    %2 = graph.const "bn.folded_bias" : tensor<4xf32>
    %3 = graph.conv2d %0, %1, %2 {onnx_node = "conv", strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x3x4x4xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
    %4 = graph.relu %3 {onnx_node = "relu"} : tensor<1x4x4x4xf32> -> tensor<1x4x4x4xf32>
    func.return %4 : tensor<1x4x4x4xf32>
  }
}
