builtin.module attributes {canopy.inputs = ["input"], canopy.outputs = ["output"], canopy.weights = "weights.npz", canopy.hw_config = {TARGET = "sim", HW_VER = "0.0.2", LOG_INP_WIDTH = 3 : i64, LOG_WGT_WIDTH = 3 : i64, LOG_ACC_WIDTH = 5 : i64, LOG_BATCH = 0 : i64, LOG_BLOCK_IN = 3 : i64, LOG_BLOCK_OUT = 3 : i64, LOG_UOP_BUFF_SIZE = 12 : i64, LOG_INP_BUFF_SIZE = 11 : i64, LOG_WGT_BUFF_SIZE = 12 : i64, LOG_ACC_BUFF_SIZE = 12 : i64, LOG_BUS_WIDTH = 6 : i64, CLOCK_MHZ = 100 : i64, DRAM_LATENCY_CYCLES = 64 : i64, ALU_MUL_BITS = 8 : i64}} {
  tile.tensor "input" {logical_shape = array<i64: 1, 20, 10, 10>, scale = 1.562500e-02 : f64, zero_point = 0 : i64, onnx_name = "input", type = tensor<1x3x10x10x1x8xi8>, role = "input"}
  tile.tensor "output" {logical_shape = array<i64: 1, 24, 10, 10>, scale = 4.000000e+00 : f64, zero_point = 0 : i64, onnx_name = "output", type = tensor<1x3x10x10x1x8xi8>, role = "output"}
  tile.tensor "l0.out" {logical_shape = array<i64: 1, 16, 10, 10>, type = tensor<1x2x10x10x1x8xi8>, role = "scratch"}
  tile.tensor "c3.packed" {weight = "c3.packed", type = tensor<2x3x3x3x8x8xi8>, role = "weight"}
  tile.tensor "c6.packed" {weight = "c6.packed", type = tensor<2x1x8xi32>, role = "weight"}
  tile.tensor "c11.packed" {weight = "c11.packed", type = tensor<3x2x1x1x8x8xi8>, role = "weight"}
  tile.tensor "c14.packed" {weight = "c14.packed", type = tensor<3x1x8xi32>, role = "weight"}
  tile.kernel "l0" attributes {tiling = {tob = 2 : i64, toh = 5 : i64, tib = 3 : i64, dram_bytes = 10272 : i64, buffers = 1 : i64}} {
    %0 = tile.alloc : !tile.buf<acc, 102>
    %1 = tile.alloc : !tile.buf<inp, 252>
    %2 = tile.alloc : !tile.buf<wgt, 54>
    tile.load %0 (offset=0, tensor="c6.packed", dram_offset=0, y_size=50, x_size=1, x_stride=0, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<acc, 102>
    tile.load %0 (offset=50, tensor="c6.packed", dram_offset=1, y_size=50, x_size=1, x_stride=0, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<acc, 102>
    tile.load %1 (offset=0, tensor="input", dram_offset=0, y_size=6, x_size=10, x_stride=10, y_pad_0=1, y_pad_1=0, x_pad_0=1, x_pad_1=1) : !tile.buf<inp, 252>
    tile.load %1 (offset=84, tensor="input", dram_offset=100, y_size=6, x_size=10, x_stride=10, y_pad_0=1, y_pad_1=0, x_pad_0=1, x_pad_1=1) : !tile.buf<inp, 252>
    tile.load %1 (offset=168, tensor="input", dram_offset=200, y_size=6, x_size=10, x_stride=10, y_pad_0=1, y_pad_1=0, x_pad_0=1, x_pad_1=1) : !tile.buf<inp, 252>
    tile.load %2 (offset=0, tensor="c3.packed", dram_offset=0, y_size=2, x_size=27, x_stride=27, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<wgt, 54>
    tile.gemm %0, %1, %2 (iter_out=5, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=12, src_factor_in=1, wgt_factor_out=0, wgt_factor_in=0, uops=[0, 0, 0, 0, 1, 1, 0, 2, 2, 0, 12, 3, 0, 13, 4, 0, 14, 5, 0, 24, 6, 0, 25, 7, 0, 26, 8, 0, 84, 9, 0, 85, 10, 0, 86, 11, 0, 96, 12, 0, 97, 13, 0, 98, 14, 0, 108, 15, 0, 109, 16, 0, 110, 17, 0, 168, 18, 0, 169, 19, 0, 170, 20, 0, 180, 21, 0, 181, 22, 0, 182, 23, 0, 192, 24, 0, 193, 25, 0, 194, 26, 50, 0, 27, 50, 1, 28, 50, 2, 29, 50, 12, 30, 50, 13, 31, 50, 14, 32, 50, 24, 33, 50, 25, 34, 50, 26, 35, 50, 84, 36, 50, 85, 37, 50, 86, 38, 50, 96, 39, 50, 97, 40, 50, 98, 41, 50, 108, 42, 50, 109, 43, 50, 110, 44, 50, 168, 45, 50, 169, 46, 50, 170, 47, 50, 180, 48, 50, 181, 49, 50, 182, 50, 50, 192, 51, 50, 193, 52, 50, 194, 53]) : !tile.buf<acc, 102>, !tile.buf<inp, 252>, !tile.buf<wgt, 54>
    tile.alu %0 (op=add, use_imm, imm=2048, iter_out=10, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 102>
    tile.alu %0 (op=shr, use_imm, imm=12, iter_out=10, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 102>
    tile.alu %0 (op=max, use_imm, imm=0, iter_out=10, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 102>
    tile.alu %0 (op=min, use_imm, imm=127, iter_out=10, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 102>
    tile.store %0 (offset=0, tensor="l0.out", dram_offset=0, y_size=2, x_size=50, x_stride=100) : !tile.buf<acc, 102>
    tile.load %0 (offset=0, tensor="c6.packed", dram_offset=0, y_size=50, x_size=1, x_stride=0, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<acc, 102>
    tile.load %0 (offset=50, tensor="c6.packed", dram_offset=1, y_size=50, x_size=1, x_stride=0, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<acc, 102>
    tile.load %1 (offset=0, tensor="input", dram_offset=40, y_size=6, x_size=10, x_stride=10, y_pad_0=0, y_pad_1=1, x_pad_0=1, x_pad_1=1) : !tile.buf<inp, 252>
    tile.load %1 (offset=84, tensor="input", dram_offset=140, y_size=6, x_size=10, x_stride=10, y_pad_0=0, y_pad_1=1, x_pad_0=1, x_pad_1=1) : !tile.buf<inp, 252>
    tile.load %1 (offset=168, tensor="input", dram_offset=240, y_size=6, x_size=10, x_stride=10, y_pad_0=0, y_pad_1=1, x_pad_0=1, x_pad_1=1) : !tile.buf<inp, 252>
    tile.load %2 (offset=0, tensor="c3.packed", dram_offset=0, y_size=2, x_size=27, x_stride=27, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<wgt, 54>
    tile.gemm %0, %1, %2 (iter_out=5, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=12, src_factor_in=1, wgt_factor_out=0, wgt_factor_in=0, uops=[0, 0, 0, 0, 1, 1, 0, 2, 2, 0, 12, 3, 0, 13, 4, 0, 14, 5, 0, 24, 6, 0, 25, 7, 0, 26, 8, 0, 84, 9, 0, 85, 10, 0, 86, 11, 0, 96, 12, 0, 97, 13, 0, 98, 14, 0, 108, 15, 0, 109, 16, 0, 110, 17, 0, 168, 18, 0, 169, 19, 0, 170, 20, 0, 180, 21, 0, 181, 22, 0, 182, 23, 0, 192, 24, 0, 193, 25, 0, 194, 26, 50, 0, 27, 50, 1, 28, 50, 2, 29, 50, 12, 30, 50, 13, 31, 50, 14, 32, 50, 24, 33, 50, 25, 34, 50, 26, 35, 50, 84, 36, 50, 85, 37, 50, 86, 38, 50, 96, 39, 50, 97, 40, 50, 98, 41, 50, 108, 42, 50, 109, 43, 50, 110, 44, 50, 168, 45, 50, 169, 46, 50, 170, 47, 50, 180, 48, 50, 181, 49, 50, 182, 50, 50, 192, 51, 50, 193, 52, 50, 194, 53]) : !tile.buf<acc, 102>, !tile.buf<inp, 252>, !tile.buf<wgt, 54>
    tile.alu %0 (op=add, use_imm, imm=2048, iter_out=10, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 102>
    tile.alu %0 (op=shr, use_imm, imm=12, iter_out=10, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 102>
    tile.alu %0 (op=max, use_imm, imm=0, iter_out=10, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 102>
    tile.alu %0 (op=min, use_imm, imm=127, iter_out=10, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 102>
    tile.store %0 (offset=0, tensor="l0.out", dram_offset=50, y_size=2, x_size=50, x_stride=100) : !tile.buf<acc, 102>
  }
  tile.kernel "l1" attributes {tiling = {tob = 3 : i64, toh = 4 : i64, tib = 2 : i64, dram_bytes = 3072 : i64, buffers = 1 : i64}} {
    %3 = tile.alloc : !tile.buf<acc, 123>
    %4 = tile.alloc : !tile.buf<inp, 80>
    %5 = tile.alloc : !tile.buf<wgt, 6>
    tile.gemm %3, %4, %5 (reset, iter_out=4, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, wgt_factor_out=0, wgt_factor_in=0, uops=[0, 0, 0, 40, 0, 0, 80, 0, 0]) : !tile.buf<acc, 123>, !tile.buf<inp, 80>, !tile.buf<wgt, 6>
    tile.load %3 (offset=120, tensor="c14.packed", dram_offset=0, y_size=1, x_size=3, x_stride=3, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<acc, 123>
    tile.alu %3 (op=add, imm=0, iter_out=4, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 120, 40, 121, 80, 122]) : !tile.buf<acc, 123>
    tile.load %4 (offset=0, tensor="l0.out", dram_offset=0, y_size=4, x_size=10, x_stride=10, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<inp, 80>
    tile.load %4 (offset=40, tensor="l0.out", dram_offset=100, y_size=4, x_size=10, x_stride=10, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<inp, 80>
    tile.load %5 (offset=0, tensor="c11.packed", dram_offset=0, y_size=3, x_size=2, x_stride=2, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<wgt, 6>
    tile.gemm %3, %4, %5 (iter_out=4, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=10, src_factor_in=1, wgt_factor_out=0, wgt_factor_in=0, uops=[0, 0, 0, 0, 40, 1, 40, 0, 2, 40, 40, 3, 80, 0, 4, 80, 40, 5]) : !tile.buf<acc, 123>, !tile.buf<inp, 80>, !tile.buf<wgt, 6>
    tile.alu %3 (op=add, use_imm, imm=512, iter_out=12, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 123>
    tile.alu %3 (op=shr, use_imm, imm=10, iter_out=12, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 123>
    tile.alu %3 (op=max, use_imm, imm=-128, iter_out=12, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 123>
    tile.alu %3 (op=min, use_imm, imm=127, iter_out=12, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 123>
    tile.store %3 (offset=0, tensor="output", dram_offset=0, y_size=3, x_size=40, x_stride=100) : !tile.buf<acc, 123>
    tile.repeat (ops=12, count=1, sets=1, vary=[3, 4, 11], deltas=[40, 40, 40])
    tile.gemm %3, %4, %5 (reset, iter_out=2, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, wgt_factor_out=0, wgt_factor_in=0, uops=[0, 0, 0, 20, 0, 0, 40, 0, 0]) : !tile.buf<acc, 123>, !tile.buf<inp, 80>, !tile.buf<wgt, 6>
    tile.load %3 (offset=60, tensor="c14.packed", dram_offset=0, y_size=1, x_size=3, x_stride=3, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<acc, 123>
    tile.alu %3 (op=add, imm=0, iter_out=2, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 60, 20, 61, 40, 62]) : !tile.buf<acc, 123>
    tile.load %4 (offset=0, tensor="l0.out", dram_offset=80, y_size=2, x_size=10, x_stride=10, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<inp, 80>
    tile.load %4 (offset=20, tensor="l0.out", dram_offset=180, y_size=2, x_size=10, x_stride=10, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<inp, 80>
    tile.load %5 (offset=0, tensor="c11.packed", dram_offset=0, y_size=3, x_size=2, x_stride=2, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) : !tile.buf<wgt, 6>
    tile.gemm %3, %4, %5 (iter_out=2, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=10, src_factor_in=1, wgt_factor_out=0, wgt_factor_in=0, uops=[0, 0, 0, 0, 20, 1, 20, 0, 2, 20, 20, 3, 40, 0, 4, 40, 20, 5]) : !tile.buf<acc, 123>, !tile.buf<inp, 80>, !tile.buf<wgt, 6>
    tile.alu %3 (op=add, use_imm, imm=512, iter_out=6, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 123>
    tile.alu %3 (op=shr, use_imm, imm=10, iter_out=6, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 123>
    tile.alu %3 (op=max, use_imm, imm=-128, iter_out=6, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 123>
    tile.alu %3 (op=min, use_imm, imm=127, iter_out=6, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, uops=[0, 0]) : !tile.buf<acc, 123>
    tile.store %3 (offset=0, tensor="output", dram_offset=80, y_size=3, x_size=20, x_stride=100) : !tile.buf<acc, 123>
  }
}
