builtin.module attributes {canopy.inputs = ["input"], canopy.outputs = ["output"], canopy.weights = "weights.npz", canopy.hw_config = {TARGET = "sim", HW_VER = "0.0.2", LOG_INP_WIDTH = 3 : i64, LOG_WGT_WIDTH = 3 : i64, LOG_ACC_WIDTH = 5 : i64, LOG_BATCH = 0 : i64, LOG_BLOCK_IN = 3 : i64, LOG_BLOCK_OUT = 3 : i64, LOG_UOP_BUFF_SIZE = 12 : i64, LOG_INP_BUFF_SIZE = 11 : i64, LOG_WGT_BUFF_SIZE = 12 : i64, LOG_ACC_BUFF_SIZE = 12 : i64, LOG_BUS_WIDTH = 6 : i64, CLOCK_MHZ = 100 : i64, DRAM_LATENCY_CYCLES = 64 : i64, ALU_MUL_BITS = 8 : i64}} {
  tile.tensor "input" {logical_shape = array<i64: 1, 20, 10, 10>, scale = 1.562500e-02 : f64, zero_point = 0 : i64, onnx_name = "input", type = tensor<1x3x10x10x1x8xi8>, role = "input"}
  tile.tensor "output" {logical_shape = array<i64: 1, 24, 10, 10>, scale = 4.000000e+00 : f64, zero_point = 0 : i64, onnx_name = "output", type = tensor<1x3x10x10x1x8xi8>, role = "output"}
  tile.tensor "l0.out" {logical_shape = array<i64: 1, 16, 10, 10>, type = tensor<1x2x10x10x1x8xi8>, role = "scratch"}
  tile.tensor "c3.packed" {weight = "c3.packed", type = tensor<2x3x3x3x8x8xi8>, role = "weight"}
  tile.tensor "l0.bias.folded.packed" {weight = "l0.bias.folded.packed", type = tensor<2x1x8xi32>, role = "weight"}
  tile.tensor "c11.packed" {weight = "c11.packed", type = tensor<3x2x1x1x8x8xi8>, role = "weight"}
  tile.tensor "l1.bias.folded.packed" {weight = "l1.bias.folded.packed", type = tensor<3x1x8xi32>, role = "weight"}
  tile.kernel "l0" attributes {tiling = {tob = 1 : i64, toh = 5 : i64, tib = 1 : i64, dram_bytes = 13632 : i64, buffers = 2 : i64}} {
    %0 = tile.alloc : !tile.buf<acc, 51>
    %1 = tile.alloc : !tile.buf<acc, 51>
    %2 = tile.alloc : !tile.buf<inp, 84>
    %3 = tile.alloc : !tile.buf<inp, 84>
    %4 = tile.alloc : !tile.buf<wgt, 9>
    %5 = tile.alloc : !tile.buf<wgt, 9>
    tile.gemm %0, %2, %4 (reset, iter_out=5, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, wgt_factor_out=0, wgt_factor_in=0, uops=[0, 0, 0]) : !tile.buf<acc, 51>, !tile.buf<inp, 84>, !tile.buf<wgt, 9>
    tile.load %0 (offset=50, tensor="l0.bias.folded.packed", dram_offset=0, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<acc, 51>
    tile.load %2 (offset=0, tensor="input", dram_offset=0, y_size=6, x_size=10, x_stride=10, y_pad_0=1, y_pad_1=0, x_pad_0=1, x_pad_1=1) : !tile.buf<inp, 84>
    tile.load %4 (offset=0, tensor="c3.packed", dram_offset=0, y_size=1, x_size=9, x_stride=27, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<wgt, 9>
    tile.gemm %0, %2, %4 (iter_out=5, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=12, src_factor_in=1, wgt_factor_out=0, wgt_factor_in=0, uops=[0, 0, 0, 0, 1, 1, 0, 2, 2, 0, 12, 3, 0, 13, 4, 0, 14, 5, 0, 24, 6, 0, 25, 7, 0, 26, 8]) : !tile.buf<acc, 51>, !tile.buf<inp, 84>, !tile.buf<wgt, 9>
    tile.load %3 (offset=0, tensor="input", dram_offset=100, y_size=6, x_size=10, x_stride=10, y_pad_0=1, y_pad_1=0, x_pad_0=1, x_pad_1=1) : !tile.buf<inp, 84>
    tile.load %5 (offset=0, tensor="c3.packed", dram_offset=9, y_size=1, x_size=9, x_stride=27, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<wgt, 9>
    tile.gemm %0, %3, %5 (iter_out=5, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=12, src_factor_in=1, wgt_factor_out=0, wgt_factor_in=0, uops=[0, 0, 0, 0, 1, 1, 0, 2, 2, 0, 12, 3, 0, 13, 4, 0, 14, 5, 0, 24, 6, 0, 25, 7, 0, 26, 8]) : !tile.buf<acc, 51>, !tile.buf<inp, 84>, !tile.buf<wgt, 9>
    tile.load %2 (offset=0, tensor="input", dram_offset=200, y_size=6, x_size=10, x_stride=10, y_pad_0=1, y_pad_1=0, x_pad_0=1, x_pad_1=1) : !tile.buf<inp, 84>
    tile.load %4 (offset=0, tensor="c3.packed", dram_offset=18, y_size=1, x_size=9, x_stride=27, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<wgt, 9>
    tile.gemm %0, %2, %4 (iter_out=5, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=12, src_factor_in=1, wgt_factor_out=0, wgt_factor_in=0, uops=[0, 0, 0, 0, 1, 1, 0, 2, 2, 0, 12, 3, 0, 13, 4, 0, 14, 5, 0, 24, 6, 0, 25, 7, 0, 26, 8]) : !tile.buf<acc, 51>, !tile.buf<inp, 84>, !tile.buf<wgt, 9>
    tile.alu %0 (op=add, imm=0, iter_out=5, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 50]) : !tile.buf<acc, 51>
    tile.alu %0 (op=shr, use_imm, imm=12, iter_out=5, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 51>
    tile.alu %0 (op=max, use_imm, imm=0, iter_out=5, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 51>
    tile.alu %0 (op=min, use_imm, imm=127, iter_out=5, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 51>
    tile.store %0 (offset=0, tensor="l0.out", dram_offset=0, y_size=1, x_size=50, x_stride=100) : !tile.buf<acc, 51>
    tile.gemm %1, %3, %5 (reset, iter_out=5, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, wgt_factor_out=0, wgt_factor_in=0, uops=[0, 0, 0]) : !tile.buf<acc, 51>, !tile.buf<inp, 84>, !tile.buf<wgt, 9>
    tile.load %1 (offset=50, tensor="l0.bias.folded.packed", dram_offset=0, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<acc, 51>
    tile.load %3 (offset=0, tensor="input", dram_offset=40, y_size=6, x_size=10, x_stride=10, y_pad_0=0, y_pad_1=1, x_pad_0=1, x_pad_1=1) : !tile.buf<inp, 84>
    tile.load %5 (offset=0, tensor="c3.packed", dram_offset=0, y_size=1, x_size=9, x_stride=27, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<wgt, 9>
    tile.gemm %1, %3, %5 (iter_out=5, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=12, src_factor_in=1, wgt_factor_out=0, wgt_factor_in=0, uops=[0, 0, 0, 0, 1, 1, 0, 2, 2, 0, 12, 3, 0, 13, 4, 0, 14, 5, 0, 24, 6, 0, 25, 7, 0, 26, 8]) : !tile.buf<acc, 51>, !tile.buf<inp, 84>, !tile.buf<wgt, 9>
    tile.load %2 (offset=0, tensor="input", dram_offset=140, y_size=6, x_size=10, x_stride=10, y_pad_0=0, y_pad_1=1, x_pad_0=1, x_pad_1=1) : !tile.buf<inp, 84>
    tile.load %4 (offset=0, tensor="c3.packed", dram_offset=9, y_size=1, x_size=9, x_stride=27, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<wgt, 9>
    tile.gemm %1, %2, %4 (iter_out=5, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=12, src_factor_in=1, wgt_factor_out=0, wgt_factor_in=0, uops=[0, 0, 0, 0, 1, 1, 0, 2, 2, 0, 12, 3, 0, 13, 4, 0, 14, 5, 0, 24, 6, 0, 25, 7, 0, 26, 8]) : !tile.buf<acc, 51>, !tile.buf<inp, 84>, !tile.buf<wgt, 9>
    tile.load %3 (offset=0, tensor="input", dram_offset=240, y_size=6, x_size=10, x_stride=10, y_pad_0=0, y_pad_1=1, x_pad_0=1, x_pad_1=1) : !tile.buf<inp, 84>
    tile.load %5 (offset=0, tensor="c3.packed", dram_offset=18, y_size=1, x_size=9, x_stride=27, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<wgt, 9>
    tile.gemm %1, %3, %5 (iter_out=5, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=12, src_factor_in=1, wgt_factor_out=0, wgt_factor_in=0, uops=[0, 0, 0, 0, 1, 1, 0, 2, 2, 0, 12, 3, 0, 13, 4, 0, 14, 5, 0, 24, 6, 0, 25, 7, 0, 26, 8]) : !tile.buf<acc, 51>, !tile.buf<inp, 84>, !tile.buf<wgt, 9>
    tile.alu %1 (op=add, imm=0, iter_out=5, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 50]) : !tile.buf<acc, 51>
    tile.alu %1 (op=shr, use_imm, imm=12, iter_out=5, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 51>
    tile.alu %1 (op=max, use_imm, imm=0, iter_out=5, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 51>
    tile.alu %1 (op=min, use_imm, imm=127, iter_out=5, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 51>
    tile.store %1 (offset=0, tensor="l0.out", dram_offset=50, y_size=1, x_size=50, x_stride=100) : !tile.buf<acc, 51>
    tile.repeat (ops=32, count=1, sets=1, vary=[1, 3, 6, 9, 15, 17, 19, 22, 25, 31], deltas=[1, 27, 27, 27, 100, 1, 27, 27, 27, 100])
  }
  tile.kernel "l1" attributes {tiling = {tob = 3 : i64, toh = 2 : i64, tib = 2 : i64, dram_bytes = 1984 : i64, buffers = 2 : i64, resident = 1 : i64}} {
    %6 = tile.alloc : !tile.buf<acc, 63>
    %7 = tile.alloc : !tile.buf<acc, 63>
    %8 = tile.alloc : !tile.buf<inp, 40>
    %9 = tile.alloc : !tile.buf<inp, 40>
    %10 = tile.alloc : !tile.buf<wgt, 6>
    tile.load %10 (offset=0, tensor="c11.packed", dram_offset=0, y_size=3, x_size=2, x_stride=2, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<wgt, 6>
    tile.load %6 (offset=60, tensor="l1.bias.folded.packed", dram_offset=0, y_size=1, x_size=3, x_stride=3, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<acc, 63>
    tile.load %7 (offset=60, tensor="l1.bias.folded.packed", dram_offset=0, y_size=1, x_size=3, x_stride=3, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<acc, 63>
    tile.gemm %6, %8, %10 (reset, iter_out=2, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, wgt_factor_out=0, wgt_factor_in=0, uops=[0, 0, 0, 20, 0, 0, 40, 0, 0]) : !tile.buf<acc, 63>, !tile.buf<inp, 40>, !tile.buf<wgt, 6>
    tile.load %8 (offset=0, tensor="l0.out", dram_offset=0, y_size=2, x_size=10, x_stride=10, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<inp, 40>
    tile.load %8 (offset=20, tensor="l0.out", dram_offset=100, y_size=2, x_size=10, x_stride=10, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<inp, 40>
    tile.gemm %6, %8, %10 (iter_out=2, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=10, src_factor_in=1, wgt_factor_out=0, wgt_factor_in=0, uops=[0, 0, 0, 0, 20, 1, 20, 0, 2, 20, 20, 3, 40, 0, 4, 40, 20, 5]) : !tile.buf<acc, 63>, !tile.buf<inp, 40>, !tile.buf<wgt, 6>
    tile.alu %6 (op=add, imm=0, iter_out=2, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 60, 20, 61, 40, 62]) : !tile.buf<acc, 63>
    tile.alu %6 (op=shr, use_imm, imm=10, iter_out=6, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 63>
    tile.alu %6 (op=max, use_imm, imm=-128, iter_out=6, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 63>
    tile.alu %6 (op=min, use_imm, imm=127, iter_out=6, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 63>
    tile.store %6 (offset=0, tensor="output", dram_offset=0, y_size=3, x_size=20, x_stride=100) : !tile.buf<acc, 63>
    tile.gemm %7, %9, %10 (reset, iter_out=2, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, wgt_factor_out=0, wgt_factor_in=0, uops=[0, 0, 0, 20, 0, 0, 40, 0, 0]) : !tile.buf<acc, 63>, !tile.buf<inp, 40>, !tile.buf<wgt, 6>
    tile.load %9 (offset=0, tensor="l0.out", dram_offset=20, y_size=2, x_size=10, x_stride=10, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<inp, 40>
    tile.load %9 (offset=20, tensor="l0.out", dram_offset=120, y_size=2, x_size=10, x_stride=10, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<inp, 40>
    tile.gemm %7, %9, %10 (iter_out=2, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=10, src_factor_in=1, wgt_factor_out=0, wgt_factor_in=0, uops=[0, 0, 0, 0, 20, 1, 20, 0, 2, 20, 20, 3, 40, 0, 4, 40, 20, 5]) : !tile.buf<acc, 63>, !tile.buf<inp, 40>, !tile.buf<wgt, 6>
    tile.alu %7 (op=add, imm=0, iter_out=2, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 60, 20, 61, 40, 62]) : !tile.buf<acc, 63>
    tile.alu %7 (op=shr, use_imm, imm=10, iter_out=6, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 63>
    tile.alu %7 (op=max, use_imm, imm=-128, iter_out=6, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 63>
    tile.alu %7 (op=min, use_imm, imm=127, iter_out=6, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 63>
    tile.store %7 (offset=0, tensor="output", dram_offset=20, y_size=3, x_size=20, x_stride=100) : !tile.buf<acc, 63>
    tile.repeat %6, %8, %7, %9 (ops=9, count=3, sets=2, vary=[1, 2, 8], deltas=[20, 20, 20, 40, 40, 40, 60, 60, 60]) : !tile.buf<acc, 63>, !tile.buf<inp, 40>, !tile.buf<acc, 63>, !tile.buf<inp, 40>
  }
}
