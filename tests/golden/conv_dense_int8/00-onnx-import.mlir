builtin.module attributes {canopy.inputs = ["input"], canopy.outputs = ["output"], canopy.weights = "weights.npz"} {
  func.func @main(%0: tensor<1x5x9x9xf32>) -> tensor<1x7xf32> {
    %1 = graph.quantize %0 {onnx_node = "input_Q", scale = 1.562500e-02 : f64, zero_point = 0 : i64} : tensor<1x5x9x9xf32> -> tensor<1x5x9x9xi8>
    %2 = graph.dequantize %1 {onnx_node = "input_DQ", scale = 1.562500e-02 : f64, zero_point = 0 : i64} : tensor<1x5x9x9xi8> -> tensor<1x5x9x9xf32>
    %3 = graph.const "c3" : tensor<12x5x3x3xi8>
    %4 = graph.dequantize %3 {onnx_node = "w2_DQ", scale = 7.812500e-03 : f64, zero_point = 0 : i64} : tensor<12x5x3x3xi8> -> tensor<12x5x3x3xf32>
    %5 = graph.const "c6" : tensor<12xi32>
    %6 = graph.dequantize %5 {onnx_node = "w3_DQ", scale = 0.0001220703125 : f64, zero_point = 0 : i64} : tensor<12xi32> -> tensor<12xf32>
    %7 = graph.conv2d %2, %4, %6 {onnx_node = "l0", strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x5x9x9xf32>, tensor<12x5x3x3xf32>, tensor<12xf32>) -> tensor<1x12x5x5xf32>
    %8 = graph.relu %7 {onnx_node = "l0_relu"} : tensor<1x12x5x5xf32> -> tensor<1x12x5x5xf32>
    %9 = graph.quantize %8 {onnx_node = "l0.relu_Q", scale = 2.500000e-01 : f64, zero_point = 0 : i64} : tensor<1x12x5x5xf32> -> tensor<1x12x5x5xi8>
    %10 = graph.dequantize %9 {onnx_node = "l0.relu_DQ", scale = 2.500000e-01 : f64, zero_point = 0 : i64} : tensor<1x12x5x5xi8> -> tensor<1x12x5x5xf32>
    %11 = graph.reshape %10 {onnx_node = "l1"} : tensor<1x12x5x5xf32> -> tensor<1x300xf32>
    %12 = graph.const "c11" : tensor<7x300xi8>
    %13 = graph.dequantize %12 {onnx_node = "w9_DQ", scale = 7.812500e-03 : f64, zero_point = 0 : i64} : tensor<7x300xi8> -> tensor<7x300xf32>
    %14 = graph.const "c14" : tensor<7xi32>
    %15 = graph.dequantize %14 {onnx_node = "w10_DQ", scale = 0.001953125 : f64, zero_point = 0 : i64} : tensor<7xi32> -> tensor<7xf32>
    %16 = graph.dense %11, %13, %15 {onnx_node = "l2"} : (tensor<1x300xf32>, tensor<7x300xf32>, tensor<7xf32>) -> tensor<1x7xf32>
    %17 = graph.quantize %16 {onnx_node = "l2_Q", scale = 8.000000e+00 : f64, zero_point = 0 : i64} : tensor<1x7xf32> -> tensor<1x7xi8>
    %18 = graph.dequantize %17 {onnx_node = "l2_DQ", scale = 8.000000e+00 : f64, zero_point = 0 : i64} : tensor<1x7xi8> -> tensor<1x7xf32>
    func.return %18 : tensor<1x7xf32>
  }
}
