builtin.module attributes {canopy.inputs = ["input"], canopy.outputs = ["output"], canopy.weights = "weights.npz"} {
  func.func @main(%0: tensor<1x5x9x9xf32>) -> tensor<1x7xf32> {
    %1 = graph.quantize %0 {onnx_node = "input_Q", canopy.target = "host", canopy.reason = "float <-> int8 conversion at the model boundary runs on the host", scale = 1.562500e-02 : f64, zero_point = 0 : i64} : tensor<1x5x9x9xf32> -> tensor<1x5x9x9xi8>
    %2 = graph.const "c3" : tensor<12x5x3x3xi8>
    %3 = graph.const "c6" : tensor<12xi32>
    %4 = graph.conv2d %1, %2, %3 {onnx_node = "l0", canopy.target = "accelerator", strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x5x9x9xi8>, tensor<12x5x3x3xi8>, tensor<12xi32>) -> tensor<1x12x5x5xi32>
    %5 = graph.requantize %4 {onnx_node = "l0.relu_Q", layer = "l0", output_scale = 2.500000e-01 : f64, canopy.target = "accelerator", shift = 11 : i64, zero_point = 0 : i64, clip_min = 0 : i64, clip_max = 127 : i64} : tensor<1x12x5x5xi32> -> tensor<1x12x5x5xi8>
    %6 = graph.reshape %5 {onnx_node = "l1", canopy.target = "accelerator"} : tensor<1x12x5x5xi8> -> tensor<1x300xi8>
    %7 = graph.const "c11" : tensor<7x300xi8>
    %8 = graph.const "c14" : tensor<7xi32>
    %9 = graph.dense %6, %7, %8 {onnx_node = "l2", canopy.target = "accelerator"} : (tensor<1x300xi8>, tensor<7x300xi8>, tensor<7xi32>) -> tensor<1x7xi32>
    %10 = graph.requantize %9 {onnx_node = "l2_Q", layer = "l2", output_scale = 8.000000e+00 : f64, canopy.target = "accelerator", shift = 12 : i64, zero_point = 0 : i64, clip_min = -128 : i64, clip_max = 127 : i64} : tensor<1x7xi32> -> tensor<1x7xi8>
    %11 = graph.dequantize %10 {onnx_node = "l2_DQ", canopy.target = "host", canopy.reason = "float <-> int8 conversion at the model boundary runs on the host", scale = 8.000000e+00 : f64, zero_point = 0 : i64} : tensor<1x7xi8> -> tensor<1x7xf32>
    func.return %11 : tensor<1x7xf32>
  }
}
