builtin.module attributes {canopy.inputs = ["input"], canopy.outputs = ["output"], canopy.weights = "weights.npz", canopy.hw_config = {TARGET = "sim", HW_VER = "0.0.2", LOG_INP_WIDTH = 3 : i64, LOG_WGT_WIDTH = 3 : i64, LOG_ACC_WIDTH = 5 : i64, LOG_BATCH = 0 : i64, LOG_BLOCK_IN = 2 : i64, LOG_BLOCK_OUT = 2 : i64, LOG_UOP_BUFF_SIZE = 10 : i64, LOG_INP_BUFF_SIZE = 8 : i64, LOG_WGT_BUFF_SIZE = 9 : i64, LOG_ACC_BUFF_SIZE = 8 : i64, LOG_BUS_WIDTH = 6 : i64, CLOCK_MHZ = 100 : i64, DRAM_LATENCY_CYCLES = 64 : i64, ALU_MUL_BITS = 8 : i64}} {
  func.func @main(%0: tensor<1x4x7x7xf32>) -> tensor<1x16x4x4xf32> {
    %1 = graph.quantize %0 {onnx_node = "input_Q", scale = 1.562500e-02 : f64, zero_point = 0 : i64} : tensor<1x4x7x7xf32> -> tensor<1x4x7x7xi8>
    %2 = graph.const "c3" : tensor<8x4x3x3xi8>
    %3 = graph.const "c6" : tensor<8xi32>
    %4 = graph.conv2d %1, %2, %3 {onnx_node = "l0", strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x4x7x7xi8>, tensor<8x4x3x3xi8>, tensor<8xi32>) -> tensor<1x8x7x7xi32>
    %5 = graph.requantize %4 {onnx_node = "l0.relu_Q", layer = "l0", output_scale = 2.500000e-01 : f64, shift = 11 : i64, zero_point = 0 : i64, clip_min = 0 : i64, clip_max = 127 : i64} : tensor<1x8x7x7xi32> -> tensor<1x8x7x7xi8>
    %6 = graph.const "c11" : tensor<16x8x3x3xi8>
    %7 = graph.const "c14" : tensor<16xi32>
    %8 = graph.conv2d %5, %6, %7 {onnx_node = "l1", strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x8x7x7xi8>, tensor<16x8x3x3xi8>, tensor<16xi32>) -> tensor<1x16x4x4xi32>
    %9 = graph.requantize %8 {onnx_node = "l1.relu_Q", layer = "l1", output_scale = 4.000000e+00 : f64, shift = 11 : i64, zero_point = 0 : i64, clip_min = 0 : i64, clip_max = 127 : i64} : tensor<1x16x4x4xi32> -> tensor<1x16x4x4xi8>
    %10 = graph.dequantize %9 {onnx_node = "l1.relu_DQ", scale = 4.000000e+00 : f64, zero_point = 0 : i64} : tensor<1x16x4x4xi8> -> tensor<1x16x4x4xf32>
    func.return %10 : tensor<1x16x4x4xf32>
  }
}
