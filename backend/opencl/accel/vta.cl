/*
 * The canopy-ir accelerator (VTA instruction set, docs/isa.md) in OpenCL C.
 *
 * It executes the ENCODED instruction stream as the compiler emits it: 128-bit instructions
 * (LOAD with padding into UOP/WGT/INP/ACC/ACC_8BIT, GEMM over micro-op loops with reset, ALU
 * MIN/MAX/ADD/SHR/MUL with immediates, STORE narrowing ACC to int8, FINISH) fetched from card
 * memory, with the semantics of canopy_ir/hw/simulator.py bit for bit, including its checks
 * (every error stops the card with a code in `status`, decoded by backend/opencl/card.py).
 *
 * Dependency tokens: instructions run in program order. That is one legal schedule of the three
 * modules (load, compute, store) for any stream whose tokens are correct (docs/isa.md §5), so
 * the token flags need no queues here; the stream's verifier checks them before a card runs it.
 *
 * The configuration (block sizes, buffer depths, every field's bit offset and width) arrives as
 * -D defines generated from a HwConfig by backend/opencl/defines.py. Two forms, one source:
 *
 *  VTA_FPGA=1  `vta_core`: one work-item runs the whole stream, its on-chip buffers arrays of
 *              the kernel (block RAM), in the style of apache/tvm-vta hardware/intelfocl.
 *              Built by accel/build_aoc.sh (Intel) and accel/build_vpp.sh (Xilinx).
 *  VTA_FPGA=0  portable CPU/GPU form. The buffers live in __global scratch memory of the device.
 *              `vta_run`: one work-group interprets a range of instructions, each instruction's
 *              work spread over its work-items, with barriers between dependent steps (runs
 *              of LOADs into disjoint buffer ranges form one step). `vta_gemm`: one GEMM
 *              spread over a whole NDRange, for GEMMs with enough work to fill the device.
 *              GEMM accumulates with atomic adds, so micro-ops that share a destination
 *              need no ordering (32-bit addition wraps and commutes). ALU positions run in
 *              parallel unless the loop reads or rewrites what another position writes.
 *
 * Bit-exactness is checked against the simulator by tests/backend/opencl (random
 * instructions and streams, whole models) on PoCL and on an NVIDIA H100.
 */

#define L_ACC (VTA_BATCH * VTA_BLOCK_OUT)        /* int32 lanes of an ACC element = OUT bytes */
#define INP_BYTES (VTA_BATCH * VTA_BLOCK_IN)
#define WGT_BYTES (VTA_BLOCK_OUT * VTA_BLOCK_IN)
#define MEM_UOP 0
#define MEM_WGT 1
#define MEM_INP 2
#define MEM_ACC 3
#define MEM_OUT 4
#define MEM_ACC8 5
/* error codes (status[0]); card.py turns them into messages */
#define E_OPCODE 1
#define E_STRAY 2
#define E_MEMTYPE 3
#define E_DRAM 4
#define E_SRAM 5
#define E_LOAD_OUT 6
#define E_STORE_TYPE 7
#define E_STORE_PAD 8
#define E_UOP_RANGE 9
#define E_INDEX 10
#define E_ALU_OP 11
#define E_MUL 12

/* A field of the two 64-bit instruction words w0, w1; no field straddles them (isa.md §3.1). */
#define FIELD(G, F) \
  ((((VTA_##G##_##F##_O) >> 6 ? w1 : w0) >> ((VTA_##G##_##F##_O) & 63)) & \
   ((1UL << VTA_##G##_##F##_W) - 1))
#define UOPF(u, F) (((u) >> VTA_UOP_##F##_O) & ((1U << VTA_UOP_##F##_W) - 1))

#if VTA_FPGA
#define MEM                          /* the on-chip buffers are arrays of the kernel */
#define SYNC()
#define ACC_ADD(p, v) (*(p) += (v))
#else
#define MEM __global
#define SYNC() barrier(CLK_GLOBAL_MEM_FENCE | CLK_LOCAL_MEM_FENCE)
#define ACC_ADD(p, v) atomic_add((volatile __global uint*)(p), (v))
#endif
#define BUF_PARAMS MEM uint* uop, MEM uint* inp, MEM uint* wgt, MEM int* acc
#define BUFS uop, inp, wgt, acc

typedef struct {
  uint op, mem, sram, ys, xs, stride, yp0, yp1, xp0, xp1;
  ulong dram;
  uint reset, bgn, end, iout, iin, dfo, dfi, sfo, sfi, wfo, wfi, aop, use_imm;
  int imm;
} insn_t;

typedef struct {   /* who runs which share of an instruction */
  uint w, nw;      /* this worker, workers in all (items are dealt out w, w + nw, ...) */
  uint lid, lsz;   /* position in the work-group that reduces checks together */
  uint leader;     /* writes the status word */
} team_t;

/* Decode; 0, or the error code of an unknown opcode / bits set outside the fields. */
uint decode(ulong w0, ulong w1, insn_t* d) {
  d->op = (uint)(w0 & 7);
  ulong u0, u1;
  if (d->op == 0 || d->op == 1) {
    d->mem = FIELD(MEM, MEMORY_TYPE); d->sram = FIELD(MEM, SRAM_BASE);
    d->dram = FIELD(MEM, DRAM_BASE); d->ys = FIELD(MEM, Y_SIZE); d->xs = FIELD(MEM, X_SIZE);
    d->stride = FIELD(MEM, X_STRIDE); d->yp0 = FIELD(MEM, Y_PAD_0);
    d->yp1 = FIELD(MEM, Y_PAD_1); d->xp0 = FIELD(MEM, X_PAD_0); d->xp1 = FIELD(MEM, X_PAD_1);
    u0 = VTA_MEM_USED0; u1 = VTA_MEM_USED1;
  } else if (d->op == 2) {
    d->reset = FIELD(GEMM, RESET_REG); d->bgn = FIELD(GEMM, UOP_BGN);
    d->end = FIELD(GEMM, UOP_END); d->iout = FIELD(GEMM, ITER_OUT);
    d->iin = FIELD(GEMM, ITER_IN); d->dfo = FIELD(GEMM, DST_FACTOR_OUT);
    d->dfi = FIELD(GEMM, DST_FACTOR_IN); d->sfo = FIELD(GEMM, SRC_FACTOR_OUT);
    d->sfi = FIELD(GEMM, SRC_FACTOR_IN); d->wfo = FIELD(GEMM, WGT_FACTOR_OUT);
    d->wfi = FIELD(GEMM, WGT_FACTOR_IN);
    u0 = VTA_GEMM_USED0; u1 = VTA_GEMM_USED1;
  } else if (d->op == 4) {
    d->reset = FIELD(ALU, RESET_REG); d->bgn = FIELD(ALU, UOP_BGN);
    d->end = FIELD(ALU, UOP_END); d->iout = FIELD(ALU, ITER_OUT); d->iin = FIELD(ALU, ITER_IN);
    d->dfo = FIELD(ALU, DST_FACTOR_OUT); d->dfi = FIELD(ALU, DST_FACTOR_IN);
    d->sfo = FIELD(ALU, SRC_FACTOR_OUT); d->sfi = FIELD(ALU, SRC_FACTOR_IN);
    d->wfo = 0; d->wfi = 0;
    d->aop = FIELD(ALU, ALU_OPCODE); d->use_imm = FIELD(ALU, USE_IMM);
    uint raw = FIELD(ALU, IMM);  /* two's complement of VTA_ALU_IMM_W bits */
    d->imm = raw >> (VTA_ALU_IMM_W - 1) ? (int)raw - (1 << VTA_ALU_IMM_W) : (int)raw;
    u0 = VTA_ALU_USED0; u1 = VTA_ALU_USED1;
  } else if (d->op == 3) {
    u0 = VTA_HEAD_USED0; u1 = VTA_HEAD_USED1;
  } else {
    return E_OPCODE;
  }
  return ((w0 & ~u0) | (w1 & ~u1)) ? E_STRAY : 0;
}

void fail(__global ulong* status, team_t t, uint code, uint pc, ulong a, ulong b, ulong c,
          ulong d) {
  if (t.leader) {
    status[1] = pc; status[2] = a; status[3] = b; status[4] = c; status[5] = d;
    status[0] = code;
  }
}

/* Arithmetic shift right written without relying on >> of negative values. */
int asr(int a, uint s) { return a >= 0 ? a >> s : ~((~a) >> s); }

int alu_op(uint op, int a, int y) {
  if (op == 0) return min(a, y);
  if (op == 1) return max(a, y);
  if (op == 2) return as_int(as_uint(a) + as_uint(y));          /* wraps at 32 bits */
  if (op == 4) return as_int(as_uint(a) * as_uint(y));          /* low 32 bits */
  /* SHR: y >= 0 shifts right by min(y, 31); y < 0 left by -y, 0 from 32 on */
  if (y >= 0) return asr(a, (uint)min(y, 31));
  long s = -(long)y;
  return s >= 32 ? 0 : as_int(as_uint(a) << (uint)s);
}

/* ---- LOAD / STORE ----------------------------------------------------------------------- */

ulong elem_bytes(uint mem) {
  return mem == MEM_UOP ? 4 : mem == MEM_WGT ? WGT_BYTES : mem == MEM_INP ? INP_BYTES
       : mem == MEM_ACC ? 4 * L_ACC : L_ACC;   /* OUT and ACC_8BIT: one byte a lane */
}

/* (the last element the y_size x x_size block of `mem` elements from dram_base touches + 1,
   the elements of that type card memory holds); the block fits unless y_size and x > y. */
ulong2 dram_extent(insn_t* d, ulong dram_bytes) {
  return (ulong2)(d->dram + (ulong)(d->ys - 1) * d->stride + d->xs,
                  dram_bytes / elem_bytes(d->mem));
}

/* 32-bit words (UOP; INP and WGT when their elements are whole words), int32 lanes (ACC,
   ACC_8BIT) or bytes: the units a LOAD element is moved in, one work-item each. */
uint load_per(uint mem) {
  return mem == MEM_UOP ? 1 : mem == MEM_WGT ? (WGT_BYTES % 4 ? WGT_BYTES : WGT_BYTES / 4)
       : mem == MEM_INP ? (INP_BYTES % 4 ? INP_BYTES : INP_BYTES / 4) : L_ACC;
}

/* Unit u of a LOAD whose checks passed: a padding zero or a copy from DRAM. */
void load_unit(uint mem, uint sram, ulong dram_base, uint stride, uint yp0, uint ys, uint xp0,
               uint xs, uint cols, uint per, uint u, __global const uchar* dram, BUF_PARAMS) {
  uint e = u / per, part = u % per, y = e / cols, x = e % cols;
  uint inside = y >= yp0 && y < yp0 + ys && x >= xp0 && x < xp0 + xs;
  ulong src = dram_base + (ulong)(y - yp0) * stride + (x - xp0);
  ulong dst = (ulong)(sram + e) * per + part;
  if (mem == MEM_UOP) {
    uop[dst] = inside ? ((__global const uint*)dram)[src] : 0;
  } else if (mem == MEM_ACC) {
    acc[dst] = inside ? ((__global const int*)dram)[src * L_ACC + part] : 0;
  } else if (mem == MEM_ACC8) {
    acc[dst] = inside ? (int)((__global const char*)dram)[src * L_ACC + part] : 0;
  } else {
    uint bytes = mem == MEM_WGT ? WGT_BYTES : INP_BYTES;
    MEM uint* buf = mem == MEM_WGT ? wgt : inp;
    if (bytes % 4 == 0) {
      buf[dst] = inside ? ((__global const uint*)dram)[src * (bytes / 4) + part] : 0;
    } else {
      ((MEM uchar*)buf)[dst] = inside ? dram[src * bytes + part] : 0;
    }
  }
}

/* 1 if a LOAD that moves data would stop the card (exec_load says why). */
uint load_fails(insn_t* d, ulong dram_bytes) {
  if (d->mem > MEM_ACC8 || d->mem == MEM_OUT) return 1;
  ulong2 ext = dram_extent(d, dram_bytes);
  ulong n = (ulong)(d->yp0 + d->ys + d->yp1) * (d->xp0 + d->xs + d->xp1);
  ulong depth = d->mem == MEM_UOP ? VTA_UOP_DEPTH : d->mem == MEM_WGT ? VTA_WGT_DEPTH
              : d->mem == MEM_INP ? VTA_INP_DEPTH : VTA_ACC_DEPTH;
  return (d->ys && ext.x > ext.y) || d->sram + n > depth;
}

uint exec_load(insn_t* d, uint pc, __global const uchar* dram, ulong dram_bytes,
               __global ulong* status, team_t t, BUF_PARAMS) {
  if (d->xs == 0) return 0;
  if (d->mem > MEM_ACC8) { fail(status, t, E_MEMTYPE, pc, d->mem, 0, 0, 0); return 1; }
  ulong2 ext = dram_extent(d, dram_bytes);
  if (d->ys && ext.x > ext.y) { fail(status, t, E_DRAM, pc, d->mem, ext.x - 1, ext.y, 0); return 1; }
  if (d->mem == MEM_OUT) { fail(status, t, E_LOAD_OUT, pc, 0, 0, 0, 0); return 1; }
  uint rows = d->yp0 + d->ys + d->yp1, cols = d->xp0 + d->xs + d->xp1;
  ulong depth = d->mem == MEM_UOP ? VTA_UOP_DEPTH : d->mem == MEM_WGT ? VTA_WGT_DEPTH
              : d->mem == MEM_INP ? VTA_INP_DEPTH : VTA_ACC_DEPTH;
  if ((ulong)d->sram + (ulong)rows * cols > depth) {
    fail(status, t, E_SRAM, pc, d->mem, d->sram, (ulong)d->sram + (ulong)rows * cols, depth);
    return 1;
  }
  uint per = load_per(d->mem);
  for (uint u = t.w; u < rows * cols * per; u += t.nw) {
    load_unit(d->mem, d->sram, d->dram, d->stride, d->yp0, d->ys, d->xp0, d->xs, cols, per, u,
              dram, BUFS);
  }
  return 0;
}

uint exec_store(insn_t* d, uint pc, __global uchar* dram, ulong dram_bytes,
                __global ulong* status, team_t t, MEM int* acc) {
  if (d->xs == 0) return 0;
  if (d->mem != MEM_OUT) { fail(status, t, E_STORE_TYPE, pc, d->mem, 0, 0, 0); return 1; }
  if (d->yp0 | d->yp1 | d->xp0 | d->xp1) { fail(status, t, E_STORE_PAD, pc, 0, 0, 0, 0); return 1; }
  ulong2 ext = dram_extent(d, dram_bytes);
  if (d->ys && ext.x > ext.y) {
    fail(status, t, E_DRAM, pc, MEM_OUT, ext.x - 1, ext.y, 1); return 1;   /* 1: STORE */
  }
  ulong count = (ulong)d->ys * d->xs;
  if (d->sram + count > VTA_ACC_DEPTH) {
    fail(status, t, E_SRAM, pc, MEM_OUT, d->sram, d->sram + count, VTA_ACC_DEPTH); return 1;
  }
  for (uint u = t.w; u < (uint)count * L_ACC; u += t.nw) {
    uint l = u % L_ACC, e = u / L_ACC, y = e / d->xs, x = e % d->xs;
    /* rows that overlap in DRAM (x_stride < x_size): the later row wins, as in row order;
       element x of row y is rewritten by row y + 1 exactly when x >= x_stride */
    if (y + 1 < d->ys && x >= d->stride) continue;
    ulong at = (d->dram + (ulong)y * d->stride + x) * L_ACC + l;
    dram[at] = (uchar)(acc[(d->sram + e) * L_ACC + l] & 0xFF);   /* truncation, no saturation */
  }
  return 0;
}

/* ---- GEMM / ALU ------------------------------------------------------------------------- */

/* mx[] := 1 + the largest dst, src, wgt index this work-item's share of the micro-ops reaches
   in the loop (0: none); the indices grow with the iteration, so the last one is the largest. */
uint4 loop_maxima(insn_t* d, team_t t, MEM uint* uop) {
  uint4 mx = (uint4)(0, 0, 0, 0);
  if (d->end > VTA_UOP_DEPTH || d->bgn > d->end || d->iout == 0 || d->iin == 0) return mx;
  uint io = d->iout - 1, ii = d->iin - 1;
  for (uint k = d->bgn + t.lid; k < d->end; k += t.lsz) {
    uint u = uop[k];
    mx.x = max(mx.x, UOPF(u, DST) + io * d->dfo + ii * d->dfi + 1);
    mx.y = max(mx.y, UOPF(u, SRC) + io * d->sfo + ii * d->sfi + 1);
    mx.z = max(mx.z, UOPF(u, WGT) + io * d->wfo + ii * d->wfi + 1);
  }
  return mx;
}

/* The range checks of a micro-op loop, given the work-group's maxima: 0, or 1 after fail(). */
uint loop_fails(insn_t* d, uint pc, __global ulong* status, team_t t, uint src_depth, uint* mx) {
  if (d->end > VTA_UOP_DEPTH || d->bgn > d->end) {
    fail(status, t, E_UOP_RANGE, pc, d->bgn, d->end, 0, 0); return 1;
  }
  uint depth[3] = {VTA_ACC_DEPTH, src_depth, VTA_WGT_DEPTH};
  for (uint which = 0; which < (d->op == 2 ? 3u : 2u); which++) {   /* ALU has no weights */
    if (mx[which] > depth[which]) {
      fail(status, t, E_INDEX, pc, which, mx[which] - 1, depth[which], 0); return 1;
    }
  }
  return 0;
}

int dot(MEM const char* x, MEM const char* w) {
  int s = 0;
#if VTA_BLOCK_IN % 4 == 0
  for (uint k = 0; k < VTA_BLOCK_IN; k += 4) {
    int4 p = convert_int4(vload4(0, x + k)) * convert_int4(vload4(0, w + k));
    s += p.x + p.y + p.z + p.w;
  }
#else
  for (uint k = 0; k < VTA_BLOCK_IN; k++) s += (int)x[k] * (int)w[k];
#endif
  return s;   /* |s| <= BLOCK_IN * 2^14: exact in 32 bits */
}

/* One work item of a GEMM: lane l of iteration n over micro-ops [k0, k1), summing runs of
   micro-ops that share a destination before adding them to the accumulator. */
void gemm_item(insn_t* d, uint n, uint k0, uint k1, uint l, BUF_PARAMS) {
  uint i = n / d->iin, j = n % d->iin, b = l / VTA_BLOCK_OUT, o = l % VTA_BLOCK_OUT;
  uint db = i * d->dfo + j * d->dfi, sb = i * d->sfo + j * d->sfi, wb = i * d->wfo + j * d->wfi;
  uint cur = 0xFFFFFFFFu, sum = 0;
  for (uint k = k0; k < k1; k++) {
    uint u = uop[k], a = db + UOPF(u, DST);
    if (a != cur) {
      if (cur != 0xFFFFFFFFu) ACC_ADD(acc + cur * L_ACC + l, sum);
      cur = a; sum = 0;
    }
    MEM const char* x = (MEM const char*)inp + (sb + UOPF(u, SRC)) * INP_BYTES + b * VTA_BLOCK_IN;
    MEM const char* w = (MEM const char*)wgt + (wb + UOPF(u, WGT)) * WGT_BYTES + o * VTA_BLOCK_IN;
    sum += (uint)dot(x, w);
  }
  if (cur != 0xFFFFFFFFu) ACC_ADD(acc + cur * L_ACC + l, sum);
}

/* lane l of loop position p (outer, inner, micro-op) of a reset: zero the destination */
void zero_item(insn_t* d, ulong p, uint l, MEM uint* uop, MEM int* acc) {
  uint nu = d->end - d->bgn, n = (uint)(p / nu), i = n / d->iin, j = n % d->iin;
  uint a = i * d->dfo + j * d->dfi + UOPF(uop[d->bgn + (uint)(p % nu)], DST);
  acc[a * L_ACC + l] = 0;
}

void exec_gemm(insn_t* d, team_t t, BUF_PARAMS) {
  ulong ni = (ulong)d->iout * d->iin, nu = d->end - d->bgn;
  if (ni == 0 || nu == 0) return;
  if (d->reset) {
    for (ulong it = t.w; it < ni * nu * L_ACC; it += t.nw) zero_item(d, it / L_ACC, it % L_ACC, uop, acc);
    return;
  }
  /* items (iteration, chunk of micro-ops, lane): chunks as long as keeps every worker busy */
  ulong want = ni * nu * L_ACC, chunk = clamp((want + t.nw - 1) / t.nw, (ulong)1, nu);
  ulong nch = (nu + chunk - 1) / chunk, total = ni * nch * L_ACC;
  if (total <= 0xFFFFFFFFUL) {   /* 32-bit index arithmetic where it fits: cheaper on GPUs */
    uint ch = (uint)chunk, nc = (uint)nch;
    for (uint it = t.w; it < (uint)total; it += t.nw) {
      uint r = it / L_ACC, c = r % nc, k0 = d->bgn + c * ch;
      gemm_item(d, r / nc, k0, min(k0 + ch, d->end), it % L_ACC, BUFS);
    }
  } else {
    for (ulong it = t.w; it < total; it += t.nw) {
      ulong r = it / L_ACC;
      uint k0 = d->bgn + (uint)(r % nch * chunk);
      gemm_item(d, (uint)(r / nch), k0, min(k0 + (uint)chunk, d->end), it % L_ACC, BUFS);
    }
  }
}

/* destination / source accumulator element of loop position p of an ALU instruction */
uint2 alu_at(insn_t* d, ulong p, MEM uint* uop) {
  uint nu = d->end - d->bgn, n = (uint)(p / nu), i = n / d->iin, j = n % d->iin;
  uint u = uop[d->bgn + (uint)(p % nu)];
  return (uint2)(i * d->dfo + j * d->dfi + UOPF(u, DST), i * d->sfo + j * d->sfi + UOPF(u, SRC));
}

/* An ALU instruction whose checks have passed. With `ordered`, each lane runs its loop
   positions in program order (lanes never interact); otherwise positions run in parallel. */
void exec_alu(insn_t* d, team_t t, MEM uint* uop, MEM int* acc, uint ordered) {
  ulong np = (ulong)d->iout * d->iin * (d->end - d->bgn);
  if (d->reset) {
    for (ulong it = t.w; it < np * L_ACC; it += t.nw) zero_item(d, it / L_ACC, it % L_ACC, uop, acc);
  } else if (!ordered) {
    for (ulong it = t.w; it < np * L_ACC; it += t.nw) {
      uint l = it % L_ACC;
      uint2 as = alu_at(d, it / L_ACC, uop); uint a = as.x, s = as.y;
      acc[a * L_ACC + l] = alu_op(d->aop, acc[a * L_ACC + l], d->use_imm ? d->imm : acc[s * L_ACC + l]);
    }
  } else {
    for (uint l = t.w; l < L_ACC; l += t.nw) {
      for (ulong p = 0; p < np; p++) {
        uint2 as = alu_at(d, p, uop); uint a = as.x, s = as.y;
        acc[a * L_ACC + l] = alu_op(d->aop, acc[a * L_ACC + l], d->use_imm ? d->imm : acc[s * L_ACC + l]);
      }
    }
  }
}

/* Whether a loop's micro-op range lies in the buffer (its loop may then be walked). */
uint range_ok(insn_t* d) { return d->end <= VTA_UOP_DEPTH && d->bgn <= d->end; }

/* 1 if this work-item's share of a MUL's operands (all read before any is written) does not
   fit the multiplier of VTA_ALU_MUL_BITS signed bits. */
uint mul_bad(insn_t* d, team_t t, MEM uint* uop, MEM int* acc) {
  if (d->op != 4 || d->reset || d->aop != 4 || !range_ok(d)) return 0;
  long lim = 1L << (VTA_ALU_MUL_BITS - 1);
  if (d->use_imm) return d->imm < -lim || d->imm >= lim;
  ulong np = (ulong)d->iout * d->iin * (d->end - d->bgn);
  uint bad = 0;
  for (ulong it = t.lid; it < np * L_ACC; it += t.lsz) {
    uint2 as = alu_at(d, it / L_ACC, uop); uint a = as.x, s = as.y;
    if (s < VTA_ACC_DEPTH) {   /* an index outside fails the range check first */
      long y = acc[s * L_ACC + it % L_ACC];
      bad |= y < -lim || y >= lim;
    }
  }
  return bad;
}

/* The checks and the execution of one instruction, given the work-group's check values
   v[0..2] (index maxima, see loop_maxima) and v[3] (mul_bad): 1 if the card stops. */
uint exec_insn(insn_t* d, uint err, uint pc, __global uchar* dram, ulong dram_bytes,
               __global ulong* status, team_t t, BUF_PARAMS, uint* v, uint ordered) {
  if (err) { fail(status, t, err, pc, d->op, 0, 0, 0); return 1; }
  if (d->op == 0) return exec_load(d, pc, dram, dram_bytes, status, t, BUFS);
  if (d->op == 1) return exec_store(d, pc, dram, dram_bytes, status, t, acc);
  if (d->op == 2) {
    if (loop_fails(d, pc, status, t, VTA_INP_DEPTH, v)) return 1;
    exec_gemm(d, t, BUFS);
  } else if (d->op == 4) {
    if (loop_fails(d, pc, status, t, VTA_ACC_DEPTH, v)) return 1;
    if (!d->reset && d->aop > 4) { fail(status, t, E_ALU_OP, pc, d->aop, 0, 0, 0); return 1; }
    if (v[3]) { fail(status, t, E_MUL, pc, VTA_ALU_MUL_BITS, 0, 0, 0); return 1; }
    exec_alu(d, t, uop, acc, ordered);
  } else if (t.leader) {
    status[6] = 1;   /* FINISH: the card reports done (instructions after it still run) */
  }
  return 0;
}

/* ---- the instruction loop --------------------------------------------------------------- */

#if VTA_FPGA

__attribute__((reqd_work_group_size(1, 1, 1)))
__kernel void vta_core(__global uchar* restrict dram, ulong dram_bytes, uint insn_addr,
                       uint insn_count, __global ulong* restrict status) {
  uint uop[VTA_UOP_DEPTH];
  uint inp[(VTA_INP_DEPTH * INP_BYTES + 3) / 4];
  uint wgt[(VTA_WGT_DEPTH * WGT_BYTES + 3) / 4];
  int acc[VTA_ACC_DEPTH * L_ACC];
  /* every run starts from empty buffers, as the reference simulator does */
  for (uint i = 0; i < VTA_UOP_DEPTH; i++) uop[i] = 0;
  for (uint i = 0; i < (VTA_INP_DEPTH * INP_BYTES + 3) / 4; i++) inp[i] = 0;
  for (uint i = 0; i < (VTA_WGT_DEPTH * WGT_BYTES + 3) / 4; i++) wgt[i] = 0;
  for (uint i = 0; i < VTA_ACC_DEPTH * L_ACC; i++) acc[i] = 0;
  __global const ulong* words = (__global const ulong*)(dram + insn_addr);
  team_t t = {0, 1, 0, 1, 1};
  for (uint pc = 0; pc < insn_count; pc++) {
    insn_t d;
    uint err = decode(words[2 * pc], words[2 * pc + 1], &d), v[4] = {0, 0, 0, 0};
    if (!err && (d.op == 2 || d.op == 4)) {
      uint4 mx = loop_maxima(&d, t, uop);
      v[0] = mx.x; v[1] = mx.y; v[2] = mx.z;
      v[3] = mul_bad(&d, t, uop, acc);
    }
    if (exec_insn(&d, err, pc, dram, dram_bytes, status, t, BUFS, v, 1)) return;
  }
}

#else

#define ICACHE 128   /* instructions fetched and decoded together into local memory */

typedef struct {
  insn_t d;
  uint err;
  uint batch;         /* 1: a LOAD that moves data and passes its checks, FINISH, empty move */
  uint buf, lo, hi;   /* a LOAD's target: buffer (0-3, 4: none) and element range */
  uint units, cols, per;   /* a LOAD's work units, its block's columns, units an element */
} slot_t;

/* The LOADs (and FINISH, empty moves) cache[i, end) as one piece of work: their units are
   numbered across all of them and dealt out to the work-items, so every work-item's share is
   its units, not a walk through each instruction. */
void exec_batch(__local slot_t* cache, uint i, uint end, __global const uchar* dram,
                __global ulong* status, team_t t, BUF_PARAMS) {
  uint total = 0;
  for (uint j = i; j < end; j++) {
    total += cache[j].units;
    if (t.leader && cache[j].d.op == 3) status[6] = 1;   /* FINISH */
  }
  uint j = i, before = 0;
  for (uint u = t.w; u < total; u += t.nw) {
    while (u >= before + cache[j].units) before += cache[j++].units;
    __local insn_t* d = &cache[j].d;
    load_unit(d->mem, d->sram, d->dram, d->stride, d->yp0, d->ys, d->xp0, d->xs, cache[j].cols,
              cache[j].per, u - before, dram, BUFS);
  }
}

/* Launch k of a run is launched with global offset k (so the host sets no argument per
   launch) and runs ranges[2k] .. ranges[2k+1]: instructions for vta_run, the GEMM for vta_gemm.

   vta_run interprets its range in steps, each ending with a barrier: a GEMM, ALU or STORE is
   one step; consecutive LOADs into disjoint buffer ranges form one step, so their memory
   latencies overlap. Every step passes the same three barriers whatever it holds (checks,
   their reduction, execution): no barrier depends on the instruction, which keeps the
   work-group function simple for compilers that turn barriers into work-item loops. */
__kernel void vta_run(__global uchar* dram, ulong dram_bytes, uint insn_addr,
                      __global const uint* ranges, __global ulong* status, BUF_PARAMS,
                      __global uint* firstw) {
  __local slot_t cache[ICACHE];
  __local volatile uint slots[5];
  __global const ulong* words = (__global const ulong*)(dram + insn_addr);
  uint k = get_global_offset(0), lid = get_local_id(0), lsz = get_local_size(0);
  uint first = ranges[2 * k], last = ranges[2 * k + 1];
  if (lid == 0) for (uint j = 0; j < 5; j++) slots[j] = 0;   /* a barrier follows below */
  team_t t = {lid, lsz, lid, lsz, lid == 0};
  uint stop = status[0] != 0;   /* an earlier launch of this run stopped with an error */
  for (uint base = first; base < last && !stop; base += ICACHE) {
    uint n = min((uint)ICACHE, last - base);
    SYNC();   /* the previous chunk is done with the cache */
    for (uint i = lid; i < n; i += lsz) {   /* decode in parallel, one instruction each */
      slot_t c;
      c.err = decode(words[2 * (base + i)], words[2 * (base + i) + 1], &c.d);
      insn_t* d = &c.d;
      c.buf = 4; c.lo = 0; c.hi = 0; c.units = 0; c.cols = 1; c.per = 1;
      c.batch = !c.err && (d->op == 3 || (d->op <= 1 && d->xs == 0));
      if (!c.err && d->op == 0 && d->xs && !load_fails(d, dram_bytes)) {
        c.batch = 1;
        c.buf = d->mem == MEM_INP ? 0 : d->mem == MEM_WGT ? 1 : d->mem == MEM_UOP ? 3 : 2;
        c.cols = d->xp0 + d->xs + d->xp1;
        c.per = load_per(d->mem);
        c.lo = d->sram;
        c.hi = d->sram + (d->yp0 + d->ys + d->yp1) * c.cols;
        c.units = (c.hi - c.lo) * c.per;
      }
      cache[i] = c;
    }
    SYNC();
    for (uint i = 0; i < n && !stop;) {
      /* the step: instruction i, or a batch of LOADs (that pass their checks) and FINISH or
         empty moves in which no instruction writes what an earlier one of it writes */
      uint end = i + 1, lo[4], hi[4], used = 0, batch = cache[i].batch;
      if (batch) {
        for (; end <= n; end++) {
          __local slot_t* c = &cache[end - 1];
          if (!c->batch) break;
          if (c->buf < 4) {
            uint b = c->buf, bit = 1u << b;
            if ((used & bit) && c->lo < hi[b] && c->hi > lo[b]) break;
            lo[b] = (used & bit) ? min(lo[b], c->lo) : c->lo;
            hi[b] = (used & bit) ? max(hi[b], c->hi) : c->hi;
            used |= bit;
          }
        }
        end = max(end - 1, i + 1);
      }
      insn_t d = cache[i].d;
      uint loop = !batch && !cache[i].err && (d.op == 2 || d.op == 4);
      ulong np = loop && range_ok(&d) ? (ulong)d.iout * d.iin * (d.end - d.bgn) : 0;
      /* positions of an ALU conflict if one writes what another reads or writes; the common
         case needs no analysis: an immediate operand and one micro-op whose outer step
         clears the inner loop's span, so no two positions share a destination */
      uint plain = d.use_imm && d.end - d.bgn == 1 && (d.iin == 1 || d.dfi > 0) &&
                   (d.iout == 1 || d.dfo >= (d.iin - 1) * d.dfi + 1);
      uint analyse = loop && d.op == 4 && !d.reset && d.aop <= 4 && !plain && lsz > 1 &&
                     np > 1 && np < 0xFFFFFFFFUL;
      /* Phase 1: the checks, reduced into red[] (zero between steps); first[e] := the first
         loop position writing e. */
      __local volatile uint* red = slots;
      if (loop) {
        uint4 mx = loop_maxima(&d, t, uop);
        if (mx.x) atomic_max(red, mx.x);
        if (mx.y) atomic_max(red + 1, mx.y);
        if (mx.z) atomic_max(red + 2, mx.z);
        if (mul_bad(&d, t, uop, acc)) atomic_max(red + 3, 1u);
      }
      if (analyse) {
        for (ulong p = lid; p < np; p += lsz) {
          uint2 as = alu_at(&d, p, uop); uint a = as.x, s = as.y;
          if (a < VTA_ACC_DEPTH) atomic_min(firstw + a, (uint)p);
        }
      }
      SYNC();
      /* phase 2: the conflicts */
      if (analyse) {
        uint h = 0;
        for (ulong p = lid; p < np; p += lsz) {
          uint2 as = alu_at(&d, p, uop); uint a = as.x, s = as.y;
          if (a < VTA_ACC_DEPTH && s < VTA_ACC_DEPTH) {
            uint fs = firstw[s];
            h |= firstw[a] != (uint)p || (!d.use_imm && fs != 0xFFFFFFFFu && fs != (uint)p);
          }
        }
        if (h) atomic_max(red + 4, 1u);
      }
      SYNC();
      /* phase 3: every work-item has the same verdicts; run the step */
      uint v[5];
      for (uint j = 0; j < 5; j++) v[j] = red[j];
      SYNC();
      if (lid == 0) for (uint j = 0; j < 5; j++) red[j] = 0;
      if (analyse) {
        for (ulong p = lid; p < np; p += lsz) {
          uint2 as = alu_at(&d, p, uop); uint a = as.x, s = as.y;
          if (a < VTA_ACC_DEPTH) firstw[a] = 0xFFFFFFFFu;
        }
      }
      if (batch) {
        exec_batch(cache, i, end, dram, status, t, BUFS);
      } else {
        uint ordered = analyse ? v[4] : !plain;
        stop = exec_insn(&d, cache[i].err, base + i, dram, dram_bytes, status, t, BUFS, v,
                         ordered);
      }
      SYNC();
      i = end;
    }
  }
}

__kernel void vta_gemm(__global uchar* dram, uint insn_addr, __global const uint* ranges,
                       __global ulong* status, BUF_PARAMS) {
  __local volatile uint slots[3];
  __global const ulong* words = (__global const ulong*)(dram + insn_addr);
  uint k = get_global_offset(0), pc = ranges[2 * k], w = get_global_id(0) - k;
  uint lid = get_local_id(0), lsz = get_local_size(0);
  team_t t = {w, get_global_size(0), lid, lsz, w == 0};
  insn_t d;
  /* every work-group checks the whole instruction, so all of them agree on stopping; no
     work-item returns before the reduction, which all of them must reach */
  uint stop = status[0] != 0, err = 0;
  if (lid == 0) for (uint j = 0; j < 3; j++) slots[j] = 0;
  SYNC();
  if (!stop) {
    err = decode(words[2 * pc], words[2 * pc + 1], &d);
    if (!err) {
      uint4 m = loop_maxima(&d, t, uop);
      if (m.x) atomic_max(slots, m.x);
      if (m.y) atomic_max(slots + 1, m.y);
      if (m.z) atomic_max(slots + 2, m.z);
    }
  }
  SYNC();
  if (stop) return;
  uint mx[3] = {slots[0], slots[1], slots[2]};
  if (err) { fail(status, t, err, pc, d.op, 0, 0, 0); return; }
  if (loop_fails(&d, pc, status, t, VTA_INP_DEPTH, mx)) return;
  exec_gemm(&d, t, BUFS);
}

#endif
