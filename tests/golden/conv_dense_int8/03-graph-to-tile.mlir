builtin.module attributes {canopy.inputs = ["input"], canopy.outputs = ["output"], canopy.weights = "weights.npz", canopy.hw_config = {TARGET = "sim", HW_VER = "0.0.2", LOG_INP_WIDTH = 3 : i64, LOG_WGT_WIDTH = 3 : i64, LOG_ACC_WIDTH = 5 : i64, LOG_BATCH = 0 : i64, LOG_BLOCK_IN = 4 : i64, LOG_BLOCK_OUT = 4 : i64, LOG_UOP_BUFF_SIZE = 15 : i64, LOG_INP_BUFF_SIZE = 15 : i64, LOG_WGT_BUFF_SIZE = 18 : i64, LOG_ACC_BUFF_SIZE = 17 : i64, LOG_BUS_WIDTH = 6 : i64, CLOCK_MHZ = 100 : i64, DRAM_LATENCY_CYCLES = 64 : i64, ALU_MUL_BITS = 8 : i64}} {
  tile.tensor "input" {logical_shape = array<i64: 1, 5, 9, 9>, scale = 1.562500e-02 : f64, zero_point = 0 : i64, onnx_name = "input", type = tensor<1x1x9x9x1x16xi8>, role = "input"}
  tile.tensor "output" {logical_shape = array<i64: 1, 7>, scale = 8.000000e+00 : f64, zero_point = 0 : i64, onnx_name = "output", type = tensor<1x1x1x1x1x16xi8>, role = "output"}
  tile.tensor "l0.out" {logical_shape = array<i64: 1, 12, 5, 5>, type = tensor<1x1x5x5x1x16xi8>, role = "scratch"}
  tile.tensor "c3.packed" {weight = "c3.packed", type = tensor<1x1x3x3x16x16xi8>, role = "weight"}
  tile.tensor "l0.bias.folded.packed" {weight = "l0.bias.folded.packed", type = tensor<1x1x16xi32>, role = "weight"}
  tile.tensor "c11.packed" {weight = "c11.packed", type = tensor<1x25x1x1x16x16xi8>, role = "weight"}
  tile.tensor "l2.bias.folded.packed" {weight = "l2.bias.folded.packed", type = tensor<1x1x16xi32>, role = "weight"}
  tile.kernel "l0" attributes {tiling = {tob = 1 : i64, toh = 2 : i64, tib = 1 : i64, dram_bytes = 4464 : i64, buffers = 2 : i64, resident = 1 : i64}} {
    %0 = tile.alloc : !tile.buf<acc, 11>
    %1 = tile.alloc : !tile.buf<acc, 11>
    %2 = tile.alloc : !tile.buf<inp, 55>
    %3 = tile.alloc : !tile.buf<inp, 55>
    %4 = tile.alloc : !tile.buf<wgt, 9>
    tile.load %4 (offset=0, tensor="c3.packed", dram_offset=0, y_size=1, x_size=9, x_stride=9, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<wgt, 9>
    tile.load %0 (offset=10, tensor="l0.bias.folded.packed", dram_offset=0, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<acc, 11>
    tile.load %1 (offset=10, tensor="l0.bias.folded.packed", dram_offset=0, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<acc, 11>
    tile.gemm %0, %2, %4 (reset, iter_out=2, iter_in=5, dst_factor_out=5, dst_factor_in=1, src_factor_out=0, src_factor_in=0, wgt_factor_out=0, wgt_factor_in=0, uops=[0, 0, 0]) : !tile.buf<acc, 11>, !tile.buf<inp, 55>, !tile.buf<wgt, 9>
    tile.load %2 (offset=0, tensor="input", dram_offset=0, y_size=4, x_size=9, x_stride=9, y_pad_0=1, y_pad_1=0, x_pad_0=1, x_pad_1=1) : !tile.buf<inp, 55>
    tile.gemm %0, %2, %4 (iter_out=2, iter_in=5, dst_factor_out=5, dst_factor_in=1, src_factor_out=22, src_factor_in=2, wgt_factor_out=0, wgt_factor_in=0, uops=[0, 0, 0, 0, 1, 1, 0, 2, 2, 0, 11, 3, 0, 12, 4, 0, 13, 5, 0, 22, 6, 0, 23, 7, 0, 24, 8]) : !tile.buf<acc, 11>, !tile.buf<inp, 55>, !tile.buf<wgt, 9>
    tile.alu %0 (op=add, imm=0, iter_out=2, iter_in=5, dst_factor_out=5, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 10]) : !tile.buf<acc, 11>
    tile.alu %0 (op=shr, use_imm, imm=11, iter_out=2, iter_in=5, dst_factor_out=5, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 11>
    tile.alu %0 (op=max, use_imm, imm=0, iter_out=2, iter_in=5, dst_factor_out=5, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 11>
    tile.alu %0 (op=min, use_imm, imm=127, iter_out=2, iter_in=5, dst_factor_out=5, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 11>
    tile.store %0 (offset=0, tensor="l0.out", dram_offset=0, y_size=1, x_size=10, x_stride=25) : !tile.buf<acc, 11>
    tile.gemm %1, %3, %4 (reset, iter_out=2, iter_in=5, dst_factor_out=5, dst_factor_in=1, src_factor_out=0, src_factor_in=0, wgt_factor_out=0, wgt_factor_in=0, uops=[0, 0, 0]) : !tile.buf<acc, 11>, !tile.buf<inp, 55>, !tile.buf<wgt, 9>
    tile.load %3 (offset=0, tensor="input", dram_offset=27, y_size=5, x_size=9, x_stride=9, y_pad_0=0, y_pad_1=0, x_pad_0=1, x_pad_1=1) : !tile.buf<inp, 55>
    tile.gemm %1, %3, %4 (iter_out=2, iter_in=5, dst_factor_out=5, dst_factor_in=1, src_factor_out=22, src_factor_in=2, wgt_factor_out=0, wgt_factor_in=0, uops=[0, 0, 0, 0, 1, 1, 0, 2, 2, 0, 11, 3, 0, 12, 4, 0, 13, 5, 0, 22, 6, 0, 23, 7, 0, 24, 8]) : !tile.buf<acc, 11>, !tile.buf<inp, 55>, !tile.buf<wgt, 9>
    tile.alu %1 (op=add, imm=0, iter_out=2, iter_in=5, dst_factor_out=5, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 10]) : !tile.buf<acc, 11>
    tile.alu %1 (op=shr, use_imm, imm=11, iter_out=2, iter_in=5, dst_factor_out=5, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 11>
    tile.alu %1 (op=max, use_imm, imm=0, iter_out=2, iter_in=5, dst_factor_out=5, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 11>
    tile.alu %1 (op=min, use_imm, imm=127, iter_out=2, iter_in=5, dst_factor_out=5, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 11>
    tile.store %1 (offset=0, tensor="l0.out", dram_offset=10, y_size=1, x_size=10, x_stride=25) : !tile.buf<acc, 11>
    tile.gemm %0, %2, %4 (reset, iter_out=1, iter_in=5, dst_factor_out=5, dst_factor_in=1, src_factor_out=0, src_factor_in=0, wgt_factor_out=0, wgt_factor_in=0, uops=[0, 0, 0]) : !tile.buf<acc, 11>, !tile.buf<inp, 55>, !tile.buf<wgt, 9>
    tile.load %2 (offset=0, tensor="input", dram_offset=63, y_size=2, x_size=9, x_stride=9, y_pad_0=0, y_pad_1=1, x_pad_0=1, x_pad_1=1) : !tile.buf<inp, 55>
    tile.gemm %0, %2, %4 (iter_out=1, iter_in=5, dst_factor_out=5, dst_factor_in=1, src_factor_out=22, src_factor_in=2, wgt_factor_out=0, wgt_factor_in=0, uops=[0, 0, 0, 0, 1, 1, 0, 2, 2, 0, 11, 3, 0, 12, 4, 0, 13, 5, 0, 22, 6, 0, 23, 7, 0, 24, 8]) : !tile.buf<acc, 11>, !tile.buf<inp, 55>, !tile.buf<wgt, 9>
    tile.alu %0 (op=add, imm=0, iter_out=1, iter_in=5, dst_factor_out=5, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 10]) : !tile.buf<acc, 11>
    tile.alu %0 (op=shr, use_imm, imm=11, iter_out=1, iter_in=5, dst_factor_out=5, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 11>
    tile.alu %0 (op=max, use_imm, imm=0, iter_out=1, iter_in=5, dst_factor_out=5, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 11>
    tile.alu %0 (op=min, use_imm, imm=127, iter_out=1, iter_in=5, dst_factor_out=5, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 11>
    tile.store %0 (offset=0, tensor="l0.out", dram_offset=20, y_size=1, x_size=5, x_stride=25) : !tile.buf<acc, 11>
  }
  tile.kernel "l2" attributes {tiling = {tob = 1 : i64, toh = 1 : i64, tib = 25 : i64, dram_bytes = 6800 : i64, buffers = 1 : i64, resident = 1 : i64}} {
    %5 = tile.alloc : !tile.buf<acc, 2>
    %6 = tile.alloc : !tile.buf<inp, 25>
    %7 = tile.alloc : !tile.buf<wgt, 25>
    tile.load %7 (offset=0, tensor="c11.packed", dram_offset=0, y_size=1, x_size=25, x_stride=25, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<wgt, 25>
    tile.load %5 (offset=1, tensor="l2.bias.folded.packed", dram_offset=0, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<acc, 2>
    tile.gemm %5, %6, %7 (reset, iter_out=1, iter_in=1, dst_factor_out=1, dst_factor_in=1, src_factor_out=0, src_factor_in=0, wgt_factor_out=0, wgt_factor_in=0, uops=[0, 0, 0]) : !tile.buf<acc, 2>, !tile.buf<inp, 25>, !tile.buf<wgt, 25>
    tile.load %6 (offset=0, tensor="l0.out", dram_offset=0, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<inp, 25>
    tile.load %6 (offset=1, tensor="l0.out", dram_offset=1, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<inp, 25>
    tile.load %6 (offset=2, tensor="l0.out", dram_offset=2, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<inp, 25>
    tile.load %6 (offset=3, tensor="l0.out", dram_offset=3, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<inp, 25>
    tile.load %6 (offset=4, tensor="l0.out", dram_offset=4, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<inp, 25>
    tile.load %6 (offset=5, tensor="l0.out", dram_offset=5, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<inp, 25>
    tile.load %6 (offset=6, tensor="l0.out", dram_offset=6, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<inp, 25>
    tile.load %6 (offset=7, tensor="l0.out", dram_offset=7, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<inp, 25>
    tile.load %6 (offset=8, tensor="l0.out", dram_offset=8, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<inp, 25>
    tile.load %6 (offset=9, tensor="l0.out", dram_offset=9, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<inp, 25>
    tile.load %6 (offset=10, tensor="l0.out", dram_offset=10, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<inp, 25>
    tile.load %6 (offset=11, tensor="l0.out", dram_offset=11, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<inp, 25>
    tile.load %6 (offset=12, tensor="l0.out", dram_offset=12, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<inp, 25>
    tile.load %6 (offset=13, tensor="l0.out", dram_offset=13, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<inp, 25>
    tile.load %6 (offset=14, tensor="l0.out", dram_offset=14, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<inp, 25>
    tile.load %6 (offset=15, tensor="l0.out", dram_offset=15, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<inp, 25>
    tile.load %6 (offset=16, tensor="l0.out", dram_offset=16, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<inp, 25>
    tile.load %6 (offset=17, tensor="l0.out", dram_offset=17, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<inp, 25>
    tile.load %6 (offset=18, tensor="l0.out", dram_offset=18, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<inp, 25>
    tile.load %6 (offset=19, tensor="l0.out", dram_offset=19, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<inp, 25>
    tile.load %6 (offset=20, tensor="l0.out", dram_offset=20, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<inp, 25>
    tile.load %6 (offset=21, tensor="l0.out", dram_offset=21, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<inp, 25>
    tile.load %6 (offset=22, tensor="l0.out", dram_offset=22, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<inp, 25>
    tile.load %6 (offset=23, tensor="l0.out", dram_offset=23, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<inp, 25>
    tile.load %6 (offset=24, tensor="l0.out", dram_offset=24, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<inp, 25>
    tile.gemm %5, %6, %7 (iter_out=1, iter_in=1, dst_factor_out=1, dst_factor_in=1, src_factor_out=1, src_factor_in=1, wgt_factor_out=0, wgt_factor_in=0, uops=[0, 0, 0, 0, 1, 1, 0, 2, 2, 0, 3, 3, 0, 4, 4, 0, 5, 5, 0, 6, 6, 0, 7, 7, 0, 8, 8, 0, 9, 9, 0, 10, 10, 0, 11, 11, 0, 12, 12, 0, 13, 13, 0, 14, 14, 0, 15, 15, 0, 16, 16, 0, 17, 17, 0, 18, 18, 0, 19, 19, 0, 20, 20, 0, 21, 21, 0, 22, 22, 0, 23, 23, 0, 24, 24]) : !tile.buf<acc, 2>, !tile.buf<inp, 25>, !tile.buf<wgt, 25>
    tile.alu %5 (op=add, imm=0, iter_out=1, iter_in=1, dst_factor_out=1, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 1]) : !tile.buf<acc, 2>
    tile.alu %5 (op=shr, use_imm, imm=12, iter_out=1, iter_in=1, dst_factor_out=1, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 2>
    tile.alu %5 (op=max, use_imm, imm=-128, iter_out=1, iter_in=1, dst_factor_out=1, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 2>
    tile.alu %5 (op=min, use_imm, imm=127, iter_out=1, iter_in=1, dst_factor_out=1, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 2>
    tile.store %5 (offset=0, tensor="output", dram_offset=0, y_size=1, x_size=1, x_stride=1) : !tile.buf<acc, 2>
  }
}
