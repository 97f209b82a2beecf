builtin.module attributes {canopy.inputs = ["input"], canopy.outputs = ["output"], canopy.weights = "weights.npz", canopy.hw_config = {TARGET = "sim", HW_VER = "0.0.2", LOG_INP_WIDTH = 3 : i64, LOG_WGT_WIDTH = 3 : i64, LOG_ACC_WIDTH = 5 : i64, LOG_BATCH = 0 : i64, LOG_BLOCK_IN = 2 : i64, LOG_BLOCK_OUT = 2 : i64, LOG_UOP_BUFF_SIZE = 10 : i64, LOG_INP_BUFF_SIZE = 8 : i64, LOG_WGT_BUFF_SIZE = 9 : i64, LOG_ACC_BUFF_SIZE = 8 : i64, LOG_BUS_WIDTH = 6 : i64, CLOCK_MHZ = 100 : i64, DRAM_LATENCY_CYCLES = 64 : i64, ALU_MUL_BITS = 8 : i64}, canopy.stage = "accel"} {
  accel.region "c3.packed" {weight = "c3.packed", type = tensor<2x1x3x3x4x4xi8>, offset = 0 : i64, nbytes = 288 : i64, role = "weight"}
  accel.region "c6.packed" {weight = "c6.packed", type = tensor<2x1x4xi32>, offset = 288 : i64, nbytes = 32 : i64, role = "weight"}
  accel.region "c11.packed" {weight = "c11.packed", type = tensor<4x2x3x3x4x4xi8>, offset = 320 : i64, nbytes = 1152 : i64, role = "weight"}
  accel.region "c14.packed" {weight = "c14.packed", type = tensor<4x1x4xi32>, offset = 1472 : i64, nbytes = 64 : i64, role = "weight"}
  accel.region "input" {logical_shape = array<i64: 1, 4, 6, 6>, scale = 1.562500e-02 : f64, zero_point = 0 : i64, onnx_name = "input", type = tensor<1x1x6x6x1x4xi8>, offset = 1536 : i64, nbytes = 144 : i64, role = "input"}
  accel.region "output" {logical_shape = array<i64: 1, 16, 3, 3>, scale = 4.000000e+00 : f64, zero_point = 0 : i64, onnx_name = "output", type = tensor<1x4x3x3x1x4xi8>, offset = 1680 : i64, nbytes = 144 : i64, role = "output"}
  accel.region "l0.out" {logical_shape = array<i64: 1, 8, 6, 6>, type = tensor<1x2x6x6x1x4xi8>, offset = 1824 : i64, nbytes = 288 : i64, role = "scratch"}
  accel.uop_table (offset=2112, uops=[0, 0, 0, 0, 1, 1, 0, 2, 2, 0, 8, 3, 0, 9, 4, 0, 10, 5, 0, 16, 6, 0, 17, 7, 0, 18, 8, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 2, 2, 0, 7, 3, 0, 8, 4, 0, 9, 5, 0, 14, 6, 0, 15, 7, 0, 16, 8, 4, 21, 9, 4, 22, 10, 4, 23, 11, 4, 28, 12, 4, 29, 13, 4, 30, 14, 4, 35, 15, 4, 36, 16, 4, 37, 17, 4, 4, 0])
  accel.program {
    accel.load (memory_type=acc, sram_base=0, dram_base=18, y_size=12, x_size=1, x_stride=0, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.load (memory_type=inp, sram_base=0, dram_base=384, y_size=3, x_size=6, x_stride=6, y_pad_0=1, y_pad_1=0, x_pad_0=1, x_pad_1=1) {layer = "l0"}
    accel.load (memory_type=wgt, sram_base=0, dram_base=0, y_size=1, x_size=9, x_stride=9, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.load (memory_type=uop, sram_base=0, dram_base=528, y_size=1, x_size=9, x_stride=9, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.gemm (uop_bgn=0, uop_end=9, iter_out=2, iter_in=6, dst_factor_out=6, dst_factor_in=1, src_factor_out=8, src_factor_in=1, wgt_factor_out=0, wgt_factor_in=0) {layer = "l0"}
    accel.load (memory_type=uop, sram_base=9, dram_base=537, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.alu (uop_bgn=9, uop_end=10, iter_out=2, iter_in=6, dst_factor_out=6, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=add, use_imm, imm=1024) {layer = "l0"}
    accel.alu (uop_bgn=9, uop_end=10, iter_out=2, iter_in=6, dst_factor_out=6, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=shr, use_imm, imm=11) {layer = "l0"}
    accel.alu (uop_bgn=9, uop_end=10, iter_out=2, iter_in=6, dst_factor_out=6, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=max, use_imm, imm=0) {layer = "l0"}
    accel.alu (uop_bgn=9, uop_end=10, iter_out=2, iter_in=6, dst_factor_out=6, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=min, use_imm, imm=127) {layer = "l0"}
    accel.store (memory_type=out, sram_base=0, dram_base=456, y_size=1, x_size=12, x_stride=36, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.load (memory_type=acc, sram_base=0, dram_base=18, y_size=12, x_size=1, x_stride=0, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.load (memory_type=inp, sram_base=0, dram_base=390, y_size=4, x_size=6, x_stride=6, y_pad_0=0, y_pad_1=0, x_pad_0=1, x_pad_1=1) {layer = "l0"}
    accel.load (memory_type=wgt, sram_base=0, dram_base=0, y_size=1, x_size=9, x_stride=9, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.gemm (uop_bgn=0, uop_end=9, iter_out=2, iter_in=6, dst_factor_out=6, dst_factor_in=1, src_factor_out=8, src_factor_in=1, wgt_factor_out=0, wgt_factor_in=0) {layer = "l0"}
    accel.alu (uop_bgn=9, uop_end=10, iter_out=2, iter_in=6, dst_factor_out=6, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=add, use_imm, imm=1024) {layer = "l0"}
    accel.alu (uop_bgn=9, uop_end=10, iter_out=2, iter_in=6, dst_factor_out=6, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=shr, use_imm, imm=11) {layer = "l0"}
    accel.alu (uop_bgn=9, uop_end=10, iter_out=2, iter_in=6, dst_factor_out=6, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=max, use_imm, imm=0) {layer = "l0"}
    accel.alu (uop_bgn=9, uop_end=10, iter_out=2, iter_in=6, dst_factor_out=6, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=min, use_imm, imm=127) {layer = "l0"}
    accel.store (memory_type=out, sram_base=0, dram_base=468, y_size=1, x_size=12, x_stride=36, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.load (memory_type=acc, sram_base=0, dram_base=18, y_size=12, x_size=1, x_stride=0, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.load (memory_type=inp, sram_base=0, dram_base=402, y_size=3, x_size=6, x_stride=6, y_pad_0=0, y_pad_1=1, x_pad_0=1, x_pad_1=1) {layer = "l0"}
    accel.load (memory_type=wgt, sram_base=0, dram_base=0, y_size=1, x_size=9, x_stride=9, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.gemm (uop_bgn=0, uop_end=9, iter_out=2, iter_in=6, dst_factor_out=6, dst_factor_in=1, src_factor_out=8, src_factor_in=1, wgt_factor_out=0, wgt_factor_in=0) {layer = "l0"}
    accel.alu (uop_bgn=9, uop_end=10, iter_out=2, iter_in=6, dst_factor_out=6, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=add, use_imm, imm=1024) {layer = "l0"}
    accel.alu (uop_bgn=9, uop_end=10, iter_out=2, iter_in=6, dst_factor_out=6, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=shr, use_imm, imm=11) {layer = "l0"}
    accel.alu (uop_bgn=9, uop_end=10, iter_out=2, iter_in=6, dst_factor_out=6, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=max, use_imm, imm=0) {layer = "l0"}
    accel.alu (uop_bgn=9, uop_end=10, iter_out=2, iter_in=6, dst_factor_out=6, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=min, use_imm, imm=127) {layer = "l0"}
    accel.store (memory_type=out, sram_base=0, dram_base=480, y_size=1, x_size=12, x_stride=36, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.load (memory_type=acc, sram_base=0, dram_base=19, y_size=12, x_size=1, x_stride=0, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.load (memory_type=inp, sram_base=0, dram_base=384, y_size=3, x_size=6, x_stride=6, y_pad_0=1, y_pad_1=0, x_pad_0=1, x_pad_1=1) {layer = "l0"}
    accel.load (memory_type=wgt, sram_base=0, dram_base=9, y_size=1, x_size=9, x_stride=9, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.gemm (uop_bgn=0, uop_end=9, iter_out=2, iter_in=6, dst_factor_out=6, dst_factor_in=1, src_factor_out=8, src_factor_in=1, wgt_factor_out=0, wgt_factor_in=0) {layer = "l0"}
    accel.alu (uop_bgn=9, uop_end=10, iter_out=2, iter_in=6, dst_factor_out=6, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=add, use_imm, imm=1024) {layer = "l0"}
    accel.alu (uop_bgn=9, uop_end=10, iter_out=2, iter_in=6, dst_factor_out=6, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=shr, use_imm, imm=11) {layer = "l0"}
    accel.alu (uop_bgn=9, uop_end=10, iter_out=2, iter_in=6, dst_factor_out=6, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=max, use_imm, imm=0) {layer = "l0"}
    accel.alu (uop_bgn=9, uop_end=10, iter_out=2, iter_in=6, dst_factor_out=6, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=min, use_imm, imm=127) {layer = "l0"}
    accel.store (memory_type=out, sram_base=0, dram_base=492, y_size=1, x_size=12, x_stride=36, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.load (memory_type=acc, sram_base=0, dram_base=19, y_size=12, x_size=1, x_stride=0, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.load (memory_type=inp, sram_base=0, dram_base=390, y_size=4, x_size=6, x_stride=6, y_pad_0=0, y_pad_1=0, x_pad_0=1, x_pad_1=1) {layer = "l0"}
    accel.load (memory_type=wgt, sram_base=0, dram_base=9, y_size=1, x_size=9, x_stride=9, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.gemm (uop_bgn=0, uop_end=9, iter_out=2, iter_in=6, dst_factor_out=6, dst_factor_in=1, src_factor_out=8, src_factor_in=1, wgt_factor_out=0, wgt_factor_in=0) {layer = "l0"}
    accel.alu (uop_bgn=9, uop_end=10, iter_out=2, iter_in=6, dst_factor_out=6, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=add, use_imm, imm=1024) {layer = "l0"}
    accel.alu (uop_bgn=9, uop_end=10, iter_out=2, iter_in=6, dst_factor_out=6, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=shr, use_imm, imm=11) {layer = "l0"}
    accel.alu (uop_bgn=9, uop_end=10, iter_out=2, iter_in=6, dst_factor_out=6, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=max, use_imm, imm=0) {layer = "l0"}
    accel.alu (uop_bgn=9, uop_end=10, iter_out=2, iter_in=6, dst_factor_out=6, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=min, use_imm, imm=127) {layer = "l0"}
    accel.store (memory_type=out, sram_base=0, dram_base=504, y_size=1, x_size=12, x_stride=36, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.load (memory_type=acc, sram_base=0, dram_base=19, y_size=12, x_size=1, x_stride=0, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.load (memory_type=inp, sram_base=0, dram_base=402, y_size=3, x_size=6, x_stride=6, y_pad_0=0, y_pad_1=1, x_pad_0=1, x_pad_1=1) {layer = "l0"}
    accel.load (memory_type=wgt, sram_base=0, dram_base=9, y_size=1, x_size=9, x_stride=9, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.gemm (uop_bgn=0, uop_end=9, iter_out=2, iter_in=6, dst_factor_out=6, dst_factor_in=1, src_factor_out=8, src_factor_in=1, wgt_factor_out=0, wgt_factor_in=0) {layer = "l0"}
    accel.alu (uop_bgn=9, uop_end=10, iter_out=2, iter_in=6, dst_factor_out=6, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=add, use_imm, imm=1024) {layer = "l0"}
    accel.alu (uop_bgn=9, uop_end=10, iter_out=2, iter_in=6, dst_factor_out=6, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=shr, use_imm, imm=11) {layer = "l0"}
    accel.alu (uop_bgn=9, uop_end=10, iter_out=2, iter_in=6, dst_factor_out=6, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=max, use_imm, imm=0) {layer = "l0"}
    accel.alu (uop_bgn=9, uop_end=10, iter_out=2, iter_in=6, dst_factor_out=6, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=min, use_imm, imm=127) {layer = "l0"}
    accel.store (memory_type=out, sram_base=0, dram_base=516, y_size=1, x_size=12, x_stride=36, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l0"}
    accel.load (memory_type=acc, sram_base=0, dram_base=92, y_size=3, x_size=1, x_stride=0, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.load (memory_type=inp, sram_base=0, dram_base=456, y_size=2, x_size=6, x_stride=6, y_pad_0=1, y_pad_1=0, x_pad_0=1, x_pad_1=0) {layer = "l1"}
    accel.load (memory_type=wgt, sram_base=0, dram_base=20, y_size=1, x_size=9, x_stride=18, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.load (memory_type=uop, sram_base=10, dram_base=538, y_size=1, x_size=9, x_stride=9, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.gemm (uop_bgn=10, uop_end=19, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=14, src_factor_in=2, wgt_factor_out=0, wgt_factor_in=0) {layer = "l1"}
    accel.load (memory_type=inp, sram_base=0, dram_base=492, y_size=2, x_size=6, x_stride=6, y_pad_0=1, y_pad_1=0, x_pad_0=1, x_pad_1=0) {layer = "l1"}
    accel.load (memory_type=wgt, sram_base=0, dram_base=29, y_size=1, x_size=9, x_stride=18, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.gemm (uop_bgn=10, uop_end=19, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=14, src_factor_in=2, wgt_factor_out=0, wgt_factor_in=0) {layer = "l1"}
    accel.alu (uop_bgn=9, uop_end=10, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=add, use_imm, imm=1024) {layer = "l1"}
    accel.alu (uop_bgn=9, uop_end=10, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=shr, use_imm, imm=11) {layer = "l1"}
    accel.alu (uop_bgn=9, uop_end=10, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=max, use_imm, imm=0) {layer = "l1"}
    accel.alu (uop_bgn=9, uop_end=10, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=min, use_imm, imm=127) {layer = "l1"}
    accel.store (memory_type=out, sram_base=0, dram_base=420, y_size=1, x_size=3, x_stride=9, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.load (memory_type=acc, sram_base=4, dram_base=92, y_size=3, x_size=1, x_stride=0, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.load (memory_type=inp, sram_base=21, dram_base=462, y_size=3, x_size=6, x_stride=6, y_pad_0=0, y_pad_1=0, x_pad_0=1, x_pad_1=0) {layer = "l1"}
    accel.load (memory_type=wgt, sram_base=9, dram_base=20, y_size=1, x_size=9, x_stride=18, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.load (memory_type=uop, sram_base=19, dram_base=547, y_size=1, x_size=9, x_stride=9, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.gemm (uop_bgn=19, uop_end=28, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=14, src_factor_in=2, wgt_factor_out=0, wgt_factor_in=0) {layer = "l1"}
    accel.load (memory_type=inp, sram_base=21, dram_base=498, y_size=3, x_size=6, x_stride=6, y_pad_0=0, y_pad_1=0, x_pad_0=1, x_pad_1=0) {layer = "l1"}
    accel.load (memory_type=wgt, sram_base=9, dram_base=29, y_size=1, x_size=9, x_stride=18, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.gemm (uop_bgn=19, uop_end=28, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=14, src_factor_in=2, wgt_factor_out=0, wgt_factor_in=0) {layer = "l1"}
    accel.load (memory_type=uop, sram_base=28, dram_base=556, y_size=1, x_size=1, x_stride=1, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.alu (uop_bgn=28, uop_end=29, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=add, use_imm, imm=1024) {layer = "l1"}
    accel.alu (uop_bgn=28, uop_end=29, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=shr, use_imm, imm=11) {layer = "l1"}
    accel.alu (uop_bgn=28, uop_end=29, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=max, use_imm, imm=0) {layer = "l1"}
    accel.alu (uop_bgn=28, uop_end=29, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=min, use_imm, imm=127) {layer = "l1"}
    accel.store (memory_type=out, sram_base=4, dram_base=423, y_size=1, x_size=3, x_stride=9, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.load (memory_type=acc, sram_base=0, dram_base=92, y_size=3, x_size=1, x_stride=0, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.load (memory_type=inp, sram_base=0, dram_base=474, y_size=3, x_size=6, x_stride=6, y_pad_0=0, y_pad_1=0, x_pad_0=1, x_pad_1=0) {layer = "l1"}
    accel.load (memory_type=wgt, sram_base=0, dram_base=20, y_size=1, x_size=9, x_stride=18, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.gemm (uop_bgn=10, uop_end=19, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=14, src_factor_in=2, wgt_factor_out=0, wgt_factor_in=0) {layer = "l1"}
    accel.load (memory_type=inp, sram_base=0, dram_base=510, y_size=3, x_size=6, x_stride=6, y_pad_0=0, y_pad_1=0, x_pad_0=1, x_pad_1=0) {layer = "l1"}
    accel.load (memory_type=wgt, sram_base=0, dram_base=29, y_size=1, x_size=9, x_stride=18, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.gemm (uop_bgn=10, uop_end=19, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=14, src_factor_in=2, wgt_factor_out=0, wgt_factor_in=0) {layer = "l1"}
    accel.alu (uop_bgn=9, uop_end=10, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=add, use_imm, imm=1024) {layer = "l1"}
    accel.alu (uop_bgn=9, uop_end=10, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=shr, use_imm, imm=11) {layer = "l1"}
    accel.alu (uop_bgn=9, uop_end=10, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=max, use_imm, imm=0) {layer = "l1"}
    accel.alu (uop_bgn=9, uop_end=10, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=min, use_imm, imm=127) {layer = "l1"}
    accel.store (memory_type=out, sram_base=0, dram_base=426, y_size=1, x_size=3, x_stride=9, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.load (memory_type=acc, sram_base=4, dram_base=93, y_size=3, x_size=1, x_stride=0, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.load (memory_type=inp, sram_base=21, dram_base=456, y_size=2, x_size=6, x_stride=6, y_pad_0=1, y_pad_1=0, x_pad_0=1, x_pad_1=0) {layer = "l1"}
    accel.load (memory_type=wgt, sram_base=9, dram_base=38, y_size=1, x_size=9, x_stride=18, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.gemm (uop_bgn=19, uop_end=28, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=14, src_factor_in=2, wgt_factor_out=0, wgt_factor_in=0) {layer = "l1"}
    accel.load (memory_type=inp, sram_base=21, dram_base=492, y_size=2, x_size=6, x_stride=6, y_pad_0=1, y_pad_1=0, x_pad_0=1, x_pad_1=0) {layer = "l1"}
    accel.load (memory_type=wgt, sram_base=9, dram_base=47, y_size=1, x_size=9, x_stride=18, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.gemm (uop_bgn=19, uop_end=28, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=14, src_factor_in=2, wgt_factor_out=0, wgt_factor_in=0) {layer = "l1"}
    accel.alu (uop_bgn=28, uop_end=29, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=add, use_imm, imm=1024) {layer = "l1"}
    accel.alu (uop_bgn=28, uop_end=29, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=shr, use_imm, imm=11) {layer = "l1"}
    accel.alu (uop_bgn=28, uop_end=29, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=max, use_imm, imm=0) {layer = "l1"}
    accel.alu (uop_bgn=28, uop_end=29, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=min, use_imm, imm=127) {layer = "l1"}
    accel.store (memory_type=out, sram_base=4, dram_base=429, y_size=1, x_size=3, x_stride=9, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.load (memory_type=acc, sram_base=0, dram_base=93, y_size=3, x_size=1, x_stride=0, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.load (memory_type=inp, sram_base=0, dram_base=462, y_size=3, x_size=6, x_stride=6, y_pad_0=0, y_pad_1=0, x_pad_0=1, x_pad_1=0) {layer = "l1"}
    accel.load (memory_type=wgt, sram_base=0, dram_base=38, y_size=1, x_size=9, x_stride=18, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.gemm (uop_bgn=10, uop_end=19, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=14, src_factor_in=2, wgt_factor_out=0, wgt_factor_in=0) {layer = "l1"}
    accel.load (memory_type=inp, sram_base=0, dram_base=498, y_size=3, x_size=6, x_stride=6, y_pad_0=0, y_pad_1=0, x_pad_0=1, x_pad_1=0) {layer = "l1"}
    accel.load (memory_type=wgt, sram_base=0, dram_base=47, y_size=1, x_size=9, x_stride=18, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.gemm (uop_bgn=10, uop_end=19, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=14, src_factor_in=2, wgt_factor_out=0, wgt_factor_in=0) {layer = "l1"}
    accel.alu (uop_bgn=9, uop_end=10, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=add, use_imm, imm=1024) {layer = "l1"}
    accel.alu (uop_bgn=9, uop_end=10, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=shr, use_imm, imm=11) {layer = "l1"}
    accel.alu (uop_bgn=9, uop_end=10, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=max, use_imm, imm=0) {layer = "l1"}
    accel.alu (uop_bgn=9, uop_end=10, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=min, use_imm, imm=127) {layer = "l1"}
    accel.store (memory_type=out, sram_base=0, dram_base=432, y_size=1, x_size=3, x_stride=9, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.load (memory_type=acc, sram_base=4, dram_base=93, y_size=3, x_size=1, x_stride=0, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.load (memory_type=inp, sram_base=21, dram_base=474, y_size=3, x_size=6, x_stride=6, y_pad_0=0, y_pad_1=0, x_pad_0=1, x_pad_1=0) {layer = "l1"}
    accel.load (memory_type=wgt, sram_base=9, dram_base=38, y_size=1, x_size=9, x_stride=18, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.gemm (uop_bgn=19, uop_end=28, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=14, src_factor_in=2, wgt_factor_out=0, wgt_factor_in=0) {layer = "l1"}
    accel.load (memory_type=inp, sram_base=21, dram_base=510, y_size=3, x_size=6, x_stride=6, y_pad_0=0, y_pad_1=0, x_pad_0=1, x_pad_1=0) {layer = "l1"}
    accel.load (memory_type=wgt, sram_base=9, dram_base=47, y_size=1, x_size=9, x_stride=18, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.gemm (uop_bgn=19, uop_end=28, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=14, src_factor_in=2, wgt_factor_out=0, wgt_factor_in=0) {layer = "l1"}
    accel.alu (uop_bgn=28, uop_end=29, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=add, use_imm, imm=1024) {layer = "l1"}
    accel.alu (uop_bgn=28, uop_end=29, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=shr, use_imm, imm=11) {layer = "l1"}
    accel.alu (uop_bgn=28, uop_end=29, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=max, use_imm, imm=0) {layer = "l1"}
    accel.alu (uop_bgn=28, uop_end=29, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=min, use_imm, imm=127) {layer = "l1"}
    accel.store (memory_type=out, sram_base=4, dram_base=435, y_size=1, x_size=3, x_stride=9, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.load (memory_type=acc, sram_base=0, dram_base=94, y_size=3, x_size=1, x_stride=0, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.load (memory_type=inp, sram_base=0, dram_base=456, y_size=2, x_size=6, x_stride=6, y_pad_0=1, y_pad_1=0, x_pad_0=1, x_pad_1=0) {layer = "l1"}
    accel.load (memory_type=wgt, sram_base=0, dram_base=56, y_size=1, x_size=9, x_stride=18, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.gemm (uop_bgn=10, uop_end=19, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=14, src_factor_in=2, wgt_factor_out=0, wgt_factor_in=0) {layer = "l1"}
    accel.load (memory_type=inp, sram_base=0, dram_base=492, y_size=2, x_size=6, x_stride=6, y_pad_0=1, y_pad_1=0, x_pad_0=1, x_pad_1=0) {layer = "l1"}
    accel.load (memory_type=wgt, sram_base=0, dram_base=65, y_size=1, x_size=9, x_stride=18, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.gemm (uop_bgn=10, uop_end=19, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=14, src_factor_in=2, wgt_factor_out=0, wgt_factor_in=0) {layer = "l1"}
    accel.alu (uop_bgn=9, uop_end=10, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=add, use_imm, imm=1024) {layer = "l1"}
    accel.alu (uop_bgn=9, uop_end=10, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=shr, use_imm, imm=11) {layer = "l1"}
    accel.alu (uop_bgn=9, uop_end=10, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=max, use_imm, imm=0) {layer = "l1"}
    accel.alu (uop_bgn=9, uop_end=10, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=min, use_imm, imm=127) {layer = "l1"}
    accel.store (memory_type=out, sram_base=0, dram_base=438, y_size=1, x_size=3, x_stride=9, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.load (memory_type=acc, sram_base=4, dram_base=94, y_size=3, x_size=1, x_stride=0, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.load (memory_type=inp, sram_base=21, dram_base=462, y_size=3, x_size=6, x_stride=6, y_pad_0=0, y_pad_1=0, x_pad_0=1, x_pad_1=0) {layer = "l1"}
    accel.load (memory_type=wgt, sram_base=9, dram_base=56, y_size=1, x_size=9, x_stride=18, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.gemm (uop_bgn=19, uop_end=28, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=14, src_factor_in=2, wgt_factor_out=0, wgt_factor_in=0) {layer = "l1"}
    accel.load (memory_type=inp, sram_base=21, dram_base=498, y_size=3, x_size=6, x_stride=6, y_pad_0=0, y_pad_1=0, x_pad_0=1, x_pad_1=0) {layer = "l1"}
    accel.load (memory_type=wgt, sram_base=9, dram_base=65, y_size=1, x_size=9, x_stride=18, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.gemm (uop_bgn=19, uop_end=28, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=14, src_factor_in=2, wgt_factor_out=0, wgt_factor_in=0) {layer = "l1"}
    accel.alu (uop_bgn=28, uop_end=29, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=add, use_imm, imm=1024) {layer = "l1"}
    accel.alu (uop_bgn=28, uop_end=29, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=shr, use_imm, imm=11) {layer = "l1"}
    accel.alu (uop_bgn=28, uop_end=29, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=max, use_imm, imm=0) {layer = "l1"}
    accel.alu (uop_bgn=28, uop_end=29, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=min, use_imm, imm=127) {layer = "l1"}
    accel.store (memory_type=out, sram_base=4, dram_base=441, y_size=1, x_size=3, x_stride=9, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.load (memory_type=acc, sram_base=0, dram_base=94, y_size=3, x_size=1, x_stride=0, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.load (memory_type=inp, sram_base=0, dram_base=474, y_size=3, x_size=6, x_stride=6, y_pad_0=0, y_pad_1=0, x_pad_0=1, x_pad_1=0) {layer = "l1"}
    accel.load (memory_type=wgt, sram_base=0, dram_base=56, y_size=1, x_size=9, x_stride=18, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.gemm (uop_bgn=10, uop_end=19, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=14, src_factor_in=2, wgt_factor_out=0, wgt_factor_in=0) {layer = "l1"}
    accel.load (memory_type=inp, sram_base=0, dram_base=510, y_size=3, x_size=6, x_stride=6, y_pad_0=0, y_pad_1=0, x_pad_0=1, x_pad_1=0) {layer = "l1"}
    accel.load (memory_type=wgt, sram_base=0, dram_base=65, y_size=1, x_size=9, x_stride=18, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.gemm (uop_bgn=10, uop_end=19, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=14, src_factor_in=2, wgt_factor_out=0, wgt_factor_in=0) {layer = "l1"}
    accel.alu (uop_bgn=9, uop_end=10, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=add, use_imm, imm=1024) {layer = "l1"}
    accel.alu (uop_bgn=9, uop_end=10, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=shr, use_imm, imm=11) {layer = "l1"}
    accel.alu (uop_bgn=9, uop_end=10, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=max, use_imm, imm=0) {layer = "l1"}
    accel.alu (uop_bgn=9, uop_end=10, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=min, use_imm, imm=127) {layer = "l1"}
    accel.store (memory_type=out, sram_base=0, dram_base=444, y_size=1, x_size=3, x_stride=9, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.load (memory_type=acc, sram_base=4, dram_base=95, y_size=3, x_size=1, x_stride=0, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.load (memory_type=inp, sram_base=21, dram_base=456, y_size=2, x_size=6, x_stride=6, y_pad_0=1, y_pad_1=0, x_pad_0=1, x_pad_1=0) {layer = "l1"}
    accel.load (memory_type=wgt, sram_base=9, dram_base=74, y_size=1, x_size=9, x_stride=18, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.gemm (uop_bgn=19, uop_end=28, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=14, src_factor_in=2, wgt_factor_out=0, wgt_factor_in=0) {layer = "l1"}
    accel.load (memory_type=inp, sram_base=21, dram_base=492, y_size=2, x_size=6, x_stride=6, y_pad_0=1, y_pad_1=0, x_pad_0=1, x_pad_1=0) {layer = "l1"}
    accel.load (memory_type=wgt, sram_base=9, dram_base=83, y_size=1, x_size=9, x_stride=18, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.gemm (uop_bgn=19, uop_end=28, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=14, src_factor_in=2, wgt_factor_out=0, wgt_factor_in=0) {layer = "l1"}
    accel.alu (uop_bgn=28, uop_end=29, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=add, use_imm, imm=1024) {layer = "l1"}
    accel.alu (uop_bgn=28, uop_end=29, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=shr, use_imm, imm=11) {layer = "l1"}
    accel.alu (uop_bgn=28, uop_end=29, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=max, use_imm, imm=0) {layer = "l1"}
    accel.alu (uop_bgn=28, uop_end=29, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=min, use_imm, imm=127) {layer = "l1"}
    accel.store (memory_type=out, sram_base=4, dram_base=447, y_size=1, x_size=3, x_stride=9, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.load (memory_type=acc, sram_base=0, dram_base=95, y_size=3, x_size=1, x_stride=0, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.load (memory_type=inp, sram_base=0, dram_base=462, y_size=3, x_size=6, x_stride=6, y_pad_0=0, y_pad_1=0, x_pad_0=1, x_pad_1=0) {layer = "l1"}
    accel.load (memory_type=wgt, sram_base=0, dram_base=74, y_size=1, x_size=9, x_stride=18, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.gemm (uop_bgn=10, uop_end=19, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=14, src_factor_in=2, wgt_factor_out=0, wgt_factor_in=0) {layer = "l1"}
    accel.load (memory_type=inp, sram_base=0, dram_base=498, y_size=3, x_size=6, x_stride=6, y_pad_0=0, y_pad_1=0, x_pad_0=1, x_pad_1=0) {layer = "l1"}
    accel.load (memory_type=wgt, sram_base=0, dram_base=83, y_size=1, x_size=9, x_stride=18, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.gemm (uop_bgn=10, uop_end=19, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=14, src_factor_in=2, wgt_factor_out=0, wgt_factor_in=0) {layer = "l1"}
    accel.alu (uop_bgn=9, uop_end=10, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=add, use_imm, imm=1024) {layer = "l1"}
    accel.alu (uop_bgn=9, uop_end=10, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=shr, use_imm, imm=11) {layer = "l1"}
    accel.alu (uop_bgn=9, uop_end=10, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=max, use_imm, imm=0) {layer = "l1"}
    accel.alu (uop_bgn=9, uop_end=10, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=min, use_imm, imm=127) {layer = "l1"}
    accel.store (memory_type=out, sram_base=0, dram_base=450, y_size=1, x_size=3, x_stride=9, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.load (memory_type=acc, sram_base=4, dram_base=95, y_size=3, x_size=1, x_stride=0, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.load (memory_type=inp, sram_base=21, dram_base=474, y_size=3, x_size=6, x_stride=6, y_pad_0=0, y_pad_1=0, x_pad_0=1, x_pad_1=0) {layer = "l1"}
    accel.load (memory_type=wgt, sram_base=9, dram_base=74, y_size=1, x_size=9, x_stride=18, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.gemm (uop_bgn=19, uop_end=28, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=14, src_factor_in=2, wgt_factor_out=0, wgt_factor_in=0) {layer = "l1"}
    accel.load (memory_type=inp, sram_base=21, dram_base=510, y_size=3, x_size=6, x_stride=6, y_pad_0=0, y_pad_1=0, x_pad_0=1, x_pad_1=0) {layer = "l1"}
    accel.load (memory_type=wgt, sram_base=9, dram_base=83, y_size=1, x_size=9, x_stride=18, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.gemm (uop_bgn=19, uop_end=28, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=14, src_factor_in=2, wgt_factor_out=0, wgt_factor_in=0) {layer = "l1"}
    accel.alu (uop_bgn=28, uop_end=29, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=add, use_imm, imm=1024) {layer = "l1"}
    accel.alu (uop_bgn=28, uop_end=29, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=shr, use_imm, imm=11) {layer = "l1"}
    accel.alu (uop_bgn=28, uop_end=29, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=max, use_imm, imm=0) {layer = "l1"}
    accel.alu (uop_bgn=28, uop_end=29, iter_out=1, iter_in=3, dst_factor_out=3, dst_factor_in=1, src_factor_out=0, src_factor_in=0, alu_opcode=min, use_imm, imm=127) {layer = "l1"}
    accel.store (memory_type=out, sram_base=4, dram_base=453, y_size=1, x_size=3, x_stride=9, y_pad_0=0, y_pad_1=0, x_pad_0=0, x_pad_1=0) {layer = "l1"}
    accel.finish ()
  }
}
