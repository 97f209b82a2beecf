builtin.module attributes {canopy.inputs = ["input"], canopy.outputs = ["output"], canopy.weights = "weights.npz", canopy.hw_config = {TARGET = "sim", HW_VER = "0.0.2", LOG_INP_WIDTH = 3 : i64, LOG_WGT_WIDTH = 3 : i64, LOG_ACC_WIDTH = 5 : i64, LOG_BATCH = 0 : i64, LOG_BLOCK_IN = 3 : i64, LOG_BLOCK_OUT = 3 : i64, LOG_UOP_BUFF_SIZE = 12 : i64, LOG_INP_BUFF_SIZE = 11 : i64, LOG_WGT_BUFF_SIZE = 12 : i64, LOG_ACC_BUFF_SIZE = 12 : i64, LOG_BUS_WIDTH = 6 : i64, CLOCK_MHZ = 100 : i64, DRAM_LATENCY_CYCLES = 64 : i64, ALU_MUL_BITS = 8 : i64}, canopy.stage = "accel"} {
  accel.region "c3.packed" {weight = "c3.packed", type = tensor<2x3x3x3x8x8xi8>, offset = 0 : i64, nbytes = 3456 : i64, role = "weight"}
  accel.region "l0.bias.folded.packed" {weight = "l0.bias.folded.packed", type = tensor<2x1x8xi32>, offset = 3456 : i64, nbytes = 64 : i64, role = "weight"}
  accel.region "c11.packed" {weight = "c11.packed", type = tensor<3x2x1x1x8x8xi8>, offset = 3520 : i64, nbytes = 384 : i64, role = "weight"}
  accel.region "l1.bias.folded.packed" {weight = "l1.bias.folded.packed", type = tensor<3x1x8xi32>, offset = 3904 : i64, nbytes = 96 : i64, role = "weight"}
  accel.region "input" {logical_shape = array<i64: 1, 20, 10, 10>, scale = 1.562500e-02 : f64, zero_point = 0 : i64, onnx_name = "input", type = tensor<1x3x10x10x1x8xi8>, offset = 4032 : i64, nbytes = 2400 : i64, role = "input"}
  accel.region "output" {logical_shape = array<i64: 1, 24, 10, 10>, scale = 4.000000e+00 : f64, zero_point = 0 : i64, onnx_name = "output", type = tensor<1x3x10x10x1x8xi8>, offset = 6464 : i64, nbytes = 2400 : i64, role = "output"}
  accel.region "l0.out" {logical_shape = array<i64: 1, 16, 10, 10>, type = tensor<1x2x10x10x1x8xi8>, offset = 8896 : i64, nbytes = 1600 : i64, role = "scratch"}
  accel.uop_table (offset=10496, uops=[0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 2, 2, 0, 12, 3, 0, 13, 4, 0, 14, 5, 0, 24, 6, 0, 25, 7, 0, 26, 8, 0, 84, 9, 0, 85, 10, 0, 86, 11, 0, 96, 12, 0, 97, 13, 0, 98, 14, 0, 108, 15, 0, 109, 16, 0, 110, 17, 0, 50, 0, 51, 84, 9, 51, 84, 9, 51, 85, 10, 51, 86, 11, 51, 96, 12, 51, 97, 13, 51, 98, 14, 51, 108, 15, 51, 109, 16, 51, 110, 17, 51, 0, 0, 51, 1, 1, 51, 2, 2, 51, 12, 3, 51, 13, 4, 51, 14, 5, 51, 24, 6, 51, 25, 7, 51, 26, 8, 51, 101, 0, 51, 51, 0, 0, 0, 0, 20, 0, 0, 40, 0, 0, 0, 0, 0, 0, 20, 1, 20, 0, 2, 20, 20, 3, 40, 0, 4, 40, 20, 5, 0, 60, 0, 20, 61, 0, 40, 62, 0, 63, 40, 0, 83, 40, 0, 103, 40, 0, 63, 40, 0, 63, 60, 1, 83, 40, 2, 83, 60, 3, 103, 40, 4, 103, 60, 5, 63, 123, 0, 83, 124, 0, 103, 125, 0, 63, 63, 0])
  accel.program {
    accel.load (memory_type=uop, sram_base=0, dram_base=2624, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.gemm (reset_reg, uop_bgn=0, uop_end=1, iter_out=5, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, wgt_factor_out=0, wgt_factor_in=0) {layer = "l0"}
    accel.load (memory_type=acc, sram_base=50, dram_base=108, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.load (memory_type=inp, sram_base=0, dram_base=504, y_size=6, x_size=10, x_stride=10, y_pad_0=1, y_pad_1=0, x_pad_0=1, x_pad_1=1) {layer = "l0"}
    accel.load (memory_type=wgt, sram_base=0, dram_base=0, y_size=1, x_size=9, x_stride=27, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.load (memory_type=uop, sram_base=1, dram_base=2625, y_size=1, x_size=9, x_stride=9, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.gemm (uop_bgn=1, uop_end=10, iter_out=5, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=12, src_factor_in=1, wgt_factor_out=0, wgt_factor_in=0) {layer = "l0"}
    accel.load (memory_type=inp, sram_base=84, dram_base=604, y_size=6, x_size=10, x_stride=10, y_pad_0=1, y_pad_1=0, x_pad_0=1, x_pad_1=1) {layer = "l0"}
    accel.load (memory_type=wgt, sram_base=9, dram_base=9, y_size=1, x_size=9, x_stride=27, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.load (memory_type=uop, sram_base=10, dram_base=2634, y_size=1, x_size=9, x_stride=9, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.gemm (uop_bgn=10, uop_end=19, iter_out=5, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=12, src_factor_in=1, wgt_factor_out=0, wgt_factor_in=0) {layer = "l0"}
    accel.load (memory_type=inp, sram_base=0, dram_base=704, y_size=6, x_size=10, x_stride=10, y_pad_0=1, y_pad_1=0, x_pad_0=1, x_pad_1=1) {layer = "l0"}
    accel.load (memory_type=wgt, sram_base=0, dram_base=18, y_size=1, x_size=9, x_stride=27, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.gemm (uop_bgn=1, uop_end=10, iter_out=5, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=12, src_factor_in=1, wgt_factor_out=0, wgt_factor_in=0) {layer = "l0"}
    accel.load (memory_type=uop, sram_base=19, dram_base=2643, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.alu (uop_bgn=19, uop_end=20, iter_out=5, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=add, imm=0) {layer = "l0"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=5, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=shr, use_imm, imm=12) {layer = "l0"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=5, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=max, use_imm, imm=0) {layer = "l0"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=5, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=min, use_imm, imm=127) {layer = "l0"}
    accel.store (memory_type=out, sram_base=0, dram_base=1112, y_size=1, x_size=50, x_stride=100, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.load (memory_type=uop, sram_base=20, dram_base=2644, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.gemm (reset_reg, uop_bgn=20, uop_end=21, iter_out=5, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, wgt_factor_out=0, wgt_factor_in=0) {layer = "l0"}
    accel.load (memory_type=acc, sram_base=101, dram_base=108, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.load (memory_type=inp, sram_base=84, dram_base=544, y_size=6, x_size=10, x_stride=10, y_pad_0=0, y_pad_1=1, x_pad_0=1, x_pad_1=1) {layer = "l0"}
    accel.load (memory_type=wgt, sram_base=9, dram_base=0, y_size=1, x_size=9, x_stride=27, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.load (memory_type=uop, sram_base=21, dram_base=2645, y_size=1, x_size=9, x_stride=9, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.gemm (uop_bgn=21, uop_end=30, iter_out=5, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=12, src_factor_in=1, wgt_factor_out=0, wgt_factor_in=0) {layer = "l0"}
    accel.load (memory_type=inp, sram_base=0, dram_base=644, y_size=6, x_size=10, x_stride=10, y_pad_0=0, y_pad_1=1, x_pad_0=1, x_pad_1=1) {layer = "l0"}
    accel.load (memory_type=wgt, sram_base=0, dram_base=9, y_size=1, x_size=9, x_stride=27, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.load (memory_type=uop, sram_base=30, dram_base=2654, y_size=1, x_size=9, x_stride=9, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.gemm (uop_bgn=30, uop_end=39, iter_out=5, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=12, src_factor_in=1, wgt_factor_out=0, wgt_factor_in=0) {layer = "l0"}
    accel.load (memory_type=inp, sram_base=84, dram_base=744, y_size=6, x_size=10, x_stride=10, y_pad_0=0, y_pad_1=1, x_pad_0=1, x_pad_1=1) {layer = "l0"}
    accel.load (memory_type=wgt, sram_base=9, dram_base=18, y_size=1, x_size=9, x_stride=27, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.gemm (uop_bgn=21, uop_end=30, iter_out=5, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=12, src_factor_in=1, wgt_factor_out=0, wgt_factor_in=0) {layer = "l0"}
    accel.load (memory_type=uop, sram_base=39, dram_base=2663, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.alu (uop_bgn=39, uop_end=40, iter_out=5, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=add, imm=0) {layer = "l0"}
    accel.load (memory_type=uop, sram_base=40, dram_base=2664, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.alu (uop_bgn=40, uop_end=41, iter_out=5, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=shr, use_imm, imm=12) {layer = "l0"}
    accel.alu (uop_bgn=40, uop_end=41, iter_out=5, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=max, use_imm, imm=0) {layer = "l0"}
    accel.alu (uop_bgn=40, uop_end=41, iter_out=5, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=min, use_imm, imm=127) {layer = "l0"}
    accel.store (memory_type=out, sram_base=51, dram_base=1162, y_size=1, x_size=50, x_stride=100, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.gemm (reset_reg, uop_bgn=0, uop_end=1, iter_out=5, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, wgt_factor_out=0, wgt_factor_in=0) {layer = "l0"}
    accel.load (memory_type=acc, sram_base=50, dram_base=109, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.load (memory_type=inp, sram_base=0, dram_base=504, y_size=6, x_size=10, x_stride=10, y_pad_0=1, y_pad_1=0, x_pad_0=1, x_pad_1=1) {layer = "l0"}
    accel.load (memory_type=wgt, sram_base=0, dram_base=27, y_size=1, x_size=9, x_stride=27, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.gemm (uop_bgn=1, uop_end=10, iter_out=5, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=12, src_factor_in=1, wgt_factor_out=0, wgt_factor_in=0) {layer = "l0"}
    accel.load (memory_type=inp, sram_base=84, dram_base=604, y_size=6, x_size=10, x_stride=10, y_pad_0=1, y_pad_1=0, x_pad_0=1, x_pad_1=1) {layer = "l0"}
    accel.load (memory_type=wgt, sram_base=9, dram_base=36, y_size=1, x_size=9, x_stride=27, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.gemm (uop_bgn=10, uop_end=19, iter_out=5, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=12, src_factor_in=1, wgt_factor_out=0, wgt_factor_in=0) {layer = "l0"}
    accel.load (memory_type=inp, sram_base=0, dram_base=704, y_size=6, x_size=10, x_stride=10, y_pad_0=1, y_pad_1=0, x_pad_0=1, x_pad_1=1) {layer = "l0"}
    accel.load (memory_type=wgt, sram_base=0, dram_base=45, y_size=1, x_size=9, x_stride=27, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.gemm (uop_bgn=1, uop_end=10, iter_out=5, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=12, src_factor_in=1, wgt_factor_out=0, wgt_factor_in=0) {layer = "l0"}
    accel.alu (uop_bgn=19, uop_end=20, iter_out=5, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=add, imm=0) {layer = "l0"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=5, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=shr, use_imm, imm=12) {layer = "l0"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=5, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=max, use_imm, imm=0) {layer = "l0"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=5, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=min, use_imm, imm=127) {layer = "l0"}
    accel.store (memory_type=out, sram_base=0, dram_base=1212, y_size=1, x_size=50, x_stride=100, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.gemm (reset_reg, uop_bgn=20, uop_end=21, iter_out=5, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, wgt_factor_out=0, wgt_factor_in=0) {layer = "l0"}
    accel.load (memory_type=acc, sram_base=101, dram_base=109, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.load (memory_type=inp, sram_base=84, dram_base=544, y_size=6, x_size=10, x_stride=10, y_pad_0=0, y_pad_1=1, x_pad_0=1, x_pad_1=1) {layer = "l0"}
    accel.load (memory_type=wgt, sram_base=9, dram_base=27, y_size=1, x_size=9, x_stride=27, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.gemm (uop_bgn=21, uop_end=30, iter_out=5, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=12, src_factor_in=1, wgt_factor_out=0, wgt_factor_in=0) {layer = "l0"}
    accel.load (memory_type=inp, sram_base=0, dram_base=644, y_size=6, x_size=10, x_stride=10, y_pad_0=0, y_pad_1=1, x_pad_0=1, x_pad_1=1) {layer = "l0"}
    accel.load (memory_type=wgt, sram_base=0, dram_base=36, y_size=1, x_size=9, x_stride=27, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.gemm (uop_bgn=30, uop_end=39, iter_out=5, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=12, src_factor_in=1, wgt_factor_out=0, wgt_factor_in=0) {layer = "l0"}
    accel.load (memory_type=inp, sram_base=84, dram_base=744, y_size=6, x_size=10, x_stride=10, y_pad_0=0, y_pad_1=1, x_pad_0=1, x_pad_1=1) {layer = "l0"}
    accel.load (memory_type=wgt, sram_base=9, dram_base=45, y_size=1, x_size=9, x_stride=27, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.gemm (uop_bgn=21, uop_end=30, iter_out=5, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=12, src_factor_in=1, wgt_factor_out=0, wgt_factor_in=0) {layer = "l0"}
    accel.alu (uop_bgn=39, uop_end=40, iter_out=5, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=add, imm=0) {layer = "l0"}
    accel.alu (uop_bgn=40, uop_end=41, iter_out=5, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=shr, use_imm, imm=12) {layer = "l0"}
    accel.alu (uop_bgn=40, uop_end=41, iter_out=5, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=max, use_imm, imm=0) {layer = "l0"}
    accel.alu (uop_bgn=40, uop_end=41, iter_out=5, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=min, use_imm, imm=127) {layer = "l0"}
    accel.store (memory_type=out, sram_base=51, dram_base=1262, y_size=1, x_size=50, x_stride=100, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.load (memory_type=wgt, sram_base=0, dram_base=55, y_size=3, x_size=2, x_stride=2, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.load (memory_type=acc, sram_base=60, dram_base=122, y_size=1, x_size=3, x_stride=3, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.load (memory_type=acc, sram_base=123, dram_base=122, y_size=1, x_size=3, x_stride=3, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.load (memory_type=uop, sram_base=41, dram_base=2665, y_size=1, x_size=3, x_stride=3, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.gemm (reset_reg, uop_bgn=41, uop_end=44, iter_out=2, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, wgt_factor_out=0, wgt_factor_in=0) {layer = "l1"}
    accel.load (memory_type=inp, sram_base=0, dram_base=1112, y_size=2, x_size=10, x_stride=10, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.load (memory_type=inp, sram_base=20, dram_base=1212, y_size=2, x_size=10, x_stride=10, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.load (memory_type=uop, sram_base=44, dram_base=2668, y_size=1, x_size=6, x_stride=6, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.gemm (uop_bgn=44, uop_end=50, iter_out=2, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=10, src_factor_in=1, wgt_factor_out=0, wgt_factor_in=0) {layer = "l1"}
    accel.load (memory_type=uop, sram_base=50, dram_base=2674, y_size=1, x_size=3, x_stride=3, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.alu (uop_bgn=50, uop_end=53, iter_out=2, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=add, imm=0) {layer = "l1"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=6, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=shr, use_imm, imm=10) {layer = "l1"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=6, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=max, use_imm, imm=-128) {layer = "l1"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=6, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=min, use_imm, imm=127) {layer = "l1"}
    accel.store (memory_type=out, sram_base=0, dram_base=808, y_size=3, x_size=20, x_stride=100, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.load (memory_type=uop, sram_base=53, dram_base=2677, y_size=1, x_size=3, x_stride=3, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.gemm (reset_reg, uop_bgn=53, uop_end=56, iter_out=2, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, wgt_factor_out=0, wgt_factor_in=0) {layer = "l1"}
    accel.load (memory_type=inp, sram_base=40, dram_base=1132, y_size=2, x_size=10, x_stride=10, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.load (memory_type=inp, sram_base=60, dram_base=1232, y_size=2, x_size=10, x_stride=10, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.load (memory_type=uop, sram_base=56, dram_base=2680, y_size=1, x_size=6, x_stride=6, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.gemm (uop_bgn=56, uop_end=62, iter_out=2, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=10, src_factor_in=1, wgt_factor_out=0, wgt_factor_in=0) {layer = "l1"}
    accel.load (memory_type=uop, sram_base=62, dram_base=2686, y_size=1, x_size=3, x_stride=3, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.alu (uop_bgn=62, uop_end=65, iter_out=2, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=add, imm=0) {layer = "l1"}
    accel.load (memory_type=uop, sram_base=65, dram_base=2689, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.alu (uop_bgn=65, uop_end=66, iter_out=6, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=shr, use_imm, imm=10) {layer = "l1"}
    accel.alu (uop_bgn=65, uop_end=66, iter_out=6, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=max, use_imm, imm=-128) {layer = "l1"}
    accel.alu (uop_bgn=65, uop_end=66, iter_out=6, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=min, use_imm, imm=127) {layer = "l1"}
    accel.store (memory_type=out, sram_base=63, dram_base=828, y_size=3, x_size=20, x_stride=100, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.gemm (reset_reg, uop_bgn=41, uop_end=44, iter_out=2, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, wgt_factor_out=0, wgt_factor_in=0) {layer = "l1"}
    accel.load (memory_type=inp, sram_base=0, dram_base=1152, y_size=2, x_size=10, x_stride=10, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.load (memory_type=inp, sram_base=20, dram_base=1252, y_size=2, x_size=10, x_stride=10, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.gemm (uop_bgn=44, uop_end=50, iter_out=2, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=10, src_factor_in=1, wgt_factor_out=0, wgt_factor_in=0) {layer = "l1"}
    accel.alu (uop_bgn=50, uop_end=53, iter_out=2, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=add, imm=0) {layer = "l1"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=6, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=shr, use_imm, imm=10) {layer = "l1"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=6, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=max, use_imm, imm=-128) {layer = "l1"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=6, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=min, use_imm, imm=127) {layer = "l1"}
    accel.store (memory_type=out, sram_base=0, dram_base=848, y_size=3, x_size=20, x_stride=100, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.gemm (reset_reg, uop_bgn=53, uop_end=56, iter_out=2, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, wgt_factor_out=0, wgt_factor_in=0) {layer = "l1"}
    accel.load (memory_type=inp, sram_base=40, dram_base=1172, y_size=2, x_size=10, x_stride=10, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.load (memory_type=inp, sram_base=60, dram_base=1272, y_size=2, x_size=10, x_stride=10, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.gemm (uop_bgn=56, uop_end=62, iter_out=2, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=10, src_factor_in=1, wgt_factor_out=0, wgt_factor_in=0) {layer = "l1"}
    accel.alu (uop_bgn=62, uop_end=65, iter_out=2, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=add, imm=0) {layer = "l1"}
    accel.alu (uop_bgn=65, uop_end=66, iter_out=6, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=shr, use_imm, imm=10) {layer = "l1"}
    accel.alu (uop_bgn=65, uop_end=66, iter_out=6, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=max, use_imm, imm=-128) {layer = "l1"}
    accel.alu (uop_bgn=65, uop_end=66, iter_out=6, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=min, use_imm, imm=127) {layer = "l1"}
    accel.store (memory_type=out, sram_base=63, dram_base=868, y_size=3, x_size=20, x_stride=100, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.gemm (reset_reg, uop_bgn=41, uop_end=44, iter_out=2, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, wgt_factor_out=0, wgt_factor_in=0) {layer = "l1"}
    accel.load (memory_type=inp, sram_base=0, dram_base=1192, y_size=2, x_size=10, x_stride=10, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.load (memory_type=inp, sram_base=20, dram_base=1292, y_size=2, x_size=10, x_stride=10, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.gemm (uop_bgn=44, uop_end=50, iter_out=2, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=10, src_factor_in=1, wgt_factor_out=0, wgt_factor_in=0) {layer = "l1"}
    accel.alu (uop_bgn=50, uop_end=53, iter_out=2, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=add, imm=0) {layer = "l1"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=6, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=shr, use_imm, imm=10) {layer = "l1"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=6, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=max, use_imm, imm=-128) {layer = "l1"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=6, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=min, use_imm, imm=127) {layer = "l1"}
    accel.store (memory_type=out, sram_base=0, dram_base=888, y_size=3, x_size=20, x_stride=100, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.finish ()
  }
}
