"""The `graph-to-tile` pass: walks the graph module, declares a `tile.tensor` per DRAM tensor
(activations packed, weights packed into the weight pool), and lowers each accelerator op to a
`tile.kernel`: int8 convolutions and dense layers with their requantization here (tiling.py
chooses the tile sizes, emitter.py emits the program); grouped and depthwise convolutions
(grouped.py), max and average pooling (pool.py), residual adds and rescales (eltwise.py),
per-channel affine maps (affine.py), channel concatenation and constant padding (placement.py).
Layout-only reshapes share their input's DRAM tensor, and concatenation inputs whose producers
can store them in place are views of the concatenation (placement.py), so neither moves data."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import (
    ArrayAttr,
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
from xdsl.ir import BlockArgument, SSAValue
from xdsl.passes import ModulePass

from canopy_ir.dialects import graph, host, tile
from canopy_ir.errors import LoweringError
from canopy_ir.hw.config import HwConfig
from canopy_ir.hw.layout import (
    activation_grid,
    ceil_div,
    flatten_permuted_weight,
    pack_bias,
    pack_weight,
    packed_activation_shape,
)
from canopy_ir.ir import module_config, pool_of, set_module_config, string_list
from canopy_ir.passes.graph_to_tile.affine import lower_affine
from canopy_ir.passes.graph_to_tile.eltwise import lower_eltwise
from canopy_ir.passes.graph_to_tile.emitter import KernelEmitter
from canopy_ir.passes.graph_to_tile.grouped import lower_grouped
from canopy_ir.passes.graph_to_tile.kit import diagonal_elements
from canopy_ir.passes.graph_to_tile.placement import (
    apply_views,
    lower_concat,
    lower_pad,
    plan_views,
)
from canopy_ir.passes.graph_to_tile.pool import lower_avg_pool, lower_max_pool
from canopy_ir.passes.graph_to_tile.support import (
    ACCELERATOR,
    PAD_MAX,
    REASON,
    annotate,
    layout_reshape,
    target_of,
)
from canopy_ir.passes.graph_to_tile.tiling import ConvGeometry, choose_tiling
from canopy_ir.quant import Requant, piece_bits


class _Lowering:
    def __init__(self, module: ModuleOp, cfg: HwConfig):
        self.module, self.cfg, self.pool = module, cfg, pool_of(module)
        self.decls: list[tile.TensorOp] = []
        self.kernels: list[tile.KernelOp | host.HostOp] = []
        self.tensor_of: dict[SSAValue, str] = {}  # card tensors
        self.host_decls: list[host.TensorOp] = []
        self.host_of: dict[SSAValue, str] = {}  # host tensors
        self.names: set[str] = set()
        self.identity_tensor: str | None = None
        self.shares: dict[SSAValue, SSAValue] = {}
        self.views: dict[str, tuple[str, int]] = {}  # a view: (tensor, element offset)

    def unique(self, name: str) -> str:
        unique, n = name, 1
        while unique in self.names:
            unique, n = f"{name}.{n}", n + 1
        self.names.add(unique)
        return unique

    def declare(self, name: str, shape, elem, role: str, **attrs) -> str:
        unique = self.unique(name)
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
        shared = self.root_of(value)  # layout-only reshapes: one DRAM tensor for all sides
        if value not in self.tensor_of and shared in self.tensor_of:
            self.tensor_of[value] = self.tensor_of[shared]
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
            self.tensor_of[shared] = self.tensor_of[value]
        return self.tensor_of[value]

    def root_of(self, value: SSAValue) -> SSAValue:
        while value in self.shares:
            value = self.shares[value]
        return value

    def weight(self, name: str, array: np.ndarray, elem) -> str:
        key = self.pool.add(f"{name}.packed", array)
        return self.declare(key, array.shape, elem, "weight", weight=key)

    def identity(self) -> str:
        """The weight element I (BO × BI) by which a GEMM copies int8 into the accumulators."""
        if self.identity_tensor is None:
            self.identity_tensor = self.weight(
                "canopy.identity", diagonal_elements([1], self.cfg), i8
            )
        return self.identity_tensor

    def run(self) -> None:
        cfg = self.cfg
        if cfg.block_in != cfg.block_out:
            raise LoweringError("layers chain through DRAM only when LOG_BLOCK_IN == LOG_BLOCK_OUT")
        main = next((op for op in self.module.ops if isinstance(op, func.FuncOp)), None)
        if main is None:
            raise LoweringError("graph-to-tile expects a graph module with func.func @main")
        ops = [
            op for op in main.body.block.ops if not isinstance(op, func.ReturnOp | graph.ConstOp)
        ]
        if any(target_of(op) is None for op in ops):
            annotate(self.module)  # not partitioned yet: the default assignment
        self.on_card = {op for op in ops if target_of(op) == ACCELERATOR}
        self.shares: dict[SSAValue, SSAValue] = {}  # value -> a value with the same tensor
        for op in ops:
            if isinstance(op, graph.ReshapeOp) and op in self.on_card and layout_reshape(op):
                a, b = self.root_of(op.input), self.root_of(op.output)
                if a is not b:
                    self.shares[b] = a
        in_names = string_list(self.module, "canopy.inputs")
        out_names = string_list(self.module, "canopy.outputs")
        self.input_name = {
            arg: in_names[i] if i < len(in_names) else f"input{i}"
            for i, arg in enumerate(main.args)
        }
        ret = main.body.block.last_op
        assert isinstance(ret, func.ReturnOp)
        self.returned = {}
        for i, value in enumerate(ret.operands):
            self.returned.setdefault(value, out_names[i] if i < len(out_names) else f"output{i}")
        for arg in main.args:
            for use in arg.uses:
                if use.operation in self.on_card:
                    raise LoweringError(
                        "a model input feeds the accelerator without quantization; "
                        "quantize it (QDQ) or run that layer on the host",
                        f"input '{self.input_name[arg]}'",
                    )
        # The model's boundary: a quantized input the card reads, a card result dequantized.
        self.boundary: set = set()
        for op in ops:
            if isinstance(op, graph.QuantizeOp) and isinstance(op.input, BlockArgument):
                if any(u.operation in self.on_card for u in op.output.uses):
                    name = self.input_name[op.input]
                    self.activation(op.output, name, "input", **op.params, onnx_name=name)
                    self.boundary.add(op)
            elif isinstance(op, graph.DequantizeOp) and op.output in self.returned:
                if op.input.owner in self.on_card:
                    name = self.returned[op.output]
                    self.activation(op.input, name, "output", **op.params, onnx_name=name)
                    self.boundary.add(op)
        plan_views(self, ops)
        for op in ops:
            if op in self.boundary:
                continue
            if op in self.on_card:
                self.lower(op)
            else:
                self.host(op)
        apply_views(self)
        for value, name in self.returned.items():
            if not isinstance(value.owner, graph.DequantizeOp) or value.owner not in self.boundary:
                self.host_tensor(value, name, "output", onnx_name=name)
        new_body = [*self.decls, *self.host_decls, *self.kernels]
        main.detach()
        main.erase()
        self.module.body.block.add_ops(new_body)
        set_module_config(self.module, cfg)

    def lower(self, op) -> None:
        """Lower an op `partition` assigned to the accelerator."""
        if isinstance(op, graph.ReshapeOp | graph.RequantizeOp):
            return  # folded into the dense layers' weights / lowered with its producer
        if isinstance(op, graph.Conv2dOp | graph.DenseOp):
            users = [u.operation for u in op.output.uses]
            if isinstance(op, graph.Conv2dOp) and op.group.value.data != 1:
                return lower_grouped(self, op, users[0])
            return self.lower_linear(op, users[0])
        lowering = {
            graph.PoolOp: lower_max_pool,
            graph.QAvgPoolOp: lower_avg_pool,
            graph.QAddOp: lower_eltwise,
            graph.RescaleOp: lower_eltwise,
            graph.QAffineOp: lower_affine,
            graph.ConcatOp: lower_concat,
            graph.PadOp: lower_pad,
        }.get(type(op))
        if lowering is not None:
            return lowering(self, op)
        raise LoweringError(f"{op.name} has no accelerator lowering", f"node '{op.node_name}'")

    # --- the host's part ----------------------------------------------------------------------
    def host_tensor(self, value: SSAValue, name: str, role: str, **attrs) -> str:
        """The host tensor of `value` (declared once)."""
        if value in self.host_of:
            return self.host_of[value]
        unique = self.unique(name)
        decl = host.TensorOp.create(
            properties={
                "sym_name": StringAttr(unique),
                "type": value.type,
                "role": StringAttr(role),
            }
        )
        for key, v in attrs.items():
            decl.attributes[key] = StringAttr(v)
        if value in self.tensor_of:  # also on the card: the host writes it there after computing
            decl.attributes["card"] = StringAttr(self.tensor_of[value])
        self.host_decls.append(decl)
        self.host_of[value] = unique
        return unique

    def operand_name(self, value: SSAValue, layer: str) -> str:
        """Where a host op reads `value`: the card tensor if the card made it, else host memory."""
        owner = value.owner
        if value in self.tensor_of and (owner in self.on_card or owner in self.boundary):
            return self.tensor_of[value]
        if isinstance(owner, graph.ConstOp):
            return self.host_tensor(value, owner.weight.data, "const", weight=owner.weight.data)
        if isinstance(value, BlockArgument):
            name = self.input_name[value]
            return self.host_tensor(value, name, "input", onnx_name=name)
        return self.host_tensor(value, f"{layer}.in", "value")

    def host(self, op) -> None:
        """A `host.op` running `op` where the runtime finds its operands."""
        layer = op.node_name
        inputs = [self.operand_name(v, layer) for v in op.operands]
        outputs = []
        for k, result in enumerate(op.results):
            if any(u.operation in self.on_card for u in result.uses):
                self.activation(result, f"{layer}.out{k or ''}")  # the card reads it
            if result in self.returned:
                name = self.returned[result]
                outputs.append(self.host_tensor(result, name, "output", onnx_name=name))
            else:
                outputs.append(self.host_tensor(result, f"{layer}.out{k or ''}", "value"))
        reason = op.attributes.get(REASON)
        self.kernels.append(
            host.HostOp.create(
                properties={
                    "layer": StringAttr(layer),
                    "op": StringAttr(op.name),
                    "attrs": DictionaryAttr(dict(op.properties)),
                    "inputs": ArrayAttr([StringAttr(n) for n in inputs]),
                    "outputs": ArrayAttr([StringAttr(n) for n in outputs]),
                    "segment": IntegerAttr(0, i64),
                },
                attributes={"reason": reason} if reason is not None else {},
            )
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
            if source in self.on_card and isinstance(source, graph.ReshapeOp):
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
        requant = Requant(*rq.params, piece_bits(cfg.ALU_MUL_BITS))
        if requant.pieces > 1 and requant.shift <= requant.multiply_shift:
            # The multiply in pieces floors away (k-1)p bits; the rounding needs at least one
            # more bit of shift after it, or the result would be truncated, not rounded.
            raise LoweringError(
                f"layer '{layer}': its requantization (shift {requant.shift}) cannot be rounded "
                f"exactly with {requant.pieces} multiplier pieces of {requant.piece_bits} bits "
                f"(ALU_MUL_BITS={cfg.ALU_MUL_BITS}); a wider ALU multiplier or fewer "
                "multiplier bits (import-qdq{multiplier_bits=N}) avoid it"
            )
        if requant.per_channel:
            for j in range(requant.pieces):
                piece = np.asarray(requant.piece(j), np.int32)
                tensors[f"multipliers{j}"] = self.weight(
                    f"{layer}.multipliers{j}", pack_bias(piece, cfg), i32
                )
        tiling = choose_tiling(geometry, cfg, layer, requant, has_bias)
        if has_bias:
            name = op.bias.owner.weight.data
            bias = self.pool[name]
            if tiling.folded_bias:  # bias · M + the rounding constant, added after the multiply
                name, bias = f"{layer}.bias.folded", requant.folded_bias(bias)
            tensors["bias"] = self.weight(name, pack_bias(bias, cfg), i32)
        self.kernels.append(
            KernelEmitter(layer, geometry, tiling, tensors, requant, has_bias).emit()
        )


@dataclass(frozen=True)
class GraphToTilePass(ModulePass):
    """Cut an integer graph into tiles that fit the accelerator's buffers (tile dialect)."""

    name = "graph-to-tile"
    config: str = ""  # path of a vta_config.json; default: the module's config or VTA's default

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        cfg = HwConfig.load(self.config) if self.config else module_config(op)
        _Lowering(op, cfg).run()
        op.verify()
