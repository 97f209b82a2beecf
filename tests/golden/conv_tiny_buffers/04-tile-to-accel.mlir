builtin.module attributes {canopy.inputs = ["input"], canopy.outputs = ["output"], canopy.weights = "weights.npz", canopy.hw_config = {TARGET = "sim", HW_VER = "0.0.2", LOG_INP_WIDTH = 3 : i64, LOG_WGT_WIDTH = 3 : i64, LOG_ACC_WIDTH = 5 : i64, LOG_BATCH = 0 : i64, LOG_BLOCK_IN = 3 : i64, LOG_BLOCK_OUT = 3 : i64, LOG_UOP_BUFF_SIZE = 12 : i64, LOG_INP_BUFF_SIZE = 11 : i64, LOG_WGT_BUFF_SIZE = 12 : i64, LOG_ACC_BUFF_SIZE = 12 : i64, LOG_BUS_WIDTH = 6 : i64, CLOCK_MHZ = 100 : i64, DRAM_LATENCY_CYCLES = 64 : i64, ALU_MUL_BITS = 8 : i64}, canopy.stage = "accel"} {
  accel.region "c3.packed" {weight = "c3.packed", type = tensor<2x3x3x3x8x8xi8>, offset = 0 : i64, nbytes = 3456 : i64, role = "weight"}
  accel.region "c6.packed" {weight = "c6.packed", type = tensor<2x1x8xi32>, offset = 3456 : i64, nbytes = 64 : i64, role = "weight"}
  accel.region "c11.packed" {weight = "c11.packed", type = tensor<3x2x1x1x8x8xi8>, offset = 3520 : i64, nbytes = 384 : i64, role = "weight"}
  accel.region "c14.packed" {weight = "c14.packed", type = tensor<3x1x8xi32>, offset = 3904 : i64, nbytes = 96 : i64, role = "weight"}
  accel.region "input" {logical_shape = array<i64: 1, 20, 10, 10>, scale = 1.562500e-02 : f64, zero_point = 0 : i64, onnx_name = "input", type = tensor<1x3x10x10x1x8xi8>, offset = 4032 : i64, nbytes = 2400 : i64, role = "input"}
  accel.region "output" {logical_shape = array<i64: 1, 24, 10, 10>, scale = 4.000000e+00 : f64, zero_point = 0 : i64, onnx_name = "output", type = tensor<1x3x10x10x1x8xi8>, offset = 6464 : i64, nbytes = 2400 : i64, role = "output"}
  accel.region "l0.out" {logical_shape = array<i64: 1, 16, 10, 10>, type = tensor<1x2x10x10x1x8xi8>, offset = 8896 : i64, nbytes = 1600 : i64, role = "scratch"}
  accel.uop_table (offset=10496, uops=[0, 0, 0, 0, 1, 1, 0, 2, 2, 0, 12, 3, 0, 13, 4, 0, 14, 5, 0, 24, 6, 0, 25, 7, 0, 26, 8, 0, 84, 9, 0, 85, 10, 0, 86, 11, 0, 96, 12, 0, 97, 13, 0, 98, 14, 0, 108, 15, 0, 109, 16, 0, 110, 17, 0, 168, 18, 0, 169, 19, 0, 170, 20, 0, 180, 21, 0, 181, 22, 0, 182, 23, 0, 192, 24, 0, 193, 25, 0, 194, 26, 50, 0, 27, 50, 1, 28, 50, 2, 29, 50, 12, 30, 50, 13, 31, 50, 14, 32, 50, 24, 33, 50, 25, 34, 50, 26, 35, 50, 84, 36, 50, 85, 37, 50, 86, 38, 50, 96, 39, 50, 97, 40, 50, 98, 41, 50, 108, 42, 50, 109, 43, 50, 110, 44, 50, 168, 45, 50, 169, 46, 50, 170, 47, 50, 180, 48, 50, 181, 49, 50, 182, 50, 50, 192, 51, 50, 193, 52, 50, 194, 53, 0, 0, 0, 0, 0, 0, 40, 0, 0, 80, 0, 0, 0, 120, 0, 40, 121, 0, 80, 122, 0, 0, 0, 0, 0, 40, 1, 40, 0, 2, 40, 40, 3, 80, 0, 4, 80, 40, 5, 0, 0, 0, 20, 0, 0, 40, 0, 0, 0, 60, 0, 20, 61, 0, 40, 62, 0, 0, 0, 0, 0, 20, 1, 20, 0, 2, 20, 20, 3, 40, 0, 4, 40, 20, 5])
  accel.program {
    accel.load (memory_type=acc, sram_base=0, dram_base=108, y_size=50, x_size=1, x_stride=0, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.load (memory_type=acc, sram_base=50, dram_base=109, y_size=50, x_size=1, x_stride=0, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.load (memory_type=inp, sram_base=0, dram_base=504, y_size=6, x_size=10, x_stride=10, y_pad_0=1, y_pad_1=0, x_pad_0=1, x_pad_1=1) {layer = "l0"}
    accel.load (memory_type=inp, sram_base=84, dram_base=604, y_size=6, x_size=10, x_stride=10, y_pad_0=1, y_pad_1=0, x_pad_0=1, x_pad_1=1) {layer = "l0"}
    accel.load (memory_type=inp, sram_base=168, dram_base=704, y_size=6, x_size=10, x_stride=10, y_pad_0=1, y_pad_1=0, x_pad_0=1, x_pad_1=1) {layer = "l0"}
    accel.load (memory_type=wgt, sram_base=0, dram_base=0, y_size=2, x_size=27, x_stride=27, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.load (memory_type=uop, sram_base=0, dram_base=2624, y_size=1, x_size=54, x_stride=54, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.gemm (uop_bgn=0, uop_end=54, iter_out=5, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=12, src_factor_in=1, wgt_factor_out=0, wgt_factor_in=0) {layer = "l0"}
    accel.load (memory_type=uop, sram_base=54, dram_base=2678, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.alu (uop_bgn=54, uop_end=55, iter_out=10, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=add, use_imm, imm=2048) {layer = "l0"}
    accel.alu (uop_bgn=54, uop_end=55, iter_out=10, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=shr, use_imm, imm=12) {layer = "l0"}
    accel.alu (uop_bgn=54, uop_end=55, iter_out=10, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=max, use_imm, imm=0) {layer = "l0"}
    accel.alu (uop_bgn=54, uop_end=55, iter_out=10, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=min, use_imm, imm=127) {layer = "l0"}
    accel.store (memory_type=out, sram_base=0, dram_base=1112, y_size=2, x_size=50, x_stride=100, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.load (memory_type=acc, sram_base=0, dram_base=108, y_size=50, x_size=1, x_stride=0, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.load (memory_type=acc, sram_base=50, dram_base=109, y_size=50, x_size=1, x_stride=0, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.load (memory_type=inp, sram_base=0, dram_base=544, y_size=6, x_size=10, x_stride=10, y_pad_0=0, y_pad_1=1, x_pad_0=1, x_pad_1=1) {layer = "l0"}
    accel.load (memory_type=inp, sram_base=84, dram_base=644, y_size=6, x_size=10, x_stride=10, y_pad_0=0, y_pad_1=1, x_pad_0=1, x_pad_1=1) {layer = "l0"}
    accel.load (memory_type=inp, sram_base=168, dram_base=744, y_size=6, x_size=10, x_stride=10, y_pad_0=0, y_pad_1=1, x_pad_0=1, x_pad_1=1) {layer = "l0"}
    accel.load (memory_type=wgt, sram_base=0, dram_base=0, y_size=2, x_size=27, x_stride=27, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.gemm (uop_bgn=0, uop_end=54, iter_out=5, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=12, src_factor_in=1, wgt_factor_out=0, wgt_factor_in=0) {layer = "l0"}
    accel.alu (uop_bgn=54, uop_end=55, iter_out=10, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=add, use_imm, imm=2048) {layer = "l0"}
    accel.alu (uop_bgn=54, uop_end=55, iter_out=10, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=shr, use_imm, imm=12) {layer = "l0"}
    accel.alu (uop_bgn=54, uop_end=55, iter_out=10, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=max, use_imm, imm=0) {layer = "l0"}
    accel.alu (uop_bgn=54, uop_end=55, iter_out=10, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=min, use_imm, imm=127) {layer = "l0"}
    accel.store (memory_type=out, sram_base=0, dram_base=1162, y_size=2, x_size=50, x_stride=100, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.load (memory_type=uop, sram_base=55, dram_base=2679, y_size=1, x_size=3, x_stride=3, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.gemm (reset_reg, uop_bgn=55, uop_end=58, iter_out=4, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, wgt_factor_out=0, wgt_factor_in=0) {layer = "l1"}
    accel.load (memory_type=acc, sram_base=120, dram_base=122, y_size=1, x_size=3, x_stride=3, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.load (memory_type=uop, sram_base=58, dram_base=2682, y_size=1, x_size=3, x_stride=3, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.alu (uop_bgn=58, uop_end=61, iter_out=4, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=add, imm=0) {layer = "l1"}
    accel.load (memory_type=inp, sram_base=0, dram_base=1112, y_size=4, x_size=10, x_stride=10, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.load (memory_type=inp, sram_base=40, dram_base=1212, y_size=4, x_size=10, x_stride=10, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.load (memory_type=wgt, sram_base=0, dram_base=55, y_size=3, x_size=2, x_stride=2, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.load (memory_type=uop, sram_base=61, dram_base=2685, y_size=1, x_size=6, x_stride=6, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.gemm (uop_bgn=61, uop_end=67, iter_out=4, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=10, src_factor_in=1, wgt_factor_out=0, wgt_factor_in=0) {layer = "l1"}
    accel.alu (uop_bgn=54, uop_end=55, iter_out=12, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=add, use_imm, imm=512) {layer = "l1"}
    accel.alu (uop_bgn=54, uop_end=55, iter_out=12, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=shr, use_imm, imm=10) {layer = "l1"}
    accel.alu (uop_bgn=54, uop_end=55, iter_out=12, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=max, use_imm, imm=-128) {layer = "l1"}
    accel.alu (uop_bgn=54, uop_end=55, iter_out=12, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=min, use_imm, imm=127) {layer = "l1"}
    accel.store (memory_type=out, sram_base=0, dram_base=808, y_size=3, x_size=40, x_stride=100, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.gemm (reset_reg, uop_bgn=55, uop_end=58, iter_out=4, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, wgt_factor_out=0, wgt_factor_in=0) {layer = "l1"}
    accel.load (memory_type=acc, sram_base=120, dram_base=122, y_size=1, x_size=3, x_stride=3, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.alu (uop_bgn=58, uop_end=61, iter_out=4, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=add, imm=0) {layer = "l1"}
    accel.load (memory_type=inp, sram_base=0, dram_base=1152, y_size=4, x_size=10, x_stride=10, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.load (memory_type=inp, sram_base=40, dram_base=1252, y_size=4, x_size=10, x_stride=10, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.load (memory_type=wgt, sram_base=0, dram_base=55, y_size=3, x_size=2, x_stride=2, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.gemm (uop_bgn=61, uop_end=67, iter_out=4, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=10, src_factor_in=1, wgt_factor_out=0, wgt_factor_in=0) {layer = "l1"}
    accel.alu (uop_bgn=54, uop_end=55, iter_out=12, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=add, use_imm, imm=512) {layer = "l1"}
    accel.alu (uop_bgn=54, uop_end=55, iter_out=12, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=shr, use_imm, imm=10) {layer = "l1"}
    accel.alu (uop_bgn=54, uop_end=55, iter_out=12, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=max, use_imm, imm=-128) {layer = "l1"}
    accel.alu (uop_bgn=54, uop_end=55, iter_out=12, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=min, use_imm, imm=127) {layer = "l1"}
    accel.store (memory_type=out, sram_base=0, dram_base=848, y_size=3, x_size=40, x_stride=100, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.load (memory_type=uop, sram_base=67, dram_base=2691, y_size=1, x_size=3, x_stride=3, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.gemm (reset_reg, uop_bgn=67, uop_end=70, iter_out=2, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, wgt_factor_out=0, wgt_factor_in=0) {layer = "l1"}
    accel.load (memory_type=acc, sram_base=60, dram_base=122, y_size=1, x_size=3, x_stride=3, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.load (memory_type=uop, sram_base=70, dram_base=2694, y_size=1, x_size=3, x_stride=3, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.alu (uop_bgn=70, uop_end=73, iter_out=2, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=add, imm=0) {layer = "l1"}
    accel.load (memory_type=inp, sram_base=0, dram_base=1192, y_size=2, x_size=10, x_stride=10, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.load (memory_type=inp, sram_base=20, dram_base=1292, y_size=2, x_size=10, x_stride=10, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.load (memory_type=wgt, sram_base=0, dram_base=55, y_size=3, x_size=2, x_stride=2, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.load (memory_type=uop, sram_base=73, dram_base=2697, y_size=1, x_size=6, x_stride=6, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.gemm (uop_bgn=73, uop_end=79, iter_out=2, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=10, src_factor_in=1, wgt_factor_out=0, wgt_factor_in=0) {layer = "l1"}
    accel.alu (uop_bgn=54, uop_end=55, iter_out=6, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=add, use_imm, imm=512) {layer = "l1"}
    accel.alu (uop_bgn=54, uop_end=55, iter_out=6, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=shr, use_imm, imm=10) {layer = "l1"}
    accel.alu (uop_bgn=54, uop_end=55, iter_out=6, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=max, use_imm, imm=-128) {layer = "l1"}
    accel.alu (uop_bgn=54, uop_end=55, iter_out=6, iter_in=10, dst_factor_out=10, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=min, use_imm, imm=127) {layer = "l1"}
    accel.store (memory_type=out, sram_base=0, dram_base=888, y_size=3, x_size=20, x_stride=100, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.finish ()
  }
}
