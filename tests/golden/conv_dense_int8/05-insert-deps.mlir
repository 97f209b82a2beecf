builtin.module attributes {canopy.inputs = ["input"], canopy.outputs = ["output"], canopy.weights = "weights.npz", canopy.hw_config = {TARGET = "sim", HW_VER = "0.0.2", LOG_INP_WIDTH = 3 : i64, LOG_WGT_WIDTH = 3 : i64, LOG_ACC_WIDTH = 5 : i64, LOG_BATCH = 0 : i64, LOG_BLOCK_IN = 4 : i64, LOG_BLOCK_OUT = 4 : i64, LOG_UOP_BUFF_SIZE = 15 : i64, LOG_INP_BUFF_SIZE = 15 : i64, LOG_WGT_BUFF_SIZE = 18 : i64, LOG_ACC_BUFF_SIZE = 17 : i64, LOG_BUS_WIDTH = 6 : i64, CLOCK_MHZ = 100 : i64, DRAM_LATENCY_CYCLES = 64 : i64, ALU_MUL_BITS = 8 : i64}, canopy.stage = "accel"} {
  accel.region "c3.packed" {weight = "c3.packed", type = tensor<1x1x3x3x16x16xi8>, offset = 0 : i64, nbytes = 2304 : i64, role = "weight"}
  accel.region "l0.bias.folded.packed" {weight = "l0.bias.folded.packed", type = tensor<1x1x16xi32>, offset = 2304 : i64, nbytes = 64 : i64, role = "weight"}
  accel.region "c11.packed" {weight = "c11.packed", type = tensor<1x25x1x1x16x16xi8>, offset = 2560 : i64, nbytes = 6400 : i64, role = "weight"}
  accel.region "l2.bias.folded.packed" {weight = "l2.bias.folded.packed", type = tensor<1x1x16xi32>, offset = 8960 : i64, nbytes = 64 : i64, role = "weight"}
  accel.region "input" {logical_shape = array<i64: 1, 5, 9, 9>, scale = 1.562500e-02 : f64, zero_point = 0 : i64, onnx_name = "input", type = tensor<1x1x9x9x1x16xi8>, offset = 9216 : i64, nbytes = 1296 : i64, role = "input"}
  accel.region "output" {logical_shape = array<i64: 1, 7>, scale = 8.000000e+00 : f64, zero_point = 0 : i64, onnx_name = "output", type = tensor<1x1x1x1x1x16xi8>, offset = 10752 : i64, nbytes = 16 : i64, role = "output"}
  accel.region "l0.out" {logical_shape = array<i64: 1, 12, 5, 5>, type = tensor<1x1x5x5x1x16xi8>, offset = 11008 : i64, nbytes = 400 : i64, role = "scratch"}
  accel.uop_table (offset=11520, uops=[0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 2, 2, 0, 11, 3, 0, 12, 4, 0, 13, 5, 0, 22, 6, 0, 23, 7, 0, 24, 8, 0, 10, 0, 11, 55, 0, 11, 55, 0, 11, 56, 1, 11, 57, 2, 11, 66, 3, 11, 67, 4, 11, 68, 5, 11, 77, 6, 11, 78, 7, 11, 79, 8, 11, 21, 0, 11, 11, 0, 0, 0, 0, 0, 1, 1, 0, 2, 2, 0, 3, 3, 0, 4, 4, 0, 5, 5, 0, 6, 6, 0, 7, 7, 0, 8, 8, 0, 9, 9, 0, 10, 10, 0, 11, 11, 0, 12, 12, 0, 13, 13, 0, 14, 14, 0, 15, 15, 0, 16, 16, 0, 17, 17, 0, 18, 18, 0, 19, 19, 0, 20, 20, 0, 21, 21, 0, 22, 22, 0, 23, 23, 0, 24, 24, 0, 1, 0])
  accel.program {
    accel.load (memory_type=wgt, sram_base=0, dram_base=0, y_size=1, x_size=9, x_stride=9, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.load (memory_type=acc, sram_base=10, dram_base=36, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.load (memory_type=acc, sram_base=21, dram_base=36, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.load (memory_type=uop, sram_base=0, dram_base=2880, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.gemm (reset_reg, uop_bgn=0, uop_end=1, iter_out=2, iter_in=5, dst_factor_out=5, dst_factor_in=1, src_factor_out=0, src_factor_in=0, wgt_factor_out=0, wgt_factor_in=0) {layer = "l0"}
    accel.load (memory_type=inp, sram_base=0, dram_base=576, y_size=4, x_size=9, x_stride=9, y_pad_0=1, y_pad_1=0, x_pad_0=1, x_pad_1=1, push_next) {layer = "l0"}
    accel.load (memory_type=uop, sram_base=1, dram_base=2881, y_size=1, x_size=9, x_stride=9, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.gemm (uop_bgn=1, uop_end=10, iter_out=2, iter_in=5, dst_factor_out=5, dst_factor_in=1, src_factor_out=22, src_factor_in=2, wgt_factor_out=0, wgt_factor_in=0, pop_prev, push_prev) {layer = "l0"}
    accel.load (memory_type=uop, sram_base=10, dram_base=2890, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.alu (uop_bgn=10, uop_end=11, iter_out=2, iter_in=5, dst_factor_out=5, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=add, imm=0) {layer = "l0"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=2, iter_in=5, dst_factor_out=5, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=shr, use_imm, imm=11) {layer = "l0"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=2, iter_in=5, dst_factor_out=5, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=max, use_imm, imm=0) {layer = "l0"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=2, iter_in=5, dst_factor_out=5, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=min, use_imm, imm=127, push_next) {layer = "l0"}
    accel.store (memory_type=out, sram_base=0, dram_base=688, y_size=1, x_size=10, x_stride=25, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0, pop_prev, push_prev) {layer = "l0"}
    accel.load (memory_type=uop, sram_base=11, dram_base=2891, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.gemm (reset_reg, uop_bgn=11, uop_end=12, iter_out=2, iter_in=5, dst_factor_out=5, dst_factor_in=1, src_factor_out=0, src_factor_in=0, wgt_factor_out=0, wgt_factor_in=0) {layer = "l0"}
    accel.load (memory_type=inp, sram_base=55, dram_base=603, y_size=5, x_size=9, x_stride=9, y_pad_0=0, y_pad_1=0, x_pad_0=1, x_pad_1=1, push_next) {layer = "l0"}
    accel.load (memory_type=uop, sram_base=12, dram_base=2892, y_size=1, x_size=9, x_stride=9, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.gemm (uop_bgn=12, uop_end=21, iter_out=2, iter_in=5, dst_factor_out=5, dst_factor_in=1, src_factor_out=22, src_factor_in=2, wgt_factor_out=0, wgt_factor_in=0, pop_prev) {layer = "l0"}
    accel.load (memory_type=uop, sram_base=21, dram_base=2901, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.alu (uop_bgn=21, uop_end=22, iter_out=2, iter_in=5, dst_factor_out=5, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=add, imm=0) {layer = "l0"}
    accel.load (memory_type=uop, sram_base=22, dram_base=2902, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.alu (uop_bgn=22, uop_end=23, iter_out=2, iter_in=5, dst_factor_out=5, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=shr, use_imm, imm=11) {layer = "l0"}
    accel.alu (uop_bgn=22, uop_end=23, iter_out=2, iter_in=5, dst_factor_out=5, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=max, use_imm, imm=0) {layer = "l0"}
    accel.alu (uop_bgn=22, uop_end=23, iter_out=2, iter_in=5, dst_factor_out=5, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=min, use_imm, imm=127, push_next) {layer = "l0"}
    accel.store (memory_type=out, sram_base=11, dram_base=698, y_size=1, x_size=10, x_stride=25, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0, pop_prev) {layer = "l0"}
    accel.gemm (reset_reg, uop_bgn=0, uop_end=1, iter_out=1, iter_in=5, dst_factor_out=5, dst_factor_in=1, src_factor_out=0, src_factor_in=0, wgt_factor_out=0, wgt_factor_in=0, pop_next) {layer = "l0"}
    accel.load (memory_type=inp, sram_base=0, dram_base=639, y_size=2, x_size=9, x_stride=9, y_pad_0=0, y_pad_1=1, x_pad_0=1, x_pad_1=1, pop_next, push_next) {layer = "l0"}
    accel.gemm (uop_bgn=1, uop_end=10, iter_out=1, iter_in=5, dst_factor_out=5, dst_factor_in=1, src_factor_out=22, src_factor_in=2, wgt_factor_out=0, wgt_factor_in=0, pop_prev, push_prev) {layer = "l0"}
    accel.alu (uop_bgn=10, uop_end=11, iter_out=1, iter_in=5, dst_factor_out=5, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=add, imm=0) {layer = "l0"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=1, iter_in=5, dst_factor_out=5, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=shr, use_imm, imm=11) {layer = "l0"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=1, iter_in=5, dst_factor_out=5, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=max, use_imm, imm=0) {layer = "l0"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=1, iter_in=5, dst_factor_out=5, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=min, use_imm, imm=127, push_next) {layer = "l0"}
    accel.store (memory_type=out, sram_base=0, dram_base=708, y_size=1, x_size=5, x_stride=25, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0, pop_prev, push_prev) {layer = "l0"}
    accel.load (memory_type=wgt, sram_base=0, dram_base=10, y_size=1, x_size=25, x_stride=25, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0, pop_next) {layer = "l2"}
    accel.load (memory_type=acc, sram_base=1, dram_base=140, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0, pop_next) {layer = "l2"}
    accel.gemm (reset_reg, uop_bgn=0, uop_end=1, iter_out=1, iter_in=1, dst_factor_out=1, dst_factor_in=1, src_factor_out=0, src_factor_in=0, wgt_factor_out=0, wgt_factor_in=0, push_prev) {layer = "l2"}
    accel.load (memory_type=inp, sram_base=0, dram_base=688, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l2"}
    accel.load (memory_type=inp, sram_base=1, dram_base=689, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l2"}
    accel.load (memory_type=inp, sram_base=2, dram_base=690, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l2"}
    accel.load (memory_type=inp, sram_base=3, dram_base=691, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l2"}
    accel.load (memory_type=inp, sram_base=4, dram_base=692, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l2"}
    accel.load (memory_type=inp, sram_base=5, dram_base=693, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l2"}
    accel.load (memory_type=inp, sram_base=6, dram_base=694, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l2"}
    accel.load (memory_type=inp, sram_base=7, dram_base=695, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l2"}
    accel.load (memory_type=inp, sram_base=8, dram_base=696, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l2"}
    accel.load (memory_type=inp, sram_base=9, dram_base=697, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l2"}
    accel.load (memory_type=inp, sram_base=10, dram_base=698, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0, pop_next) {layer = "l2"}
    accel.load (memory_type=inp, sram_base=11, dram_base=699, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l2"}
    accel.load (memory_type=inp, sram_base=12, dram_base=700, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l2"}
    accel.load (memory_type=inp, sram_base=13, dram_base=701, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l2"}
    accel.load (memory_type=inp, sram_base=14, dram_base=702, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l2"}
    accel.load (memory_type=inp, sram_base=15, dram_base=703, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l2"}
    accel.load (memory_type=inp, sram_base=16, dram_base=704, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l2"}
    accel.load (memory_type=inp, sram_base=17, dram_base=705, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l2"}
    accel.load (memory_type=inp, sram_base=18, dram_base=706, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l2"}
    accel.load (memory_type=inp, sram_base=19, dram_base=707, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l2"}
    accel.load (memory_type=inp, sram_base=20, dram_base=708, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l2"}
    accel.load (memory_type=inp, sram_base=21, dram_base=709, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l2"}
    accel.load (memory_type=inp, sram_base=22, dram_base=710, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l2"}
    accel.load (memory_type=inp, sram_base=23, dram_base=711, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l2"}
    accel.load (memory_type=inp, sram_base=24, dram_base=712, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0, push_next) {layer = "l2"}
    accel.load (memory_type=uop, sram_base=23, dram_base=2903, y_size=1, x_size=25, x_stride=25, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l2"}
    accel.gemm (uop_bgn=23, uop_end=48, iter_out=1, iter_in=1, dst_factor_out=1, dst_factor_in=1, src_factor_out=1, src_factor_in=1, wgt_factor_out=0, wgt_factor_in=0, pop_prev) {layer = "l2"}
    accel.load (memory_type=uop, sram_base=48, dram_base=2928, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l2"}
    accel.alu (uop_bgn=48, uop_end=49, iter_out=1, iter_in=1, dst_factor_out=1, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=add, imm=0) {layer = "l2"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=1, iter_in=1, dst_factor_out=1, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=shr, use_imm, imm=12) {layer = "l2"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=1, iter_in=1, dst_factor_out=1, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=max, use_imm, imm=-128) {layer = "l2"}
    accel.alu (uop_bgn=0, uop_end=1, iter_out=1, iter_in=1, dst_factor_out=1, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=min, use_imm, imm=127, push_next) {layer = "l2"}
    accel.store (memory_type=out, sram_base=0, dram_base=672, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0, pop_prev, push_prev) {layer = "l2"}
    accel.finish (pop_next)
  }
}
