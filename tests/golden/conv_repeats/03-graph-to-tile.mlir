builtin.module attributes {canopy.inputs = ["input"], canopy.outputs = ["output"], canopy.weights = "weights.npz", canopy.hw_config = {TARGET = "sim", HW_VER = "0.0.2", LOG_INP_WIDTH = 3 : i64, LOG_WGT_WIDTH = 3 : i64, LOG_ACC_WIDTH = 5 : i64, LOG_BATCH = 0 : i64, LOG_BLOCK_IN = 2 : i64, LOG_BLOCK_OUT = 2 : i64, LOG_UOP_BUFF_SIZE = 10 : i64, LOG_INP_BUFF_SIZE = 8 : i64, LOG_WGT_BUFF_SIZE = 9 : i64, LOG_ACC_BUFF_SIZE = 8 : i64, LOG_BUS_WIDTH = 6 : i64, CLOCK_MHZ = 100 : i64, DRAM_LATENCY_CYCLES = 64 : i64, ALU_MUL_BITS = 8 : i64}} {
  tile.tensor "input" {logical_shape = array<i64: 1, 4, 6, 6>, scale = 1.562500e-02 : f64, zero_point = 0 : i64, onnx_name = "input", type = tensor<1x1x6x6x1x4xi8>, role = "input"}
  tile.tensor "output" {logical_shape = array<i64: 1, 16, 3, 3>, scale = 4.000000e+00 : f64, zero_point = 0 : i64, onnx_name = "output", type = tensor<1x4x3x3x1x4xi8>, role = "output"}
  tile.tensor "l0.out" {logical_shape = array<i64: 1, 8, 6, 6>, type = tensor<1x2x6x6x1x4xi8>, role = "scratch"}
  tile.tensor "c3.packed" {weight = "c3.packed", type = tensor<2x1x3x3x4x4xi8>, role = "weight"}
  tile.tensor "c6.packed" {weight = "c6.packed", type = tensor<2x1x4xi32>, role = "weight"}
  tile.tensor "c11.packed" {weight = "c11.packed", type = tensor<4x2x3x3x4x4xi8>, role = "weight"}
  tile.tensor "c14.packed" {weight = "c14.packed", type = tensor<4x1x4xi32>, role = "weight"}
  tile.kernel "l0" attributes {tiling = {tob = 1 : i64, toh = 2 : i64, tib = 1 : i64, dram_bytes = 1440 : i64, buffers = 1 : i64}} {
    %0 = tile.alloc : !tile.buf<acc, 13>
    %1 = tile.alloc : !tile.buf<inp, 32>
    %2 = tile.alloc : !tile.buf<wgt, 9>
    tile.load %0 (offset=0, tensor="c6.packed", dram_offset=0, y_size=12, x_size=1, x_stride=0, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<acc, 13>
    tile.load %1 (offset=0, tensor="input", dram_offset=0, y_size=3, x_size=6, x_stride=6, y_pad_0=1, y_pad_1=0, x_pad_0=1, x_pad_1=1) : !tile.buf<inp, 32>
    tile.load %2 (offset=0, tensor="c3.packed", dram_offset=0, y_size=1, x_size=9, x_stride=9, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<wgt, 9>
    tile.gemm %0, %1, %2 (iter_out=2, iter_in=6, dst_factor_out=6, dst_factor_in=1, src_factor_out=8, src_factor_in=1, wgt_factor_out=0, wgt_factor_in=0, uops=[0, 0, 0, 0, 1, 1, 0, 2, 2, 0, 8, 3, 0, 9, 4, 0, 10, 5, 0, 16, 6, 0, 17, 7, 0, 18, 8]) : !tile.buf<acc, 13>, !tile.buf<inp, 32>, !tile.buf<wgt, 9>
    tile.alu %0 (op=add, use_imm, imm=1024, iter_out=2, iter_in=6, dst_factor_out=6, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 13>
    tile.alu %0 (op=shr, use_imm, imm=11, iter_out=2, iter_in=6, dst_factor_out=6, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 13>
    tile.alu %0 (op=max, use_imm, imm=0, iter_out=2, iter_in=6, dst_factor_out=6, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 13>
    tile.alu %0 (op=min, use_imm, imm=127, iter_out=2, iter_in=6, dst_factor_out=6, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 13>
    tile.store %0 (offset=0, tensor="l0.out", dram_offset=0, y_size=1, x_size=12, x_stride=36) : !tile.buf<acc, 13>
    tile.load %0 (offset=0, tensor="c6.packed", dram_offset=0, y_size=12, x_size=1, x_stride=0, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<acc, 13>
    tile.load %1 (offset=0, tensor="input", dram_offset=6, y_size=4, x_size=6, x_stride=6, y_pad_0=0, y_pad_1=0, x_pad_0=1, x_pad_1=1) : !tile.buf<inp, 32>
    tile.load %2 (offset=0, tensor="c3.packed", dram_offset=0, y_size=1, x_size=9, x_stride=9, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<wgt, 9>
    tile.gemm %0, %1, %2 (iter_out=2, iter_in=6, dst_factor_out=6, dst_factor_in=1, src_factor_out=8, src_factor_in=1, wgt_factor_out=0, wgt_factor_in=0, uops=[0, 0, 0, 0, 1, 1, 0, 2, 2, 0, 8, 3, 0, 9, 4, 0, 10, 5, 0, 16, 6, 0, 17, 7, 0, 18, 8]) : !tile.buf<acc, 13>, !tile.buf<inp, 32>, !tile.buf<wgt, 9>
    tile.alu %0 (op=add, use_imm, imm=1024, iter_out=2, iter_in=6, dst_factor_out=6, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 13>
    tile.alu %0 (op=shr, use_imm, imm=11, iter_out=2, iter_in=6, dst_factor_out=6, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 13>
    tile.alu %0 (op=max, use_imm, imm=0, iter_out=2, iter_in=6, dst_factor_out=6, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 13>
    tile.alu %0 (op=min, use_imm, imm=127, iter_out=2, iter_in=6, dst_factor_out=6, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 13>
    tile.store %0 (offset=0, tensor="l0.out", dram_offset=12, y_size=1, x_size=12, x_stride=36) : !tile.buf<acc, 13>
    tile.load %0 (offset=0, tensor="c6.packed", dram_offset=0, y_size=12, x_size=1, x_stride=0, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<acc, 13>
    tile.load %1 (offset=0, tensor="input", dram_offset=18, y_size=3, x_size=6, x_stride=6, y_pad_0=0, y_pad_1=1, x_pad_0=1, x_pad_1=1) : !tile.buf<inp, 32>
    tile.load %2 (offset=0, tensor="c3.packed", dram_offset=0, y_size=1, x_size=9, x_stride=9, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<wgt, 9>
    tile.gemm %0, %1, %2 (iter_out=2, iter_in=6, dst_factor_out=6, dst_factor_in=1, src_factor_out=8, src_factor_in=1, wgt_factor_out=0, wgt_factor_in=0, uops=[0, 0, 0, 0, 1, 1, 0, 2, 2, 0, 8, 3, 0, 9, 4, 0, 10, 5, 0, 16, 6, 0, 17, 7, 0, 18, 8]) : !tile.buf<acc, 13>, !tile.buf<inp, 32>, !tile.buf<wgt, 9>
    tile.alu %0 (op=add, use_imm, imm=1024, iter_out=2, iter_in=6, dst_factor_out=6, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 13>
    tile.alu %0 (op=shr, use_imm, imm=11, iter_out=2, iter_in=6, dst_factor_out=6, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 13>
    tile.alu %0 (op=max, use_imm, imm=0, iter_out=2, iter_in=6, dst_factor_out=6, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 13>
    tile.alu %0 (op=min, use_imm, imm=127, iter_out=2, iter_in=6, dst_factor_out=6, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 13>
    tile.store %0 (offset=0, tensor="l0.out", dram_offset=24, y_size=1, x_size=12, x_stride=36) : !tile.buf<acc, 13>
    tile.repeat (ops=27, count=1, sets=1, vary=[0, 2, 8, 9, 11, 17, 18, 20, 26], deltas=[1, 9, 36, 1, 9, 36, 1, 9, 36])
  }
  tile.kernel "l1" attributes {tiling = {tob = 1 : i64, toh = 1 : i64, tib = 1 : i64, dram_bytes = 5184 : i64, buffers = 2 : i64}} {
    %3 = tile.alloc : !tile.buf<acc, 4>
    %4 = tile.alloc : !tile.buf<inp, 21>
    %5 = tile.alloc : !tile.buf<wgt, 9>
    %6 = tile.alloc : !tile.buf<acc, 4>
    %7 = tile.alloc : !tile.buf<inp, 21>
    %8 = tile.alloc : !tile.buf<wgt, 9>
    tile.load %3 (offset=0, tensor="c14.packed", dram_offset=0, y_size=3, x_size=1, x_stride=0, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<acc, 4>
    tile.load %4 (offset=0, tensor="l0.out", dram_offset=0, y_size=2, x_size=6, x_stride=6, y_pad_0=1, y_pad_1=0, x_pad_0=1, x_pad_1=0) : !tile.buf<inp, 21>
    tile.load %5 (offset=0, tensor="c11.packed", dram_offset=0, y_size=1, x_size=9, x_stride=18, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<wgt, 9>
    tile.gemm %3, %4, %5 (iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=14, src_factor_in=2, wgt_factor_out=0, wgt_factor_in=0, uops=[0, 0, 0, 0, 1, 1, 0, 2, 2, 0, 7, 3, 0, 8, 4, 0, 9, 5, 0, 14, 6, 0, 15, 7, 0, 16, 8]) : !tile.buf<acc, 4>, !tile.buf<inp, 21>, !tile.buf<wgt, 9>
    tile.load %4 (offset=0, tensor="l0.out", dram_offset=36, y_size=2, x_size=6, x_stride=6, y_pad_0=1, y_pad_1=0, x_pad_0=1, x_pad_1=0) : !tile.buf<inp, 21>
    tile.load %5 (offset=0, tensor="c11.packed", dram_offset=9, y_size=1, x_size=9, x_stride=18, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<wgt, 9>
    tile.gemm %3, %4, %5 (iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=14, src_factor_in=2, wgt_factor_out=0, wgt_factor_in=0, uops=[0, 0, 0, 0, 1, 1, 0, 2, 2, 0, 7, 3, 0, 8, 4, 0, 9, 5, 0, 14, 6, 0, 15, 7, 0, 16, 8]) : !tile.buf<acc, 4>, !tile.buf<inp, 21>, !tile.buf<wgt, 9>
    tile.alu %3 (op=add, use_imm, imm=1024, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 4>
    tile.alu %3 (op=shr, use_imm, imm=11, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 4>
    tile.alu %3 (op=max, use_imm, imm=0, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 4>
    tile.alu %3 (op=min, use_imm, imm=127, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 4>
    tile.store %3 (offset=0, tensor="output", dram_offset=0, y_size=1, x_size=3, x_stride=9) : !tile.buf<acc, 4>
    tile.load %6 (offset=0, tensor="c14.packed", dram_offset=0, y_size=3, x_size=1, x_stride=0, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<acc, 4>
    tile.load %7 (offset=0, tensor="l0.out", dram_offset=6, y_size=3, x_size=6, x_stride=6, y_pad_0=0, y_pad_1=0, x_pad_0=1, x_pad_1=0) : !tile.buf<inp, 21>
    tile.load %8 (offset=0, tensor="c11.packed", dram_offset=0, y_size=1, x_size=9, x_stride=18, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<wgt, 9>
    tile.gemm %6, %7, %8 (iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=14, src_factor_in=2, wgt_factor_out=0, wgt_factor_in=0, uops=[0, 0, 0, 0, 1, 1, 0, 2, 2, 0, 7, 3, 0, 8, 4, 0, 9, 5, 0, 14, 6, 0, 15, 7, 0, 16, 8]) : !tile.buf<acc, 4>, !tile.buf<inp, 21>, !tile.buf<wgt, 9>
    tile.load %7 (offset=0, tensor="l0.out", dram_offset=42, y_size=3, x_size=6, x_stride=6, y_pad_0=0, y_pad_1=0, x_pad_0=1, x_pad_1=0) : !tile.buf<inp, 21>
    tile.load %8 (offset=0, tensor="c11.packed", dram_offset=9, y_size=1, x_size=9, x_stride=18, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<wgt, 9>
    tile.gemm %6, %7, %8 (iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=14, src_factor_in=2, wgt_factor_out=0, wgt_factor_in=0, uops=[0, 0, 0, 0, 1, 1, 0, 2, 2, 0, 7, 3, 0, 8, 4, 0, 9, 5, 0, 14, 6, 0, 15, 7, 0, 16, 8]) : !tile.buf<acc, 4>, !tile.buf<inp, 21>, !tile.buf<wgt, 9>
    tile.alu %6 (op=add, use_imm, imm=1024, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 4>
    tile.alu %6 (op=shr, use_imm, imm=11, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 4>
    tile.alu %6 (op=max, use_imm, imm=0, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 4>
    tile.alu %6 (op=min, use_imm, imm=127, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 4>
    tile.store %6 (offset=0, tensor="output", dram_offset=3, y_size=1, x_size=3, x_stride=9) : !tile.buf<acc, 4>
    tile.load %3 (offset=0, tensor="c14.packed", dram_offset=0, y_size=3, x_size=1, x_stride=0, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<acc, 4>
    tile.load %4 (offset=0, tensor="l0.out", dram_offset=18, y_size=3, x_size=6, x_stride=6, y_pad_0=0, y_pad_1=0, x_pad_0=1, x_pad_1=0) : !tile.buf<inp, 21>
    tile.load %5 (offset=0, tensor="c11.packed", dram_offset=0, y_size=1, x_size=9, x_stride=18, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<wgt, 9>
    tile.gemm %3, %4, %5 (iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=14, src_factor_in=2, wgt_factor_out=0, wgt_factor_in=0, uops=[0, 0, 0, 0, 1, 1, 0, 2, 2, 0, 7, 3, 0, 8, 4, 0, 9, 5, 0, 14, 6, 0, 15, 7, 0, 16, 8]) : !tile.buf<acc, 4>, !tile.buf<inp, 21>, !tile.buf<wgt, 9>
    tile.load %4 (offset=0, tensor="l0.out", dram_offset=54, y_size=3, x_size=6, x_stride=6, y_pad_0=0, y_pad_1=0, x_pad_0=1, x_pad_1=0) : !tile.buf<inp, 21>
    tile.load %5 (offset=0, tensor="c11.packed", dram_offset=9, y_size=1, x_size=9, x_stride=18, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<wgt, 9>
    tile.gemm %3, %4, %5 (iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=14, src_factor_in=2, wgt_factor_out=0, wgt_factor_in=0, uops=[0, 0, 0, 0, 1, 1, 0, 2, 2, 0, 7, 3, 0, 8, 4, 0, 9, 5, 0, 14, 6, 0, 15, 7, 0, 16, 8]) : !tile.buf<acc, 4>, !tile.buf<inp, 21>, !tile.buf<wgt, 9>
    tile.alu %3 (op=add, use_imm, imm=1024, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 4>
    tile.alu %3 (op=shr, use_imm, imm=11, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 4>
    tile.alu %3 (op=max, use_imm, imm=0, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 4>
    tile.alu %3 (op=min, use_imm, imm=127, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 4>
    tile.store %3 (offset=0, tensor="output", dram_offset=6, y_size=1, x_size=3, x_stride=9) : !tile.buf<acc, 4>
    tile.repeat %3, %4, %5, %6, %7, %8 (ops=36, count=3, sets=2, vary=[0, 2, 5, 11, 12, 14, 17, 23, 24, 26, 29, 35], deltas=[1, 18, 18, 9, 1, 18, 18, 9, 1, 18, 18, 9, 2, 36, 36, 18, 2, 36, 36, 18, 2, 36, 36, 18, 3, 54, 54, 27, 3, 54, 54, 27, 3, 54, 54, 27]) : !tile.buf<acc, 4>, !tile.buf<inp, 21>, !tile.buf<wgt, 9>, !tile.buf<acc, 4>, !tile.buf<inp, 21>, !tile.buf<wgt, 9>
  }
}
