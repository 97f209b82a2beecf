builtin.module attributes {canopy.inputs = ["x"], canopy.outputs = ["y"], canopy.weights = "weights.npz"} {
  func.func @main(%0: tensor<1x3x4x4xf32>) -> tensor<1x4x4x4xf32> {
    %1 = graph.const "w" : tensor<4x3x3x3xf32>
    %2 = graph.const "b" : tensor<4xf32>
    %3 = graph.conv2d %0, %1, %2 {onnx_node = "conv", strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x3x4x4xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
    %4 = graph.const "gamma" : tensor<4xf32>
    %5 = graph.const "beta" : tensor<4xf32>
    %6 = graph.const "mean" : tensor<4xf32>
    %7 = graph.const "var" : tensor<4xf32>
    %8 = graph.batch_norm %3, %4, %5, %6, %7 {onnx_node = "bn", epsilon = 1.000000e-05 : f64} : (tensor<1x4x4x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
    %9 = graph.relu %8 {onnx_node = "relu"} : tensor<1x4x4x4xf32> -> tensor<1x4x4x4xf32>
    %10 = graph.reshape %9 {onnx_node = "flatten"} : tensor<1x4x4x4xf32> -> tensor<1x64xf32>
    %11 = graph.reshape %10 {onnx_node = "unflatten"} : tensor<1x64xf32> -> tensor<1x4x4x4xf32>
    func.return %11 : tensor<1x4x4x4xf32>
  }
}
