builtin.module attributes {canopy.inputs = ["input"], canopy.outputs = ["output"], canopy.weights = "weights.npz", canopy.hw_config = {TARGET = "sim", HW_VER = "0.0.2", LOG_INP_WIDTH = 3 : i64, LOG_WGT_WIDTH = 3 : i64, LOG_ACC_WIDTH = 5 : i64, LOG_BATCH = 0 : i64, LOG_BLOCK_IN = 2 : i64, LOG_BLOCK_OUT = 2 : i64, LOG_UOP_BUFF_SIZE = 10 : i64, LOG_INP_BUFF_SIZE = 8 : i64, LOG_WGT_BUFF_SIZE = 9 : i64, LOG_ACC_BUFF_SIZE = 8 : i64, LOG_BUS_WIDTH = 6 : i64, CLOCK_MHZ = 100 : i64, DRAM_LATENCY_CYCLES = 64 : i64, ALU_MUL_BITS = 8 : i64}, canopy.stage = "accel"} {
  accel.region "c3.packed" {weight = "c3.packed", type = tensor<2x1x3x3x4x4xi8>, offset = 0 : i64, nbytes = 288 : i64, role = "weight"}
  accel.region "l0.bias.folded.packed" {weight = "l0.bias.folded.packed", type = tensor<2x1x4xi32>, offset = 288 : i64, nbytes = 32 : i64, role = "weight"}
  accel.region "c11.packed" {weight = "c11.packed", type = tensor<4x2x3x3x4x4xi8>, offset = 320 : i64, nbytes = 1152 : i64, role = "weight"}
  accel.region "c14.packed" {weight = "c14.packed", type = tensor<4x1x4xi32>, offset = 1472 : i64, nbytes = 64 : i64, role = "weight"}
  accel.region "input" {logical_shape = array<i64: 1, 4, 7, 7>, scale = 1.562500e-02 : f64, zero_point = 0 : i64, onnx_name = "input", type = tensor<1x1x7x7x1x4xi8>, offset = 1536 : i64, nbytes = 196 : i64, role = "input"}
  accel.region "output" {logical_shape = array<i64: 1, 16, 4, 4>, scale = 4.000000e+00 : f64, zero_point = 0 : i64, onnx_name = "output", type = tensor<1x4x4x4x1x4xi8>, offset = 1744 : i64, nbytes = 256 : i64, role = "output"}
  accel.region "l0.out" {logical_shape = array<i64: 1, 8, 7, 7>, type = tensor<1x2x7x7x1x4xi8>, offset = 2000 : i64, nbytes = 392 : i64, role = "scratch"}
  accel.uop_table (offset=2400, uops=[0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 2, 2, 0, 9, 3, 0, 10, 4, 0, 11, 5, 0, 18, 6, 0, 19, 7, 0, 20, 8, 0, 7, 0, 8, 27, 0, 8, 27, 0, 8, 28, 1, 8, 29, 2, 8, 36, 3, 8, 37, 4, 8, 38, 5, 8, 45, 6, 8, 46, 7, 8, 47, 8, 8, 15, 0, 8, 8, 0, 8, 27, 9, 8, 27, 9, 8, 28, 10, 8, 29, 11, 8, 36, 12, 8, 37, 13, 8, 38, 14, 8, 45, 15, 8, 46, 16, 8, 47, 17, 0, 0, 9, 0, 0, 9, 0, 1, 10, 0, 2, 11, 0, 9, 12, 0, 10, 13, 0, 11, 14, 0, 18, 15, 0, 19, 16, 0, 20, 17])
  accel.program {
    accel.load (memory_type=wgt, sram_base=0, dram_base=0, y_size=1, x_size=9, x_stride=9, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.load (memory_type=acc, sram_base=7, dram_base=18, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.load (memory_type=acc, sram_base=15, dram_base=18, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.load (memory_type=uop, sram_base=0, dram_base=600, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.gemm (reset_reg, uop_bgn=0, uop_end=1, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, wgt_factor_out=0, wgt_factor_in=0) {layer = "l0"}
    accel.load (memory_type=inp, sram_base=0, dram_base=384, y_size=2, x_size=7, x_stride=7, y_pad_0=1, y_pad_1=0, x_pad_0=1, x_pad_1=1, push_next) {layer = "l0"}
    accel.load (memory_type=uop, sram_base=1, dram_base=601, y_size=1, x_size=9, x_stride=9, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.gemm (uop_bgn=1, uop_end=10, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=9, src_factor_in=1, wgt_factor_out=0, wgt_factor_in=0, pop_prev, push_prev) {layer = "l0"}
    accel.load (memory_type=uop, sram_base=10, dram_base=610, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.alu (uop_bgn=10, uop_end=11, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=add, imm=0) {layer = "l0"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=shr, use_imm, imm=11) {layer = "l0"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=max, use_imm, imm=0) {layer = "l0"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=min, use_imm, imm=127, push_next) {layer = "l0"}
    accel.store (memory_type=out, sram_base=0, dram_base=500, y_size=1, x_size=7, x_stride=49, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0, pop_prev, push_prev) {layer = "l0"}
    accel.load (memory_type=uop, sram_base=11, dram_base=611, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.gemm (reset_reg, uop_bgn=11, uop_end=12, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, wgt_factor_out=0, wgt_factor_in=0) {layer = "l0"}
    accel.load (memory_type=inp, sram_base=27, dram_base=384, y_size=3, x_size=7, x_stride=7, y_pad_0=0, y_pad_1=0, x_pad_0=1, x_pad_1=1, push_next) {layer = "l0"}
    accel.load (memory_type=uop, sram_base=12, dram_base=612, y_size=1, x_size=9, x_stride=9, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.gemm (uop_bgn=12, uop_end=21, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=9, src_factor_in=1, wgt_factor_out=0, wgt_factor_in=0, pop_prev, push_prev) {layer = "l0"}
    accel.load (memory_type=uop, sram_base=21, dram_base=621, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.alu (uop_bgn=21, uop_end=22, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=add, imm=0) {layer = "l0"}
    accel.load (memory_type=uop, sram_base=22, dram_base=622, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.alu (uop_bgn=22, uop_end=23, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=shr, use_imm, imm=11) {layer = "l0"}
    accel.alu (uop_bgn=22, uop_end=23, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=max, use_imm, imm=0) {layer = "l0"}
    accel.alu (uop_bgn=22, uop_end=23, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=min, use_imm, imm=127, push_next) {layer = "l0"}
    accel.store (memory_type=out, sram_base=8, dram_base=507, y_size=1, x_size=7, x_stride=49, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0, pop_prev, push_prev) {layer = "l0"}
    accel.gemm (reset_reg, uop_bgn=0, uop_end=1, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, wgt_factor_out=0, wgt_factor_in=0, pop_next) {layer = "l0"}
    accel.load (memory_type=inp, sram_base=0, dram_base=391, y_size=3, x_size=7, x_stride=7, y_pad_0=0, y_pad_1=0, x_pad_0=1, x_pad_1=1, pop_next, push_next) {layer = "l0"}
    accel.gemm (uop_bgn=1, uop_end=10, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=9, src_factor_in=1, wgt_factor_out=0, wgt_factor_in=0, pop_prev, push_prev) {layer = "l0"}
    accel.alu (uop_bgn=10, uop_end=11, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=add, imm=0) {layer = "l0"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=shr, use_imm, imm=11) {layer = "l0"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=max, use_imm, imm=0) {layer = "l0"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=min, use_imm, imm=127, push_next) {layer = "l0"}
    accel.store (memory_type=out, sram_base=0, dram_base=514, y_size=1, x_size=7, x_stride=49, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0, pop_prev, push_prev) {layer = "l0"}
    accel.gemm (reset_reg, uop_bgn=11, uop_end=12, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, wgt_factor_out=0, wgt_factor_in=0, pop_next) {layer = "l0"}
    accel.load (memory_type=inp, sram_base=27, dram_base=398, y_size=3, x_size=7, x_stride=7, y_pad_0=0, y_pad_1=0, x_pad_0=1, x_pad_1=1, pop_next, push_next) {layer = "l0"}
    accel.gemm (uop_bgn=12, uop_end=21, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=9, src_factor_in=1, wgt_factor_out=0, wgt_factor_in=0, pop_prev, push_prev) {layer = "l0"}
    accel.alu (uop_bgn=21, uop_end=22, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=add, imm=0) {layer = "l0"}
    accel.alu (uop_bgn=22, uop_end=23, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=shr, use_imm, imm=11) {layer = "l0"}
    accel.alu (uop_bgn=22, uop_end=23, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=max, use_imm, imm=0) {layer = "l0"}
    accel.alu (uop_bgn=22, uop_end=23, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=min, use_imm, imm=127, push_next) {layer = "l0"}
    accel.store (memory_type=out, sram_base=8, dram_base=521, y_size=1, x_size=7, x_stride=49, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0, pop_prev, push_prev) {layer = "l0"}
    accel.gemm (reset_reg, uop_bgn=0, uop_end=1, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, wgt_factor_out=0, wgt_factor_in=0, pop_next) {layer = "l0"}
    accel.load (memory_type=inp, sram_base=0, dram_base=405, y_size=3, x_size=7, x_stride=7, y_pad_0=0, y_pad_1=0, x_pad_0=1, x_pad_1=1, pop_next, push_next) {layer = "l0"}
    accel.gemm (uop_bgn=1, uop_end=10, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=9, src_factor_in=1, wgt_factor_out=0, wgt_factor_in=0, pop_prev, push_prev) {layer = "l0"}
    accel.alu (uop_bgn=10, uop_end=11, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=add, imm=0) {layer = "l0"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=shr, use_imm, imm=11) {layer = "l0"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=max, use_imm, imm=0) {layer = "l0"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=min, use_imm, imm=127, push_next) {layer = "l0"}
    accel.store (memory_type=out, sram_base=0, dram_base=528, y_size=1, x_size=7, x_stride=49, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0, pop_prev, push_prev) {layer = "l0"}
    accel.gemm (reset_reg, uop_bgn=11, uop_end=12, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, wgt_factor_out=0, wgt_factor_in=0, pop_next) {layer = "l0"}
    accel.load (memory_type=inp, sram_base=27, dram_base=412, y_size=3, x_size=7, x_stride=7, y_pad_0=0, y_pad_1=0, x_pad_0=1, x_pad_1=1, pop_next, push_next) {layer = "l0"}
    accel.gemm (uop_bgn=12, uop_end=21, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=9, src_factor_in=1, wgt_factor_out=0, wgt_factor_in=0, pop_prev, push_prev) {layer = "l0"}
    accel.alu (uop_bgn=21, uop_end=22, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=add, imm=0) {layer = "l0"}
    accel.alu (uop_bgn=22, uop_end=23, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=shr, use_imm, imm=11) {layer = "l0"}
    accel.alu (uop_bgn=22, uop_end=23, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=max, use_imm, imm=0) {layer = "l0"}
    accel.alu (uop_bgn=22, uop_end=23, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=min, use_imm, imm=127, push_next) {layer = "l0"}
    accel.store (memory_type=out, sram_base=8, dram_base=535, y_size=1, x_size=7, x_stride=49, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0, pop_prev, push_prev) {layer = "l0"}
    accel.gemm (reset_reg, uop_bgn=0, uop_end=1, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, wgt_factor_out=0, wgt_factor_in=0, pop_next) {layer = "l0"}
    accel.load (memory_type=inp, sram_base=0, dram_base=419, y_size=2, x_size=7, x_stride=7, y_pad_0=0, y_pad_1=1, x_pad_0=1, x_pad_1=1, pop_next, push_next) {layer = "l0"}
    accel.gemm (uop_bgn=1, uop_end=10, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=9, src_factor_in=1, wgt_factor_out=0, wgt_factor_in=0, pop_prev, push_prev) {layer = "l0"}
    accel.alu (uop_bgn=10, uop_end=11, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=add, imm=0) {layer = "l0"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=shr, use_imm, imm=11) {layer = "l0"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=max, use_imm, imm=0) {layer = "l0"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=min, use_imm, imm=127, push_next) {layer = "l0"}
    accel.store (memory_type=out, sram_base=0, dram_base=542, y_size=1, x_size=7, x_stride=49, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0, pop_prev, push_prev) {layer = "l0"}
    accel.load (memory_type=wgt, sram_base=9, dram_base=9, y_size=1, x_size=9, x_stride=9, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.load (memory_type=acc, sram_base=7, dram_base=19, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.load (memory_type=acc, sram_base=15, dram_base=19, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.load (memory_type=uop, sram_base=23, dram_base=623, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.gemm (reset_reg, uop_bgn=23, uop_end=24, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, wgt_factor_out=0, wgt_factor_in=0, pop_next) {layer = "l0"}
    accel.load (memory_type=inp, sram_base=27, dram_base=384, y_size=2, x_size=7, x_stride=7, y_pad_0=1, y_pad_1=0, x_pad_0=1, x_pad_1=1, pop_next, push_next) {layer = "l0"}
    accel.load (memory_type=uop, sram_base=24, dram_base=624, y_size=1, x_size=9, x_stride=9, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.gemm (uop_bgn=24, uop_end=33, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=9, src_factor_in=1, wgt_factor_out=0, wgt_factor_in=0, pop_prev, push_prev) {layer = "l0"}
    accel.alu (uop_bgn=21, uop_end=22, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=add, imm=0) {layer = "l0"}
    accel.alu (uop_bgn=22, uop_end=23, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=shr, use_imm, imm=11) {layer = "l0"}
    accel.alu (uop_bgn=22, uop_end=23, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=max, use_imm, imm=0) {layer = "l0"}
    accel.alu (uop_bgn=22, uop_end=23, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=min, use_imm, imm=127, push_next) {layer = "l0"}
    accel.store (memory_type=out, sram_base=8, dram_base=549, y_size=1, x_size=7, x_stride=49, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0, pop_prev, push_prev) {layer = "l0"}
    accel.load (memory_type=uop, sram_base=33, dram_base=633, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.gemm (reset_reg, uop_bgn=33, uop_end=34, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, wgt_factor_out=0, wgt_factor_in=0, pop_next) {layer = "l0"}
    accel.load (memory_type=inp, sram_base=0, dram_base=384, y_size=3, x_size=7, x_stride=7, y_pad_0=0, y_pad_1=0, x_pad_0=1, x_pad_1=1, pop_next, push_next) {layer = "l0"}
    accel.load (memory_type=uop, sram_base=34, dram_base=634, y_size=1, x_size=9, x_stride=9, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.gemm (uop_bgn=34, uop_end=43, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=9, src_factor_in=1, wgt_factor_out=0, wgt_factor_in=0, pop_prev, push_prev) {layer = "l0"}
    accel.alu (uop_bgn=10, uop_end=11, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=add, imm=0) {layer = "l0"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=shr, use_imm, imm=11) {layer = "l0"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=max, use_imm, imm=0) {layer = "l0"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=min, use_imm, imm=127, push_next) {layer = "l0"}
    accel.store (memory_type=out, sram_base=0, dram_base=556, y_size=1, x_size=7, x_stride=49, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0, pop_prev, push_prev) {layer = "l0"}
    accel.gemm (reset_reg, uop_bgn=23, uop_end=24, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, wgt_factor_out=0, wgt_factor_in=0, pop_next) {layer = "l0"}
    accel.load (memory_type=inp, sram_base=27, dram_base=391, y_size=3, x_size=7, x_stride=7, y_pad_0=0, y_pad_1=0, x_pad_0=1, x_pad_1=1, pop_next, push_next) {layer = "l0"}
    accel.gemm (uop_bgn=24, uop_end=33, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=9, src_factor_in=1, wgt_factor_out=0, wgt_factor_in=0, pop_prev, push_prev) {layer = "l0"}
    accel.alu (uop_bgn=21, uop_end=22, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=add, imm=0) {layer = "l0"}
    accel.alu (uop_bgn=22, uop_end=23, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=shr, use_imm, imm=11) {layer = "l0"}
    accel.alu (uop_bgn=22, uop_end=23, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=max, use_imm, imm=0) {layer = "l0"}
    accel.alu (uop_bgn=22, uop_end=23, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=min, use_imm, imm=127, push_next) {layer = "l0"}
    accel.store (memory_type=out, sram_base=8, dram_base=563, y_size=1, x_size=7, x_stride=49, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0, pop_prev, push_prev) {layer = "l0"}
    accel.gemm (reset_reg, uop_bgn=33, uop_end=34, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, wgt_factor_out=0, wgt_factor_in=0, pop_next) {layer = "l0"}
    accel.load (memory_type=inp, sram_base=0, dram_base=398, y_size=3, x_size=7, x_stride=7, y_pad_0=0, y_pad_1=0, x_pad_0=1, x_pad_1=1, pop_next, push_next) {layer = "l0"}
    accel.gemm (uop_bgn=34, uop_end=43, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=9, src_factor_in=1, wgt_factor_out=0, wgt_factor_in=0, pop_prev, push_prev) {layer = "l0"}
    accel.alu (uop_bgn=10, uop_end=11, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=add, imm=0) {layer = "l0"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=shr, use_imm, imm=11) {layer = "l0"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=max, use_imm, imm=0) {layer = "l0"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=min, use_imm, imm=127, push_next) {layer = "l0"}
    accel.store (memory_type=out, sram_base=0, dram_base=570, y_size=1, x_size=7, x_stride=49, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0, pop_prev, push_prev) {layer = "l0"}
    accel.gemm (reset_reg, uop_bgn=23, uop_end=24, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, wgt_factor_out=0, wgt_factor_in=0, pop_next) {layer = "l0"}
    accel.load (memory_type=inp, sram_base=27, dram_base=405, y_size=3, x_size=7, x_stride=7, y_pad_0=0, y_pad_1=0, x_pad_0=1, x_pad_1=1, pop_next, push_next) {layer = "l0"}
    accel.gemm (uop_bgn=24, uop_end=33, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=9, src_factor_in=1, wgt_factor_out=0, wgt_factor_in=0, pop_prev, push_prev) {layer = "l0"}
    accel.alu (uop_bgn=21, uop_end=22, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=add, imm=0) {layer = "l0"}
    accel.alu (uop_bgn=22, uop_end=23, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=shr, use_imm, imm=11) {layer = "l0"}
    accel.alu (uop_bgn=22, uop_end=23, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=max, use_imm, imm=0) {layer = "l0"}
    accel.alu (uop_bgn=22, uop_end=23, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=min, use_imm, imm=127, push_next) {layer = "l0"}
    accel.store (memory_type=out, sram_base=8, dram_base=577, y_size=1, x_size=7, x_stride=49, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0, pop_prev, push_prev) {layer = "l0"}
    accel.gemm (reset_reg, uop_bgn=33, uop_end=34, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, wgt_factor_out=0, wgt_factor_in=0, pop_next) {layer = "l0"}
    accel.load (memory_type=inp, sram_base=0, dram_base=412, y_size=3, x_size=7, x_stride=7, y_pad_0=0, y_pad_1=0, x_pad_0=1, x_pad_1=1, pop_next, push_next) {layer = "l0"}
    accel.gemm (uop_bgn=34, uop_end=43, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=9, src_factor_in=1, wgt_factor_out=0, wgt_factor_in=0, pop_prev) {layer = "l0"}
    accel.alu (uop_bgn=10, uop_end=11, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=add, imm=0) {layer = "l0"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=shr, use_imm, imm=11) {layer = "l0"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=max, use_imm, imm=0) {layer = "l0"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=min, use_imm, imm=127, push_next) {layer = "l0"}
    accel.store (memory_type=out, sram_base=0, dram_base=584, y_size=1, x_size=7, x_stride=49, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0, pop_prev, push_prev) {layer = "l0"}
    accel.gemm (reset_reg, uop_bgn=23, uop_end=24, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, wgt_factor_out=0, wgt_factor_in=0, pop_next) {layer = "l0"}
    accel.load (memory_type=inp, sram_base=27, dram_base=419, y_size=2, x_size=7, x_stride=7, y_pad_0=0, y_pad_1=1, x_pad_0=1, x_pad_1=1, pop_next, push_next) {layer = "l0"}
    accel.gemm (uop_bgn=24, uop_end=33, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=9, src_factor_in=1, wgt_factor_out=0, wgt_factor_in=0, pop_prev, push_prev) {layer = "l0"}
    accel.alu (uop_bgn=21, uop_end=22, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=add, imm=0) {layer = "l0"}
    accel.alu (uop_bgn=22, uop_end=23, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=shr, use_imm, imm=11) {layer = "l0"}
    accel.alu (uop_bgn=22, uop_end=23, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=max, use_imm, imm=0) {layer = "l0"}
    accel.alu (uop_bgn=22, uop_end=23, iter_out=1, iter_in=7, dst_factor_out=7, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=min, use_imm, imm=127, push_next) {layer = "l0"}
    accel.store (memory_type=out, sram_base=8, dram_base=591, y_size=1, x_size=7, x_stride=49, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0, pop_prev) {layer = "l0"}
    accel.load (memory_type=acc, sram_base=0, dram_base=92, y_size=8, x_size=1, x_stride=0, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0, pop_next) {layer = "l1"}
    accel.load (memory_type=inp, sram_base=0, dram_base=500, y_size=4, x_size=7, x_stride=7, y_pad_0=1, y_pad_1=0, x_pad_0=1, x_pad_1=1, pop_next) {layer = "l1"}
    accel.load (memory_type=wgt, sram_base=0, dram_base=20, y_size=1, x_size=9, x_stride=18, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0, push_next) {layer = "l1"}
    accel.gemm (uop_bgn=1, uop_end=10, iter_out=2, iter_in=4, dst_factor_out=4, dst_factor_in=1, src_factor_out=18, src_factor_in=2, wgt_factor_out=0, wgt_factor_in=0, pop_prev, push_prev) {layer = "l1"}
    accel.load (memory_type=inp, sram_base=0, dram_base=549, y_size=4, x_size=7, x_stride=7, y_pad_0=1, y_pad_1=0, x_pad_0=1, x_pad_1=1, pop_next) {layer = "l1"}
    accel.load (memory_type=wgt, sram_base=0, dram_base=29, y_size=1, x_size=9, x_stride=18, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0, push_next) {layer = "l1"}
    accel.gemm (uop_bgn=1, uop_end=10, iter_out=2, iter_in=4, dst_factor_out=4, dst_factor_in=1, src_factor_out=18, src_factor_in=2, wgt_factor_out=0, wgt_factor_in=0, pop_prev, push_prev) {layer = "l1"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=2, iter_in=4, dst_factor_out=4, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=add, use_imm, imm=1024) {layer = "l1"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=2, iter_in=4, dst_factor_out=4, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=shr, use_imm, imm=11) {layer = "l1"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=2, iter_in=4, dst_factor_out=4, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=max, use_imm, imm=0) {layer = "l1"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=2, iter_in=4, dst_factor_out=4, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=min, use_imm, imm=127, push_next) {layer = "l1"}
    accel.store (memory_type=out, sram_base=0, dram_base=436, y_size=1, x_size=8, x_stride=16, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0, pop_prev, push_prev) {layer = "l1"}
    accel.load (memory_type=acc, sram_base=0, dram_base=92, y_size=8, x_size=1, x_stride=0, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0, pop_next) {layer = "l1"}
    accel.load (memory_type=inp, sram_base=0, dram_base=521, y_size=4, x_size=7, x_stride=7, y_pad_0=0, y_pad_1=1, x_pad_0=1, x_pad_1=1, pop_next) {layer = "l1"}
    accel.load (memory_type=wgt, sram_base=0, dram_base=20, y_size=1, x_size=9, x_stride=18, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0, push_next) {layer = "l1"}
    accel.gemm (uop_bgn=1, uop_end=10, iter_out=2, iter_in=4, dst_factor_out=4, dst_factor_in=1, src_factor_out=18, src_factor_in=2, wgt_factor_out=0, wgt_factor_in=0, pop_prev, push_prev) {layer = "l1"}
    accel.load (memory_type=inp, sram_base=0, dram_base=570, y_size=4, x_size=7, x_stride=7, y_pad_0=0, y_pad_1=1, x_pad_0=1, x_pad_1=1, pop_next) {layer = "l1"}
    accel.load (memory_type=wgt, sram_base=0, dram_base=29, y_size=1, x_size=9, x_stride=18, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0, push_next) {layer = "l1"}
    accel.gemm (uop_bgn=1, uop_end=10, iter_out=2, iter_in=4, dst_factor_out=4, dst_factor_in=1, src_factor_out=18, src_factor_in=2, wgt_factor_out=0, wgt_factor_in=0, pop_prev, push_prev) {layer = "l1"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=2, iter_in=4, dst_factor_out=4, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=add, use_imm, imm=1024) {layer = "l1"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=2, iter_in=4, dst_factor_out=4, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=shr, use_imm, imm=11) {layer = "l1"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=2, iter_in=4, dst_factor_out=4, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=max, use_imm, imm=0) {layer = "l1"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=2, iter_in=4, dst_factor_out=4, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=min, use_imm, imm=127, push_next) {layer = "l1"}
    accel.store (memory_type=out, sram_base=0, dram_base=444, y_size=1, x_size=8, x_stride=16, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0, pop_prev, push_prev) {layer = "l1"}
    accel.load (memory_type=acc, sram_base=0, dram_base=93, y_size=8, x_size=1, x_stride=0, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0, pop_next) {layer = "l1"}
    accel.load (memory_type=inp, sram_base=0, dram_base=500, y_size=4, x_size=7, x_stride=7, y_pad_0=1, y_pad_1=0, x_pad_0=1, x_pad_1=1, pop_next) {layer = "l1"}
    accel.load (memory_type=wgt, sram_base=0, dram_base=38, y_size=1, x_size=9, x_stride=18, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0, push_next) {layer = "l1"}
    accel.gemm (uop_bgn=1, uop_end=10, iter_out=2, iter_in=4, dst_factor_out=4, dst_factor_in=1, src_factor_out=18, src_factor_in=2, wgt_factor_out=0, wgt_factor_in=0, pop_prev, push_prev) {layer = "l1"}
    accel.load (memory_type=inp, sram_base=0, dram_base=549, y_size=4, x_size=7, x_stride=7, y_pad_0=1, y_pad_1=0, x_pad_0=1, x_pad_1=1, pop_next) {layer = "l1"}
    accel.load (memory_type=wgt, sram_base=0, dram_base=47, y_size=1, x_size=9, x_stride=18, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0, push_next) {layer = "l1"}
    accel.gemm (uop_bgn=1, uop_end=10, iter_out=2, iter_in=4, dst_factor_out=4, dst_factor_in=1, src_factor_out=18, src_factor_in=2, wgt_factor_out=0, wgt_factor_in=0, pop_prev, push_prev) {layer = "l1"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=2, iter_in=4, dst_factor_out=4, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=add, use_imm, imm=1024) {layer = "l1"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=2, iter_in=4, dst_factor_out=4, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=shr, use_imm, imm=11) {layer = "l1"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=2, iter_in=4, dst_factor_out=4, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=max, use_imm, imm=0) {layer = "l1"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=2, iter_in=4, dst_factor_out=4, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=min, use_imm, imm=127, push_next) {layer = "l1"}
    accel.store (memory_type=out, sram_base=0, dram_base=452, y_size=1, x_size=8, x_stride=16, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0, pop_prev, push_prev) {layer = "l1"}
    accel.load (memory_type=acc, sram_base=0, dram_base=93, y_size=8, x_size=1, x_stride=0, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0, pop_next) {layer = "l1"}
    accel.load (memory_type=inp, sram_base=0, dram_base=521, y_size=4, x_size=7, x_stride=7, y_pad_0=0, y_pad_1=1, x_pad_0=1, x_pad_1=1, pop_next) {layer = "l1"}
    accel.load (memory_type=wgt, sram_base=0, dram_base=38, y_size=1, x_size=9, x_stride=18, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0, push_next) {layer = "l1"}
    accel.gemm (uop_bgn=1, uop_end=10, iter_out=2, iter_in=4, dst_factor_out=4, dst_factor_in=1, src_factor_out=18, src_factor_in=2, wgt_factor_out=0, wgt_factor_in=0, pop_prev, push_prev) {layer = "l1"}
    accel.load (memory_type=inp, sram_base=0, dram_base=570, y_size=4, x_size=7, x_stride=7, y_pad_0=0, y_pad_1=1, x_pad_0=1, x_pad_1=1, pop_next) {layer = "l1"}
    accel.load (memory_type=wgt, sram_base=0, dram_base=47, y_size=1, x_size=9, x_stride=18, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0, push_next) {layer = "l1"}
    accel.gemm (uop_bgn=1, uop_end=10, iter_out=2, iter_in=4, dst_factor_out=4, dst_factor_in=1, src_factor_out=18, src_factor_in=2, wgt_factor_out=0, wgt_factor_in=0, pop_prev, push_prev) {layer = "l1"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=2, iter_in=4, dst_factor_out=4, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=add, use_imm, imm=1024) {layer = "l1"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=2, iter_in=4, dst_factor_out=4, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=shr, use_imm, imm=11) {layer = "l1"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=2, iter_in=4, dst_factor_out=4, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=max, use_imm, imm=0) {layer = "l1"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=2, iter_in=4, dst_factor_out=4, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=min, use_imm, imm=127, push_next) {layer = "l1"}
    accel.store (memory_type=out, sram_base=0, dram_base=460, y_size=1, x_size=8, x_stride=16, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0, pop_prev, push_prev) {layer = "l1"}
    accel.load (memory_type=acc, sram_base=0, dram_base=94, y_size=8, x_size=1, x_stride=0, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0, pop_next) {layer = "l1"}
    accel.load (memory_type=inp, sram_base=0, dram_base=500, y_size=4, x_size=7, x_stride=7, y_pad_0=1, y_pad_1=0, x_pad_0=1, x_pad_1=1, pop_next) {layer = "l1"}
    accel.load (memory_type=wgt, sram_base=0, dram_base=56, y_size=1, x_size=9, x_stride=18, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0, push_next) {layer = "l1"}
    accel.gemm (uop_bgn=1, uop_end=10, iter_out=2, iter_in=4, dst_factor_out=4, dst_factor_in=1, src_factor_out=18, src_factor_in=2, wgt_factor_out=0, wgt_factor_in=0, pop_prev, push_prev) {layer = "l1"}
    accel.load (memory_type=inp, sram_base=0, dram_base=549, y_size=4, x_size=7, x_stride=7, y_pad_0=1, y_pad_1=0, x_pad_0=1, x_pad_1=1, pop_next) {layer = "l1"}
    accel.load (memory_type=wgt, sram_base=0, dram_base=65, y_size=1, x_size=9, x_stride=18, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0, push_next) {layer = "l1"}
    accel.gemm (uop_bgn=1, uop_end=10, iter_out=2, iter_in=4, dst_factor_out=4, dst_factor_in=1, src_factor_out=18, src_factor_in=2, wgt_factor_out=0, wgt_factor_in=0, pop_prev, push_prev) {layer = "l1"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=2, iter_in=4, dst_factor_out=4, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=add, use_imm, imm=1024) {layer = "l1"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=2, iter_in=4, dst_factor_out=4, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=shr, use_imm, imm=11) {layer = "l1"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=2, iter_in=4, dst_factor_out=4, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=max, use_imm, imm=0) {layer = "l1"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=2, iter_in=4, dst_factor_out=4, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=min, use_imm, imm=127, push_next) {layer = "l1"}
    accel.store (memory_type=out, sram_base=0, dram_base=468, y_size=1, x_size=8, x_stride=16, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0, pop_prev, push_prev) {layer = "l1"}
    accel.load (memory_type=acc, sram_base=0, dram_base=94, y_size=8, x_size=1, x_stride=0, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0, pop_next) {layer = "l1"}
    accel.load (memory_type=inp, sram_base=0, dram_base=521, y_size=4, x_size=7, x_stride=7, y_pad_0=0, y_pad_1=1, x_pad_0=1, x_pad_1=1, pop_next) {layer = "l1"}
    accel.load (memory_type=wgt, sram_base=0, dram_base=56, y_size=1, x_size=9, x_stride=18, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0, push_next) {layer = "l1"}
    accel.gemm (uop_bgn=1, uop_end=10, iter_out=2, iter_in=4, dst_factor_out=4, dst_factor_in=1, src_factor_out=18, src_factor_in=2, wgt_factor_out=0, wgt_factor_in=0, pop_prev, push_prev) {layer = "l1"}
    accel.load (memory_type=inp, sram_base=0, dram_base=570, y_size=4, x_size=7, x_stride=7, y_pad_0=0, y_pad_1=1, x_pad_0=1, x_pad_1=1, pop_next) {layer = "l1"}
    accel.load (memory_type=wgt, sram_base=0, dram_base=65, y_size=1, x_size=9, x_stride=18, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0, push_next) {layer = "l1"}
    accel.gemm (uop_bgn=1, uop_end=10, iter_out=2, iter_in=4, dst_factor_out=4, dst_factor_in=1, src_factor_out=18, src_factor_in=2, wgt_factor_out=0, wgt_factor_in=0, pop_prev, push_prev) {layer = "l1"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=2, iter_in=4, dst_factor_out=4, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=add, use_imm, imm=1024) {layer = "l1"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=2, iter_in=4, dst_factor_out=4, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=shr, use_imm, imm=11) {layer = "l1"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=2, iter_in=4, dst_factor_out=4, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=max, use_imm, imm=0) {layer = "l1"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=2, iter_in=4, dst_factor_out=4, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=min, use_imm, imm=127, push_next) {layer = "l1"}
    accel.store (memory_type=out, sram_base=0, dram_base=476, y_size=1, x_size=8, x_stride=16, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0, pop_prev, push_prev) {layer = "l1"}
    accel.load (memory_type=acc, sram_base=0, dram_base=95, y_size=8, x_size=1, x_stride=0, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0, pop_next) {layer = "l1"}
    accel.load (memory_type=inp, sram_base=0, dram_base=500, y_size=4, x_size=7, x_stride=7, y_pad_0=1, y_pad_1=0, x_pad_0=1, x_pad_1=1, pop_next) {layer = "l1"}
    accel.load (memory_type=wgt, sram_base=0, dram_base=74, y_size=1, x_size=9, x_stride=18, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0, push_next) {layer = "l1"}
    accel.gemm (uop_bgn=1, uop_end=10, iter_out=2, iter_in=4, dst_factor_out=4, dst_factor_in=1, src_factor_out=18, src_factor_in=2, wgt_factor_out=0, wgt_factor_in=0, pop_prev, push_prev) {layer = "l1"}
    accel.load (memory_type=inp, sram_base=0, dram_base=549, y_size=4, x_size=7, x_stride=7, y_pad_0=1, y_pad_1=0, x_pad_0=1, x_pad_1=1, pop_next) {layer = "l1"}
    accel.load (memory_type=wgt, sram_base=0, dram_base=83, y_size=1, x_size=9, x_stride=18, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0, push_next) {layer = "l1"}
    accel.gemm (uop_bgn=1, uop_end=10, iter_out=2, iter_in=4, dst_factor_out=4, dst_factor_in=1, src_factor_out=18, src_factor_in=2, wgt_factor_out=0, wgt_factor_in=0, pop_prev, push_prev) {layer = "l1"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=2, iter_in=4, dst_factor_out=4, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=add, use_imm, imm=1024) {layer = "l1"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=2, iter_in=4, dst_factor_out=4, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=shr, use_imm, imm=11) {layer = "l1"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=2, iter_in=4, dst_factor_out=4, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=max, use_imm, imm=0) {layer = "l1"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=2, iter_in=4, dst_factor_out=4, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=min, use_imm, imm=127, push_next) {layer = "l1"}
    accel.store (memory_type=out, sram_base=0, dram_base=484, y_size=1, x_size=8, x_stride=16, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0, pop_prev, push_prev) {layer = "l1"}
    accel.load (memory_type=acc, sram_base=0, dram_base=95, y_size=8, x_size=1, x_stride=0, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0, pop_next) {layer = "l1"}
    accel.load (memory_type=inp, sram_base=0, dram_base=521, y_size=4, x_size=7, x_stride=7, y_pad_0=0, y_pad_1=1, x_pad_0=1, x_pad_1=1, pop_next) {layer = "l1"}
    accel.load (memory_type=wgt, sram_base=0, dram_base=74, y_size=1, x_size=9, x_stride=18, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0, push_next) {layer = "l1"}
    accel.gemm (uop_bgn=1, uop_end=10, iter_out=2, iter_in=4, dst_factor_out=4, dst_factor_in=1, src_factor_out=18, src_factor_in=2, wgt_factor_out=0, wgt_factor_in=0, pop_prev, push_prev) {layer = "l1"}
    accel.load (memory_type=inp, sram_base=0, dram_base=570, y_size=4, x_size=7, x_stride=7, y_pad_0=0, y_pad_1=1, x_pad_0=1, x_pad_1=1, pop_next) {layer = "l1"}
    accel.load (memory_type=wgt, sram_base=0, dram_base=83, y_size=1, x_size=9, x_stride=18, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0, push_next) {layer = "l1"}
    accel.gemm (uop_bgn=1, uop_end=10, iter_out=2, iter_in=4, dst_factor_out=4, dst_factor_in=1, src_factor_out=18, src_factor_in=2, wgt_factor_out=0, wgt_factor_in=0, pop_prev) {layer = "l1"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=2, iter_in=4, dst_factor_out=4, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=add, use_imm, imm=1024) {layer = "l1"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=2, iter_in=4, dst_factor_out=4, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=shr, use_imm, imm=11) {layer = "l1"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=2, iter_in=4, dst_factor_out=4, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=max, use_imm, imm=0) {layer = "l1"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=2, iter_in=4, dst_factor_out=4, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=min, use_imm, imm=127, push_next) {layer = "l1"}
    accel.store (memory_type=out, sram_base=0, dram_base=492, y_size=1, x_size=8, x_stride=16, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0, pop_prev, push_prev) {layer = "l1"}
    accel.finish (pop_next)
  }
}
