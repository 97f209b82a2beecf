builtin.module attributes {canopy.inputs = ["input"], canopy.outputs = ["output"], canopy.weights = "weights.npz", canopy.hw_config = {TARGET = "sim", HW_VER = "0.0.2", LOG_INP_WIDTH = 3 : i64, LOG_WGT_WIDTH = 3 : i64, LOG_ACC_WIDTH = 5 : i64, LOG_BATCH = 0 : i64, LOG_BLOCK_IN = 2 : i64, LOG_BLOCK_OUT = 2 : i64, LOG_UOP_BUFF_SIZE = 10 : i64, LOG_INP_BUFF_SIZE = 8 : i64, LOG_WGT_BUFF_SIZE = 9 : i64, LOG_ACC_BUFF_SIZE = 8 : i64, LOG_BUS_WIDTH = 6 : i64, CLOCK_MHZ = 100 : i64, DRAM_LATENCY_CYCLES = 64 : i64, ALU_MUL_BITS = 8 : i64}} {
  tile.tensor "input" {logical_shape = array<i64: 1, 4, 7, 7>, scale = 1.562500e-02 : f64, zero_point = 0 : i64, onnx_name = "input", type = tensor<1x1x7x7x1x4xi8>, role = "input"}
  tile.tensor "output" {logical_shape = array<i64: 1, 16, 4, 4>, scale = 4.000000e+00 : f64, zero_point = 0 : i64, onnx_name = "output", type = tensor<1x4x4x4x1x4xi8>, role = "output"}
  tile.tensor "l0.out" {logical_shape = array<i64: 1, 8, 7, 7>, type = tensor<1x2x7x7x1x4xi8>, role = "scratch"}
  tile.tensor "c3.packed" {weight = "c3.packed", type = tensor<2x1x3x3x4x4xi8>, role = "weight"}
  tile.tensor "l0.bias.folded.packed" {weight = "l0.bias.folded.packed", type = tensor<2x1x4xi32>, role = "weight"}
  tile.tensor "c11.packed" {weight = "c11.packed", type = tensor<4x2x3x3x4x4xi8>, role = "weight"}
  tile.tensor "c14.packed" {weight = "c14.packed", type = tensor<4x1x4xi32>, role = "weight"}
  tile.kernel "l0" attributes {tiling = {tob = 1 : i64, toh = 1 : i64, tib = 1 : i64, dram_bytes = 1464 : i64, buffers = 2 : i64, resident = 2 : i64}} {
    %0 = tile.alloc : !tile.buf<acc, 8>
    %1 = tile.alloc : !tile.buf<acc, 8>
    %2 = tile.alloc : !tile.buf<inp, 27>
    %3 = tile.alloc : !tile.buf<inp, 27>
    %4 = tile.alloc : !tile.buf<wgt, 9>
    %5 = tile.alloc : !tile.buf<wgt, 9>
    tile.load %4 (offset=0, tensor="c3.packed", dram_offset=0, y_size=1, x_size=9, x_stride=9, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<wgt, 9>
    tile.load %0 (offset=7, tensor="l0.bias.folded.packed", dram_offset=0, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<acc, 8>
    tile.load %1 (offset=7, tensor="l0.bias.folded.packed", dram_offset=0, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<acc, 8>
    tile.gemm %0, %2, %4 (reset, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, wgt_factor_out=0, wgt_factor_in=0, uops=[0, 0, 0]) : !tile.buf<acc, 8>, !tile.buf<inp, 27>, !tile.buf<wgt, 9>
    tile.load %2 (offset=0, tensor="input", dram_offset=0, y_size=2, x_size=7, x_stride=7, y_pad_0=1, y_pad_1=0, x_pad_0=1, x_pad_1=1) : !tile.buf<inp, 27>
    tile.gemm %0, %2, %4 (iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=9, src_factor_in=1, wgt_factor_out=0, wgt_factor_in=0, uops=[0, 0, 0, 0, 1, 1, 0, 2, 2, 0, 9, 3, 0, 10, 4, 0, 11, 5, 0, 18, 6, 0, 19, 7, 0, 20, 8]) : !tile.buf<acc, 8>, !tile.buf<inp, 27>, !tile.buf<wgt, 9>
    tile.alu %0 (op=add, imm=0, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 7]) : !tile.buf<acc, 8>
    tile.alu %0 (op=shr, use_imm, imm=11, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 8>
    tile.alu %0 (op=max, use_imm, imm=0, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 8>
    tile.alu %0 (op=min, use_imm, imm=127, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 8>
    tile.store %0 (offset=0, tensor="l0.out", dram_offset=0, y_size=1, x_size=7, x_stride=49) : !tile.buf<acc, 8>
    tile.gemm %1, %3, %4 (reset, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, wgt_factor_out=0, wgt_factor_in=0, uops=[0, 0, 0]) : !tile.buf<acc, 8>, !tile.buf<inp, 27>, !tile.buf<wgt, 9>
    tile.load %3 (offset=0, tensor="input", dram_offset=0, y_size=3, x_size=7, x_stride=7, y_pad_0=0, y_pad_1=0, x_pad_0=1, x_pad_1=1) : !tile.buf<inp, 27>
    tile.gemm %1, %3, %4 (iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=9, src_factor_in=1, wgt_factor_out=0, wgt_factor_in=0, uops=[0, 0, 0, 0, 1, 1, 0, 2, 2, 0, 9, 3, 0, 10, 4, 0, 11, 5, 0, 18, 6, 0, 19, 7, 0, 20, 8]) : !tile.buf<acc, 8>, !tile.buf<inp, 27>, !tile.buf<wgt, 9>
    tile.alu %1 (op=add, imm=0, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 7]) : !tile.buf<acc, 8>
    tile.alu %1 (op=shr, use_imm, imm=11, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 8>
    tile.alu %1 (op=max, use_imm, imm=0, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 8>
    tile.alu %1 (op=min, use_imm, imm=127, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 8>
    tile.store %1 (offset=0, tensor="l0.out", dram_offset=7, y_size=1, x_size=7, x_stride=49) : !tile.buf<acc, 8>
    tile.repeat %0, %2, %1, %3 (ops=8, count=4, sets=2, vary=[1, 7], deltas=[7, 7, 14, 14, 21, 21, 28, 28]) : !tile.buf<acc, 8>, !tile.buf<inp, 27>, !tile.buf<acc, 8>, !tile.buf<inp, 27>
    tile.gemm %0, %2, %4 (reset, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, wgt_factor_out=0, wgt_factor_in=0, uops=[0, 0, 0]) : !tile.buf<acc, 8>, !tile.buf<inp, 27>, !tile.buf<wgt, 9>
    tile.load %2 (offset=0, tensor="input", dram_offset=35, y_size=2, x_size=7, x_stride=7, y_pad_0=0, y_pad_1=1, x_pad_0=1, x_pad_1=1) : !tile.buf<inp, 27>
    tile.gemm %0, %2, %4 (iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=9, src_factor_in=1, wgt_factor_out=0, wgt_factor_in=0, uops=[0, 0, 0, 0, 1, 1, 0, 2, 2, 0, 9, 3, 0, 10, 4, 0, 11, 5, 0, 18, 6, 0, 19, 7, 0, 20, 8]) : !tile.buf<acc, 8>, !tile.buf<inp, 27>, !tile.buf<wgt, 9>
    tile.alu %0 (op=add, imm=0, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 7]) : !tile.buf<acc, 8>
    tile.alu %0 (op=shr, use_imm, imm=11, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 8>
    tile.alu %0 (op=max, use_imm, imm=0, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 8>
    tile.alu %0 (op=min, use_imm, imm=127, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 8>
    tile.store %0 (offset=0, tensor="l0.out", dram_offset=42, y_size=1, x_size=7, x_stride=49) : !tile.buf<acc, 8>
    tile.load %5 (offset=0, tensor="c3.packed", dram_offset=9, y_size=1, x_size=9, x_stride=9, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<wgt, 9>
    tile.load %0 (offset=7, tensor="l0.bias.folded.packed", dram_offset=1, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<acc, 8>
    tile.load %1 (offset=7, tensor="l0.bias.folded.packed", dram_offset=1, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<acc, 8>
    tile.gemm %1, %3, %5 (reset, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, wgt_factor_out=0, wgt_factor_in=0, uops=[0, 0, 0]) : !tile.buf<acc, 8>, !tile.buf<inp, 27>, !tile.buf<wgt, 9>
    tile.load %3 (offset=0, tensor="input", dram_offset=0, y_size=2, x_size=7, x_stride=7, y_pad_0=1, y_pad_1=0, x_pad_0=1, x_pad_1=1) : !tile.buf<inp, 27>
    tile.gemm %1, %3, %5 (iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=9, src_factor_in=1, wgt_factor_out=0, wgt_factor_in=0, uops=[0, 0, 0, 0, 1, 1, 0, 2, 2, 0, 9, 3, 0, 10, 4, 0, 11, 5, 0, 18, 6, 0, 19, 7, 0, 20, 8]) : !tile.buf<acc, 8>, !tile.buf<inp, 27>, !tile.buf<wgt, 9>
    tile.alu %1 (op=add, imm=0, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 7]) : !tile.buf<acc, 8>
    tile.alu %1 (op=shr, use_imm, imm=11, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 8>
    tile.alu %1 (op=max, use_imm, imm=0, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 8>
    tile.alu %1 (op=min, use_imm, imm=127, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 8>
    tile.store %1 (offset=0, tensor="l0.out", dram_offset=49, y_size=1, x_size=7, x_stride=49) : !tile.buf<acc, 8>
    tile.gemm %0, %2, %5 (reset, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, wgt_factor_out=0, wgt_factor_in=0, uops=[0, 0, 0]) : !tile.buf<acc, 8>, !tile.buf<inp, 27>, !tile.buf<wgt, 9>
    tile.load %2 (offset=0, tensor="input", dram_offset=0, y_size=3, x_size=7, x_stride=7, y_pad_0=0, y_pad_1=0, x_pad_0=1, x_pad_1=1) : !tile.buf<inp, 27>
    tile.gemm %0, %2, %5 (iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=9, src_factor_in=1, wgt_factor_out=0, wgt_factor_in=0, uops=[0, 0, 0, 0, 1, 1, 0, 2, 2, 0, 9, 3, 0, 10, 4, 0, 11, 5, 0, 18, 6, 0, 19, 7, 0, 20, 8]) : !tile.buf<acc, 8>, !tile.buf<inp, 27>, !tile.buf<wgt, 9>
    tile.alu %0 (op=add, imm=0, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 7]) : !tile.buf<acc, 8>
    tile.alu %0 (op=shr, use_imm, imm=11, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 8>
    tile.alu %0 (op=max, use_imm, imm=0, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 8>
    tile.alu %0 (op=min, use_imm, imm=127, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 8>
    tile.store %0 (offset=0, tensor="l0.out", dram_offset=56, y_size=1, x_size=7, x_stride=49) : !tile.buf<acc, 8>
    tile.repeat %0, %2, %1, %3 (ops=8, count=4, sets=2, vary=[1, 7], deltas=[7, 7, 14, 14, 21, 21, 28, 28]) : !tile.buf<acc, 8>, !tile.buf<inp, 27>, !tile.buf<acc, 8>, !tile.buf<inp, 27>
    tile.gemm %1, %3, %5 (reset, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, wgt_factor_out=0, wgt_factor_in=0, uops=[0, 0, 0]) : !tile.buf<acc, 8>, !tile.buf<inp, 27>, !tile.buf<wgt, 9>
    tile.load %3 (offset=0, tensor="input", dram_offset=35, y_size=2, x_size=7, x_stride=7, y_pad_0=0, y_pad_1=1, x_pad_0=1, x_pad_1=1) : !tile.buf<inp, 27>
    tile.gemm %1, %3, %5 (iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=9, src_factor_in=1, wgt_factor_out=0, wgt_factor_in=0, uops=[0, 0, 0, 0, 1, 1, 0, 2, 2, 0, 9, 3, 0, 10, 4, 0, 11, 5, 0, 18, 6, 0, 19, 7, 0, 20, 8]) : !tile.buf<acc, 8>, !tile.buf<inp, 27>, !tile.buf<wgt, 9>
    tile.alu %1 (op=add, imm=0, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 7]) : !tile.buf<acc, 8>
    tile.alu %1 (op=shr, use_imm, imm=11, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 8>
    tile.alu %1 (op=max, use_imm, imm=0, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 8>
    tile.alu %1 (op=min, use_imm, imm=127, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 8>
    tile.store %1 (offset=0, tensor="l0.out", dram_offset=91, y_size=1, x_size=7, x_stride=49) : !tile.buf<acc, 8>
  }
  tile.kernel "l1" attributes {tiling = {tob = 1 : i64, toh = 2 : i64, tib = 1 : i64, dram_bytes = 5568 : i64, buffers = 1 : i64}} {
    %6 = tile.alloc : !tile.buf<acc, 9>
    %7 = tile.alloc : !tile.buf<inp, 45>
    %8 = tile.alloc : !tile.buf<wgt, 9>
    tile.load %6 (offset=0, tensor="c14.packed", dram_offset=0, y_size=8, x_size=1, x_stride=0, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<acc, 9>
    tile.load %7 (offset=0, tensor="l0.out", dram_offset=0, y_size=4, x_size=7, x_stride=7, y_pad_0=1, y_pad_1=0, x_pad_0=1, x_pad_1=1) : !tile.buf<inp, 45>
    tile.load %8 (offset=0, tensor="c11.packed", dram_offset=0, y_size=1, x_size=9, x_stride=18, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<wgt, 9>
    tile.gemm %6, %7, %8 (iter_out=2, iter_in=4, dst_factor_out=4, dst_factor_in=1, src_factor_out=18, src_factor_in=2, wgt_factor_out=0, wgt_factor_in=0, uops=[0, 0, 0, 0, 1, 1, 0, 2, 2, 0, 9, 3, 0, 10, 4, 0, 11, 5, 0, 18, 6, 0, 19, 7, 0, 20, 8]) : !tile.buf<acc, 9>, !tile.buf<inp, 45>, !tile.buf<wgt, 9>
    tile.load %7 (offset=0, tensor="l0.out", dram_offset=49, y_size=4, x_size=7, x_stride=7, y_pad_0=1, y_pad_1=0, x_pad_0=1, x_pad_1=1) : !tile.buf<inp, 45>
    tile.load %8 (offset=0, tensor="c11.packed", dram_offset=9, y_size=1, x_size=9, x_stride=18, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<wgt, 9>
    tile.gemm %6, %7, %8 (iter_out=2, iter_in=4, dst_factor_out=4, dst_factor_in=1, src_factor_out=18, src_factor_in=2, wgt_factor_out=0, wgt_factor_in=0, uops=[0, 0, 0, 0, 1, 1, 0, 2, 2, 0, 9, 3, 0, 10, 4, 0, 11, 5, 0, 18, 6, 0, 19, 7, 0, 20, 8]) : !tile.buf<acc, 9>, !tile.buf<inp, 45>, !tile.buf<wgt, 9>
    tile.alu %6 (op=add, use_imm, imm=1024, iter_out=2, iter_in=4, dst_factor_out=4, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 9>
    tile.alu %6 (op=shr, use_imm, imm=11, iter_out=2, iter_in=4, dst_factor_out=4, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 9>
    tile.alu %6 (op=max, use_imm, imm=0, iter_out=2, iter_in=4, dst_factor_out=4, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 9>
    tile.alu %6 (op=min, use_imm, imm=127, iter_out=2, iter_in=4, dst_factor_out=4, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 9>
    tile.store %6 (offset=0, tensor="output", dram_offset=0, y_size=1, x_size=8, x_stride=16) : !tile.buf<acc, 9>
    tile.load %6 (offset=0, tensor="c14.packed", dram_offset=0, y_size=8, x_size=1, x_stride=0, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<acc, 9>
    tile.load %7 (offset=0, tensor="l0.out", dram_offset=21, y_size=4, x_size=7, x_stride=7, y_pad_0=0, y_pad_1=1, x_pad_0=1, x_pad_1=1) : !tile.buf<inp, 45>
    tile.load %8 (offset=0, tensor="c11.packed", dram_offset=0, y_size=1, x_size=9, x_stride=18, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<wgt, 9>
    tile.gemm %6, %7, %8 (iter_out=2, iter_in=4, dst_factor_out=4, dst_factor_in=1, src_factor_out=18, src_factor_in=2, wgt_factor_out=0, wgt_factor_in=0, uops=[0, 0, 0, 0, 1, 1, 0, 2, 2, 0, 9, 3, 0, 10, 4, 0, 11, 5, 0, 18, 6, 0, 19, 7, 0, 20, 8]) : !tile.buf<acc, 9>, !tile.buf<inp, 45>, !tile.buf<wgt, 9>
    tile.load %7 (offset=0, tensor="l0.out", dram_offset=70, y_size=4, x_size=7, x_stride=7, y_pad_0=0, y_pad_1=1, x_pad_0=1, x_pad_1=1) : !tile.buf<inp, 45>
    tile.load %8 (offset=0, tensor="c11.packed", dram_offset=9, y_size=1, x_size=9, x_stride=18, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<wgt, 9>
    tile.gemm %6, %7, %8 (iter_out=2, iter_in=4, dst_factor_out=4, dst_factor_in=1, src_factor_out=18, src_factor_in=2, wgt_factor_out=0, wgt_factor_in=0, uops=[0, 0, 0, 0, 1, 1, 0, 2, 2, 0, 9, 3, 0, 10, 4, 0, 11, 5, 0, 18, 6, 0, 19, 7, 0, 20, 8]) : !tile.buf<acc, 9>, !tile.buf<inp, 45>, !tile.buf<wgt, 9>
    tile.alu %6 (op=add, use_imm, imm=1024, iter_out=2, iter_in=4, dst_factor_out=4, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 9>
    tile.alu %6 (op=shr, use_imm, imm=11, iter_out=2, iter_in=4, dst_factor_out=4, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 9>
    tile.alu %6 (op=max, use_imm, imm=0, iter_out=2, iter_in=4, dst_factor_out=4, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 9>
    tile.alu %6 (op=min, use_imm, imm=127, iter_out=2, iter_in=4, dst_factor_out=4, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 9>
    tile.store %6 (offset=0, tensor="output", dram_offset=8, y_size=1, x_size=8, x_stride=16) : !tile.buf<acc, 9>
    tile.repeat (ops=24, count=3, sets=1, vary=[0, 2, 5, 11, 12, 14, 17, 23], deltas=[1, 18, 18, 16, 1, 18, 18, 16, 2, 36, 36, 32, 2, 36, 36, 32, 3, 54, 54, 48, 3, 54, 54, 48])
  }
}
