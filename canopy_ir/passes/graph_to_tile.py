"""`graph-to-tile`: cut an integer graph into tiles that fit the accelerator's buffers.

Takes: an integer graph module (after `import-qdq`): `@main` whose arguments feed `graph.quantize`
ops, whose results come from `graph.dequantize`, and whose body is int8 `graph.conv2d`/`graph.dense`
each followed by `graph.requantize` (reshapes between a convolution and a dense layer allowed).
Produces: a tile module: one `tile.tensor` per DRAM tensor (packed layouts, `vta-isa.md` §5) and one
`tile.kernel` per layer. Each kernel walks output tiles (batch block × output-channel blocks ×
output rows, full width) and reduction chunks (input-channel blocks); the tile sizes minimise
DRAM traffic under the buffer capacities of the `HwConfig` and are recorded on the kernel.

A Flatten feeding a dense layer costs nothing: the dense weights are permuted to read the packed
activation in place.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.builder import ImplicitBuilder
from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import (
    DenseArrayBase,
    DictionaryAttr,
    FloatAttr,
    IntegerAttr,
    ModuleOp,
    StringAttr,
    TensorType,
    f64,
    i8,
    i32,
    i64,
)
from xdsl.ir import SSAValue
from xdsl.passes import ModulePass

from canopy_ir.dialects import graph, tile
from canopy_ir.dialects.kvformat import KeyValueFormat
from canopy_ir.errors import LoweringError
from canopy_ir.hw.config import HwConfig
from canopy_ir.hw.isa import AluOp
from canopy_ir.hw.layout import (
    activation_grid,
    ceil_div,
    flatten_permuted_weight,
    pack_bias,
    pack_weight,
    packed_activation_shape,
)
from canopy_ir.ir import module_config, pool_of, set_module_config, string_list

PAD_MAX = 15  # 4-bit pad fields of LOAD
BIAS_LOADS_MAX = 2  # up to this many output-channel blocks, load biases per block


@dataclass(frozen=True)
class ConvGeometry:
    """A convolution over packed element grids (dense layers are 1×1 convolutions on 1×1 images)."""

    nb: int
    cib: int
    h: int
    w: int
    cob: int
    oh: int
    ow: int
    kh: int = 1
    kw: int = 1
    sh: int = 1
    sw: int = 1
    pt: int = 0
    pl: int = 0
    dh: int = 1
    dw: int = 1

    def rows_in(self, toh: int) -> int:
        return (toh - 1) * self.sh + (self.kh - 1) * self.dh + 1

    @property
    def x_pad_1(self) -> int:
        need = (self.ow - 1) * self.sw + (self.kw - 1) * self.dw + 1
        return max(0, need - self.pl - self.w)

    @property
    def wp(self) -> int:
        """Width of an input tile row in the buffer, padding included."""
        return self.pl + self.w + self.x_pad_1


@dataclass(frozen=True)
class Tiling:
    tob: int  # output-channel blocks per tile
    toh: int  # output rows per tile
    tib: int  # input-channel blocks per reduction chunk
    dram_bytes: int
    tiles: int = 1
    buffers: int = 1  # 2: tiles alternate between two copies of every buffer (double buffering)


def choose_tiling(
    g: ConvGeometry,
    cfg: HwConfig,
    layer: str,
    requant: Requant | None = None,
) -> Tiling:
    """The tiling with the fewest estimated cycles (DRAM transfers at the bus width plus a
    latency per load, GEMM micro-ops at one per cycle; inputs re-read per output-channel chunk,
    weights per row chunk), then the least DRAM traffic. Double buffering — half-size tiles that
    alternate between two copies of the buffers, so the next tile's loads overlap this tile's
    GEMMs — is taken when the estimate saves at least 10% of the cycles."""
    requant = requant or Requant(0, 0, -128, 127)
    single = _best_tiling(g, cfg, requant, 1)
    if single is None:
        raise LoweringError(
            f"one output row ({g.ow} elements, input rows of {g.wp} elements × {g.rows_in(1)}) "
            f"does not fit the on-chip buffers (inp {cfg.depth('inp')}, acc "
            f"{cfg.depth('acc')}); width tiling is not implemented yet",
            f"layer '{layer}'",
        )
    double = _best_tiling(g, cfg, requant, 2)
    # smaller tiles cost instructions and DRAM traffic: take them for a clear gain only
    if double is not None and double[1].tiles >= 2 and double[0][0] < 0.9 * single[0][0]:
        return double[1]
    return single[1]


def _best_tiling(g: ConvGeometry, cfg: HwConfig, requant: Requant, buffers: int):
    """(estimated cycles, DRAM bytes), Tiling of the fastest tiling with `buffers` copies."""
    taps = g.kh * g.kw
    copies = 1 + requant.scratch_tiles  # accumulator copies of the tile the requantization needs
    slots = 1 + requant.pieces  # per-block accumulator slots: bias, multiplier pieces
    alu_uops = 3 * requant.pieces + 12
    d_inp, d_wgt, d_acc, d_uop = (
        cfg.depth(b) // buffers for b in ("inp", "wgt", "acc", "uop")
    )
    e_inp, e_wgt = cfg.elem_bytes("inp"), cfg.elem_bytes("wgt")
    tib = next(
        (
            t
            for t in range(g.cib, 0, -1)
            if t * g.rows_in(1) * g.wp <= d_inp and t * taps <= d_wgt and t * taps + 2 <= d_uop
        ),
        None,
    )
    if tib is None or g.ow * copies + slots > d_acc:
        return None
    best = None
    for tob in range(1, g.cob + 1):
        if tob * tib * taps > d_wgt or tob * tib * taps + (2 + slots) * tob + alu_uops > d_uop:
            break
        for toh in range(1, g.oh + 1):
            if (
                tob * toh * g.ow * copies + slots * tob > d_acc
                or tib * g.rows_in(toh) * g.wp > d_inp
            ):
                break
            tiles = g.nb * ceil_div(g.cob, tob) * ceil_div(g.oh, toh)
            load_bytes = g.cib * g.rows_in(toh) * g.w * e_inp + tob * g.cib * taps * e_wgt
            # estimated cycles of a tile (the cycle model's costs): loads, then GEMMs; with two
            # buffers the next tile's loads run while this one computes
            load = load_bytes / cfg.bus_bytes + cfg.DRAM_LATENCY_CYCLES * (g.cib + 1)
            compute = tob * g.cib * taps * toh * g.ow
            per_tile = load + compute if buffers == 1 else max(load, compute)
            key = (tiles * per_tile + (load if buffers == 2 else 0), tiles * load_bytes)
            if best is None or key < best[0]:
                best = (key, Tiling(tob, toh, tib, tiles * load_bytes, tiles, buffers))
    return best if best else None


def _kv(op_cls, operands, **values):
    return op_cls.create(
        operands=operands, properties=KeyValueFormat.kv_properties(op_cls.KV_FIELDS, values)
    )


def _loop(**kw) -> dict:
    base = dict(
        iter_out=1, iter_in=1, dst_factor_out=0, dst_factor_in=0, src_factor_out=0, src_factor_in=0
    )
    base.update(kw)
    return base


@dataclass(frozen=True)
class Requant:
    """graph.requantize's parameters, as the tile program needs them."""

    shift: int
    zero_point: int
    lo: int
    hi: int
    pre_shift: int = 0
    multipliers: tuple[int, ...] = (1,)  # one, or one per output channel
    piece_bits: int = 7  # multipliers are applied in pieces this wide (ALU MUL operand)

    @property
    def per_channel(self) -> bool:
        return len(self.multipliers) > 1

    @property
    def pieces(self) -> int:
        """How many piece_bits-wide pieces the largest multiplier needs (0: no multiply)."""
        largest = max(self.multipliers)
        return 0 if largest == 1 else -(-largest.bit_length() // self.piece_bits)

    def piece(self, j: int) -> tuple[int, ...]:
        """Piece j (least significant first) of every multiplier."""
        mask = (1 << self.piece_bits) - 1
        return tuple((m >> (j * self.piece_bits)) & mask for m in self.multipliers)

    @property
    def scratch_tiles(self) -> int:
        """Tile-sized accumulator regions the multiply needs besides the tile itself."""
        return 0 if self.pieces <= 1 else (1 if self.pieces == 2 else 2)


def rounding_shift_steps(shift: int) -> list[tuple[AluOp, int]]:
    """ALU immediates for (x + 2^(shift-1)) >> shift (x << -shift when shift < 0). Shifts over
    15 first drop low bits, so that the rounding constant fits the 16-bit immediate:
    floor((x + 2^(s-1)) / 2^s) == floor((floor(x / 2^(s-15)) + 2^14) / 2^15)."""
    if shift > 15:
        return [(AluOp.SHR, shift - 15), (AluOp.ADD, 1 << 14), (AluOp.SHR, 15)]
    if shift > 0:
        return [(AluOp.ADD, 1 << (shift - 1)), (AluOp.SHR, shift)]
    if shift < 0:
        return [(AluOp.SHR, shift)]
    return []


def requant_steps(shift: int, zero_point: int, lo: int, hi: int) -> list[tuple[AluOp, int]]:
    """ALU immediates for the end of graph.requantize: the rounding shift, the zero point, then
    the clip."""
    steps = rounding_shift_steps(shift)
    if zero_point:
        steps.append((AluOp.ADD, zero_point))
    return steps + [(AluOp.MAX, lo), (AluOp.MIN, hi)]


def _broadcast_per_block(
    acc,
    tensor: str,
    slot: int,
    ob0: int,
    tob: int,
    plane: int,
    region: int,
    op: AluOp,
    out_loops: dict,
) -> None:
    """Load one accumulator element per output-channel block (biases, multiplier pieces) into
    acc[slot:slot + tob], then apply `op` with each block's element to that block of the tile at
    `region`: one LOAD and one ALU instruction, whatever the number of blocks."""
    _kv(
        tile.LoadOp,
        [acc],
        offset=slot,
        tensor=tensor,
        dram_offset=ob0,
        y_size=1,
        x_size=tob,
        x_stride=tob,
    )
    _kv(
        tile.AluOp,
        [acc],
        op=int(op),
        **_loop(**out_loops),
        uops=[v for ob in range(tob) for v in (region + ob * plane, slot + ob)],
    )


def _emit_multiply(rq: Requant, tensors, acc, tob, plane, ob0, out_loops, everything, g) -> int:
    """acc tile := floor(t * M / 2^((k-1)p)) for multipliers M split into k pieces of p bits,
    by Horner's scheme: v = t*M0 >> p; v = (v + t*M1) >> p; ...; t*M(k-1) + v. Each floor shift
    composes exactly, every product stays inside 32 bits (|t| < 2^23, pieces < 2^p), and each
    operand fits the ALU's multiplier. Returns the bits already shifted out, (k-1)p."""
    k, p = rq.pieces, rq.piece_bits
    if k == 0:
        return 0
    tile_elems = tob * plane
    slots = tile_elems * (1 + rq.scratch_tiles) + tob  # after the tile, scratch and biases

    def multiply(region: int, j: int) -> None:
        factors = rq.piece(j)
        if rq.per_channel:  # piece j of each block's multipliers, broadcast over the block
            slot = slots + j * tob
            _broadcast_per_block(
                acc, tensors[f"multipliers{j}"], slot, ob0, tob, plane, region, AluOp.MUL, out_loops
            )
        elif factors[0] != 1:
            _kv(
                tile.AluOp,
                [acc],
                op=int(AluOp.MUL),
                use_imm=1,
                imm=factors[0],
                **everything,
                uops=[region, 0],
            )

    def alu(op: AluOp, region: int, imm: int | None = None, src: int | None = None) -> None:
        if imm is not None:
            _kv(tile.AluOp, [acc], op=int(op), use_imm=1, imm=imm, **everything, uops=[region, 0])
        else:
            _kv(
                tile.AluOp,
                [acc],
                op=int(op),
                **{**everything, "src_factor_out": g.ow, "src_factor_in": 1},
                uops=[region, src],
            )

    def copy_tile(region: int) -> None:  # region := tile (x * 0 = 0, then + tile)
        alu(AluOp.MUL, region, imm=0)
        alu(AluOp.ADD, region, src=0)

    if k == 1:
        multiply(0, 0)
        return 0
    scratch, second = tile_elems, 2 * tile_elems
    copy_tile(scratch)
    multiply(scratch, 0)
    alu(AluOp.SHR, scratch, imm=p)
    for j in range(1, k - 1):
        copy_tile(second)
        multiply(second, j)
        alu(AluOp.ADD, scratch, src=second)
        alu(AluOp.SHR, scratch, imm=p)
    multiply(0, k - 1)
    alu(AluOp.ADD, 0, src=scratch)
    return (k - 1) * p


def emit_conv_kernel(
    layer: str,
    g: ConvGeometry,
    t: Tiling,
    tensors: dict[str, str],
    requant: tuple[int, int, int, int],
    has_bias: bool,
) -> tile.KernelOp:
    """The tile program of one quantized convolution (see the module docstring)."""
    kernel = tile.KernelOp(layer)
    kernel.attributes["tiling"] = DictionaryAttr(
        {
            "tob": IntegerAttr(t.tob, i64),
            "toh": IntegerAttr(t.toh, i64),
            "tib": IntegerAttr(t.tib, i64),
            "dram_bytes": IntegerAttr(t.dram_bytes, i64),
            "buffers": IntegerAttr(t.buffers, i64),
        }
    )
    taps = g.kh * g.kw
    with ImplicitBuilder(kernel.body):
        # + the requantization's scratch copies of the tile, then per-block slots for the biases
        # and the multiplier pieces
        acc_size = t.tob * t.toh * g.ow * (1 + requant.scratch_tiles) + t.tob * (1 + requant.pieces)
        buffers = [
            (
                tile.AllocOp("acc", acc_size).buf,
                tile.AllocOp("inp", t.tib * g.rows_in(t.toh) * g.wp).buf,
                tile.AllocOp("wgt", t.tob * t.tib * taps).buf,
            )
            for _ in range(t.buffers)
        ]
        k = 0
        for nb in range(g.nb):
            for ob0 in range(0, g.cob, t.tob):
                tob = min(t.tob, g.cob - ob0)
                for oh0 in range(0, g.oh, t.toh):
                    toh = min(t.toh, g.oh - oh0)
                    acc, inp, wgt = buffers[k % t.buffers]  # alternate copies: loads overlap
                    k += 1
                    _emit_tile(
                        g, t, tensors, requant, has_bias, acc, inp, wgt, nb, ob0, tob, oh0, toh
                    )
    return kernel


def _emit_tile(g, t, tensors, requant, has_bias, acc, inp, wgt, nb, ob0, tob, oh0, toh) -> None:
    taps = g.kh * g.kw
    plane = toh * g.ow  # accumulator elements per output-channel block in this tile
    out_loops = dict(iter_out=toh, iter_in=g.ow, dst_factor_out=g.ow, dst_factor_in=1)
    if has_bias and tob <= BIAS_LOADS_MAX:
        for ob in range(tob):  # each block's bias repeated over the tile by a stride-0 load
            _kv(
                tile.LoadOp,
                [acc],
                offset=ob * plane,
                tensor=tensors["bias"],
                dram_offset=ob0 + ob,
                y_size=plane,
                x_size=1,
                x_stride=0,
            )
    else:
        _kv(
            tile.GemmOp,
            [acc, inp, wgt],
            reset=1,
            **_loop(**out_loops),
            uops=[v for ob in range(tob) for v in (ob * plane, 0, 0)],
        )
        if has_bias:  # biases once, beside the tile, then one broadcasting add
            _broadcast_per_block(
                acc, tensors["bias"], tob * plane, ob0, tob, plane, 0, AluOp.ADD, out_loops
            )
    ih_start = oh0 * g.sh - g.pt
    rows_in = g.rows_in(toh)
    ih_end = ih_start + rows_in
    y0, y1 = max(0, ih_start), min(g.h, ih_end)
    y_pad_0, y_pad_1 = y0 - ih_start, ih_end - max(y1, y0)
    for ib0 in range(0, g.cib, t.tib):
        tib = min(t.tib, g.cib - ib0)
        for ib in range(tib):
            _kv(
                tile.LoadOp,
                [inp],
                offset=ib * rows_in * g.wp,
                tensor=tensors["input"],
                dram_offset=((nb * g.cib + ib0 + ib) * g.h + y0) * g.w,
                y_size=max(0, y1 - y0),
                x_size=g.w,
                x_stride=g.w,
                y_pad_0=y_pad_0,
                y_pad_1=y_pad_1,
                x_pad_0=g.pl,
                x_pad_1=g.x_pad_1,
            )
        _kv(
            tile.LoadOp,
            [wgt],
            offset=0,
            tensor=tensors["weight"],
            dram_offset=(ob0 * g.cib + ib0) * taps,
            y_size=tob,
            x_size=tib * taps,
            x_stride=g.cib * taps,
        )
        uops = []
        for ob in range(tob):
            for ib in range(tib):
                for kh in range(g.kh):
                    for kw in range(g.kw):
                        uops += [
                            ob * plane,
                            ib * rows_in * g.wp + kh * g.dh * g.wp + kw * g.dw,
                            ((ob * tib + ib) * g.kh + kh) * g.kw + kw,
                        ]
        _kv(
            tile.GemmOp,
            [acc, inp, wgt],
            **_loop(**out_loops, src_factor_out=g.sh * g.wp, src_factor_in=g.sw),
            uops=uops,
        )
    everything = _loop(iter_out=tob * toh, iter_in=g.ow, dst_factor_out=g.ow, dst_factor_in=1)

    def alu_imm(op: AluOp, imm: int) -> None:
        _kv(tile.AluOp, [acc], op=int(op), use_imm=1, imm=imm, **everything, uops=[0, 0])

    for op, imm in rounding_shift_steps(requant.pre_shift):
        alu_imm(op, imm)
    shift = requant.shift - _emit_multiply(
        requant, tensors, acc, tob, plane, ob0, out_loops, everything, g
    )
    for op, imm in requant_steps(shift, requant.zero_point, requant.lo, requant.hi):
        alu_imm(op, imm)
    # one 2-D store: row y is output-channel block ob0 + y, its plane strided by OH x OW in DRAM
    _kv(
        tile.StoreOp,
        [acc],
        offset=0,
        tensor=tensors["output"],
        dram_offset=((nb * g.cob + ob0) * g.oh + oh0) * g.ow,
        y_size=tob,
        x_size=plane,
        x_stride=g.oh * g.ow,
    )


class _Lowering:
    def __init__(self, module: ModuleOp, cfg: HwConfig):
        self.module, self.cfg, self.pool = module, cfg, pool_of(module)
        self.decls: list[tile.TensorOp] = []
        self.kernels: list[tile.KernelOp] = []
        self.tensor_of: dict[SSAValue, str] = {}
        self.names: set[str] = set()

    def declare(self, name: str, shape, elem, role: str, **attrs) -> str:
        unique, n = name, 1
        while unique in self.names:
            unique, n = f"{name}.{n}", n + 1
        self.names.add(unique)
        decl = tile.TensorOp.create(
            properties={
                "sym_name": StringAttr(unique),
                "type": TensorType(elem, shape),
                "role": StringAttr(role),
            }
        )
        for key, value in attrs.items():
            if isinstance(value, str):
                decl.attributes[key] = StringAttr(value)
            elif isinstance(value, float):
                decl.attributes[key] = FloatAttr(value, f64)
            elif isinstance(value, int):
                decl.attributes[key] = IntegerAttr(value, i64)
            else:
                decl.attributes[key] = DenseArrayBase.from_list(i64, list(value))
        self.decls.append(decl)
        return unique

    def activation(self, value: SSAValue, name: str, role: str = "scratch", **attrs) -> str:
        if value not in self.tensor_of:
            shape = graph.shape_of(value)
            self.tensor_of[value] = self.declare(
                name,
                packed_activation_shape(shape, self.cfg),
                i8,
                role,
                logical_shape=shape,
                **attrs,
            )
        return self.tensor_of[value]

    def weight(self, name: str, array: np.ndarray, elem) -> str:
        key = self.pool.add(f"{name}.packed", array)
        return self.declare(key, array.shape, elem, "weight", weight=key)

    def run(self) -> None:
        cfg = self.cfg
        if cfg.block_in != cfg.block_out:
            raise LoweringError("layers chain through DRAM only when LOG_BLOCK_IN == LOG_BLOCK_OUT")
        main = next((op for op in self.module.ops if isinstance(op, func.FuncOp)), None)
        if main is None:
            raise LoweringError("graph-to-tile expects a graph module with func.func @main")
        in_names = string_list(self.module, "canopy.inputs")
        out_names = string_list(self.module, "canopy.outputs")
        for i, arg in enumerate(main.args):
            users = [u.operation for u in arg.uses]
            if len(users) != 1 or not isinstance(users[0], graph.QuantizeOp):
                raise LoweringError(
                    f"input {i} must feed exactly one graph.quantize (run import-qdq "
                    "on a QDQ model first)"
                )
            q = users[0]
            name = in_names[i] if i < len(in_names) else f"input{i}"
            self.activation(q.output, name, "input", **q.params, onnx_name=name)
        ret = main.body.block.last_op
        assert isinstance(ret, func.ReturnOp)
        for i, value in enumerate(ret.operands):
            dq = value.owner
            name = out_names[i] if i < len(out_names) else f"output{i}"
            if not isinstance(dq, graph.DequantizeOp):
                raise LoweringError(f"output '{name}' must come from graph.dequantize")
            self.activation(dq.input, name, "output", **dq.params, onnx_name=name)
        for op in main.body.block.ops:
            self.lower(op)
        new_body = [*self.decls, *self.kernels]
        main.detach()
        main.erase()
        self.module.body.block.add_ops(new_body)
        set_module_config(self.module, cfg)

    def lower(self, op) -> None:
        if isinstance(op, graph.ConstOp | graph.QuantizeOp | graph.DequantizeOp | func.ReturnOp):
            return  # constants are packed by their users; (de)quantization runs on the host
        if isinstance(op, graph.ReshapeOp):
            if all(isinstance(u.operation, graph.DenseOp) for u in op.output.uses):
                return  # folded into the dense layers' weights
        if isinstance(op, graph.RequantizeOp) and isinstance(
            op.input.owner, graph.Conv2dOp | graph.DenseOp
        ):
            return  # lowered with its producer
        if isinstance(op, graph.Conv2dOp | graph.DenseOp) and graph.elem_of(op.input) == i8:
            users = [u.operation for u in op.output.uses]
            if len(users) == 1 and isinstance(users[0], graph.RequantizeOp):
                return self.lower_linear(op, users[0])
            raise LoweringError(
                "an int32 result must be requantized to int8 by its only user",
                f"node '{op.node_name}'",
            )
        raise LoweringError(
            f"{op.name} has no accelerator lowering yet"
            + (
                ""
                if not isinstance(op, graph.GraphOp)
                else " (float ops need a QDQ model; see import-qdq)"
            ),
            f"node '{getattr(op, 'node_name', op.name)}'",
        )

    def lower_linear(self, op, rq: graph.RequantizeOp) -> None:
        cfg, layer = self.cfg, op.node_name
        if not isinstance(op.weight.owner, graph.ConstOp):
            raise LoweringError("weights must be constants", f"node '{layer}'")
        w = self.pool[op.weight.owner.weight.data]
        x = op.input
        if isinstance(op, graph.Conv2dOp):
            if op.group.value.data != 1:
                raise LoweringError("grouped convolution is not lowered yet", f"node '{layer}'")
            n, c, h, wd = graph.shape_of(x)
            o, _, kh, kw = w.shape
            _, _, oh, ow = graph.shape_of(op.output)
            (sh, sw), (pt, pl, pb, pr), (dh, dw) = (
                op.strides.get_values(),
                op.pads.get_values(),
                op.dilations.get_values(),
            )
            if max(pt, pl, pb, pr) > PAD_MAX:
                raise LoweringError(
                    f"padding over {PAD_MAX} does not fit LOAD's pad fields", f"node '{layer}'"
                )
            nb, cib, _, _ = activation_grid((n, c, h, wd), cfg)
            geometry = ConvGeometry(
                nb, cib, h, wd, ceil_div(o, cfg.block_out), oh, ow, kh, kw, sh, sw, pt, pl, dh, dw
            )
            in_tensor = self.activation(x, f"{layer}.in")
            packed_w = pack_weight(w, cfg)
        else:
            o = w.shape[0]
            source = x.owner
            if isinstance(source, graph.ReshapeOp) and len(graph.shape_of(source.input)) == 4:
                n, c, h, wd = graph.shape_of(source.input)
                w = flatten_permuted_weight(w, (c, h, wd), cfg)
                x = source.input
            n = graph.shape_of(x)[0]
            in_tensor = self.activation(x, f"{layer}.in")
            k = w.shape[1]
            geometry = ConvGeometry(
                ceil_div(n, cfg.batch),
                ceil_div(k, cfg.block_in),
                1,
                1,
                ceil_div(o, cfg.block_out),
                1,
                1,
            )
            packed_w = pack_weight(w.reshape(o, k, 1, 1), cfg)
        tensors = {
            "input": in_tensor,
            "output": self.activation(rq.output, f"{layer}.out"),
            "weight": self.weight(op.weight.owner.weight.data, packed_w, i8),
        }
        has_bias = op.bias is not None
        if has_bias:
            bias = self.pool[op.bias.owner.weight.data]
            tensors["bias"] = self.weight(op.bias.owner.weight.data, pack_bias(bias, cfg), i32)
        shift, zero_point, lo, hi, pre_shift, multipliers = rq.params
        requant = Requant(
            shift, zero_point, lo, hi, pre_shift, multipliers, min(7, cfg.ALU_MUL_BITS - 1)
        )
        if requant.per_channel:
            for j in range(requant.pieces):
                piece = np.asarray(requant.piece(j), np.int32)
                tensors[f"multipliers{j}"] = self.weight(
                    f"{layer}.multipliers{j}", pack_bias(piece, cfg), i32
                )
        tiling = choose_tiling(geometry, cfg, layer, requant)
        self.kernels.append(emit_conv_kernel(layer, geometry, tiling, tensors, requant, has_bias))


@dataclass(frozen=True)
class GraphToTilePass(ModulePass):
    name = "graph-to-tile"
    config: str = ""  # path of a vta_config.json; default: the module's config or VTA's default

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        cfg = HwConfig.load(self.config) if self.config else module_config(op)
        _Lowering(op, cfg).run()
        op.verify()
