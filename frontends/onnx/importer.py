"""The importer core: `import_onnx`, the `_Importer` that walks a model's graph, and the registry
of op converters.

`_Importer.run` applies the user's input shapes, alternates ONNX shape inference with constant
folding of shape subgraphs until every value has a static type, then calls each remaining node's
converter (looked up in `CONVERTERS`, or `CONTRIB_CONVERTERS` for other domains) to emit graph
ops. The converters live in `ops/` by category and `register` themselves when the package is
imported.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper
from xdsl.builder import ImplicitBuilder
from xdsl.dialects import func
from xdsl.dialects.builtin import (
    ModuleOp,
    StringAttr,
    TensorType,
    f32,
)
from xdsl.ir import Attribute, SSAValue
from xdsl.utils.exceptions import VerifyException

from canopy_ir.dialects import graph
from canopy_ir.errors import FrontendError, UnsupportedOpError
from canopy_ir.frontends.onnx.loader import load_onnx
from canopy_ir.frontends.onnx.nodes import attributes, node_name, opt_input, where
from canopy_ir.ir import (
    ELEMENT_DTYPES,
    WeightPool,
    attach_pool,
    elem_of_numpy,
    set_string_list,
    ui8,
)

# ONNX tensor element types and the IR element types they import as: canopy_ir.ir's table of
# element types and numpy dtypes, keyed by ONNX's code for each dtype.
_ONNX_TO_ELEM: dict[int, Attribute] = {
    onnx.helper.np_dtype_to_tensor_dtype(dtype): elem for elem, dtype in ELEMENT_DTYPES
}

# Ops folded whenever all their inputs are constants, whatever the size: they build shapes and
# weights (ConstantOfShape weights in the onnx package's "light" models) rather than compute.
ALWAYS_FOLD = {
    "Shape",
    "Size",
    "ConstantOfShape",
    "Range",
    "Constant",
    "Cast",
    "Reshape",
    "Unsqueeze",
    "Squeeze",
    "Concat",
    "Gather",
    "Slice",
    "Identity",
    "Expand",
    "Equal",
    "Where",
    "Flatten",
    "Transpose",
}
# Never folded: they carry the quantization that import-qdq maps onto integer arithmetic.
NEVER_FOLD = {"QuantizeLinear", "DequantizeLinear", "QLinearConv", "QLinearMatMul"}
FOLD_MAX_ELEMENTS = 1 << 16


def _elem_to_onnx(elem: Attribute) -> int:
    return next(o for o, e in _ONNX_TO_ELEM.items() if e == elem)


class _Importer:
    """One import: the model's SSA values, constants (initializers and folded values) and
    static types by tensor name, and the weight pool the emitted `graph.const` ops refer to."""

    def __init__(self, model: onnx.ModelProto, input_shapes: dict[str, tuple[int, ...]]):
        self.model = model
        self.input_shapes = input_shapes
        self.pool = WeightPool()
        self.values: dict[str, SSAValue] = {}
        self.consts: dict[str, np.ndarray] = {}
        self.types: dict[str, TensorType] = {}
        self.opsets = {o.domain or "": o.version for o in model.opset_import}
        self.opset = self.opsets.get("", 1)
        self.contrib_types: dict[str, TensorType] = {}
        self.used = {i for n in model.graph.node for i in n.input} | {
            o.name for o in model.graph.output
        }

    # ---- values ---------------------------------------------------------------------------
    def emit(self, op, node: onnx.NodeProto):
        op.attributes["onnx_node"] = StringAttr(node.name or node.output[0])
        return op

    def value(self, name: str, node: onnx.NodeProto) -> SSAValue:
        """The SSA value of tensor `name`, materialising constants as `graph.const`."""
        if name in self.values:
            return self.values[name]
        if name in self.consts:
            array = self.consts[name]
            key = self.pool.add(name, array)
            op = graph.ConstOp(key, TensorType(elem_of_numpy(array.dtype), array.shape))
            self.values[name] = op.output
            return op.output
        raise FrontendError(
            f"tensor '{name}' is neither an input, an initializer nor produced by an earlier node",
            where(node),
        )

    def const(self, name: str, node: onnx.NodeProto, what: str) -> np.ndarray:
        if name not in self.consts:
            raise UnsupportedOpError(
                [(node_name(node), node.op_type, f"{what} must be a constant")]
            )
        return self.consts[name]

    def out_type(self, node: onnx.NodeProto, index: int = 0) -> TensorType:
        name = node.output[index]
        if name not in self.types:
            raise FrontendError(
                f"the shape of '{name}' cannot be inferred statically; fix the "
                "model's input shapes with --input-shape NAME=DIMS",
                where(node),
            )
        return self.types[name]

    def set(self, node: onnx.NodeProto, op, index: int = 0):
        self.emit(op, node)
        self.values[node.output[index]] = op.results[0]
        return op.results[0]

    # ---- driver -----------------------------------------------------------------------------
    def run(self) -> ModuleOp:
        g = self.model.graph
        unsupported = [
            (node_name(n), n.op_type if not n.domain else f"{n.domain}.{n.op_type}", "")
            for n in g.node
            if _converter(n) is None
        ]
        if unsupported:
            raise UnsupportedOpError(unsupported)
        for init in g.initializer:
            self.consts[init.name] = numpy_helper.to_array(init)
        inits = set(self.consts)
        inputs = [i for i in g.input if i.name not in inits]
        self._check_static_inputs(inputs)
        folded = self._fold_to_fixpoint(inputs)
        arg_types = [self.types[i.name] for i in inputs]
        module = ModuleOp([])
        with ImplicitBuilder(module.body):
            main = func.FuncOp("main", (arg_types, []))
        with ImplicitBuilder(main.body) as args:
            for info, arg in zip(inputs, args, strict=True):
                self.values[info.name] = arg
            for i, node in enumerate(g.node):
                if i not in folded:
                    _converter(node)(self, node)
            results = [self.value(out.name, g.node[-1]) for out in g.output]
            func.ReturnOp(*results)
        main.function_type = func.FunctionType.from_lists(arg_types, [r.type for r in results])
        set_string_list(module, "canopy.inputs", [i.name for i in inputs])
        set_string_list(module, "canopy.outputs", [o.name for o in g.output])
        attach_pool(module, self.pool)
        try:
            module.verify()
        except VerifyException as exc:
            raise FrontendError(f"imported graph does not verify: {exc}") from None
        return module

    def _check_input_shapes(self, inputs) -> None:
        """--input-shape names a real input, and agrees with every dimension the model fixes."""
        by_name = {info.name: info for info in inputs}
        for name, shape in self.input_shapes.items():
            if name not in by_name:
                raise FrontendError(
                    f"--input-shape {name}: the model has no such input "
                    f"(its inputs: {', '.join(by_name) or 'none'})"
                )
            dims = by_name[name].type.tensor_type.shape.dim
            fixed = [
                d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else None for d in dims
            ]
            if len(fixed) != len(shape) or any(
                f is not None and f != s for f, s in zip(fixed, shape, strict=False)
            ):
                model_shape = "x".join("?" if f is None else str(f) for f in fixed)
                raise FrontendError(
                    f"--input-shape {name}={'x'.join(map(str, shape))} contradicts the model's "
                    f"shape {model_shape} for that input"
                )

    def _check_static_inputs(self, inputs) -> None:
        self._check_input_shapes(inputs)
        for info in inputs:
            if info.name in self.input_shapes:
                continue
            dims = info.type.tensor_type.shape.dim
            for d in dims:
                if not (d.HasField("dim_value") and d.dim_value > 0):
                    example = "x".join(
                        str(x.dim_value) if x.HasField("dim_value") and x.dim_value > 0 else "1"
                        for x in dims
                    )
                    raise FrontendError(
                        f"input '{info.name}' has a dynamic dimension ({d.dim_param or '?'}); give "
                        f"a fixed shape with --input-shape {info.name}={example}"
                    )

    def _fold_to_fixpoint(self, inputs) -> set[int]:
        """Alternate ONNX shape inference and constant folding until nothing changes: folded
        shape subgraphs make later shapes static (e.g. a Reshape whose shape is computed)."""
        folded: set[int] = set()
        # Each contrib op whose output type only we compute may cost one more round.
        contrib = sum(n.domain not in ("", "ai.onnx") for n in self.model.graph.node)
        for _ in range(8 + contrib):
            self._infer_shapes(folded)
            changed = False
            for i, node in enumerate(self.model.graph.node):
                if i not in folded and self._fold(node):
                    folded.add(i)
                    changed = True
                changed |= self._contrib_shape(node)
            if not changed:
                break
        for info in inputs:
            if info.name not in self.types:
                raise FrontendError(f"input '{info.name}' has an unsupported type or shape")
        return folded

    def _contrib_shape(self, node: onnx.NodeProto) -> bool:
        """Output types of contrib ops ONNX shape inference does not know (onnxruntime's
        com.microsoft.QGemm, and those in CONTRIB_SHAPES): computed here, handed to the next
        inference round."""
        infer = CONTRIB_SHAPES.get((node.domain, node.op_type))
        if infer is not None and node.output[0] not in self.types:
            inferred = infer(self, node)
            if inferred is None:
                return False
            self.types[node.output[0]] = self.contrib_types[node.output[0]] = inferred
            return True
        if (
            node.domain != "com.microsoft"
            or node.op_type != "QGemm"
            or node.output[0] in self.types
        ):
            return False
        a = self._type_or_const(node.input[0])
        b = self._type_or_const(node.input[3])
        if a is None or b is None:
            return False
        attrs = attributes(node)
        m = a[1] if attrs.get("transA", 0) else a[0]
        n = b[0] if attrs.get("transB", 0) else b[1]
        if opt_input(node, 7):
            elem = elem_of_numpy(self.consts[node.input[8]].dtype) if opt_input(node, 8) else ui8
        else:
            elem = f32
        self.types[node.output[0]] = TensorType(elem, (m, n))
        self.contrib_types[node.output[0]] = self.types[node.output[0]]
        return True

    def _type_or_const(self, name: str) -> tuple[int, ...] | None:
        if name in self.consts:
            return tuple(self.consts[name].shape)
        if name in self.types:
            return tuple(self.types[name].get_shape())
        return None

    def _single_node_model(self, node: onnx.NodeProto) -> onnx.ModelProto:
        ins = [
            onnx.helper.make_tensor_value_info(
                i, onnx.helper.np_dtype_to_tensor_dtype(self.consts[i].dtype), self.consts[i].shape
            )
            for i in node.input
            if i
        ]
        outs = [onnx.helper.make_empty_tensor_value_info(o) for o in node.output if o]
        g = onnx.helper.make_graph([node], "fold", ins, outs)
        return onnx.helper.make_model(
            g, opset_imports=self.model.opset_import, ir_version=self.model.ir_version
        )

    def _infer_shapes(self, folded: set[int]) -> None:
        """ONNX shape inference on the unfolded nodes. Constants up to FOLD_MAX_ELEMENTS go in
        as initializers (their values make shapes static); larger ones (weights) only as typed
        inputs, so no weight data is copied or serialised."""
        g = self.model.graph
        inputs = []
        for info in g.input:
            if info.name in self.consts:
                continue
            if info.name in self.input_shapes:
                info = onnx.helper.make_tensor_value_info(
                    info.name, info.type.tensor_type.elem_type, self.input_shapes[info.name]
                )
            inputs.append(info)
        inits = []
        for name, value in self.consts.items():
            try:
                dtype = onnx.helper.np_dtype_to_tensor_dtype(value.dtype)
            except (KeyError, TypeError, ValueError):
                continue
            if value.size <= FOLD_MAX_ELEMENTS:
                inits.append(numpy_helper.from_array(value, name))
            else:
                inputs.append(onnx.helper.make_tensor_value_info(name, dtype, value.shape))
        nodes = [n for i, n in enumerate(g.node) if i not in folded]
        value_info = [
            onnx.helper.make_tensor_value_info(
                name, _elem_to_onnx(t.get_element_type()), t.get_shape()
            )
            for name, t in self.contrib_types.items()
        ]
        model = onnx.helper.make_model(
            onnx.helper.make_graph(
                nodes, g.name or "main", inputs, list(g.output), inits, value_info=value_info
            ),
            opset_imports=self.model.opset_import,
            ir_version=max(self.model.ir_version, 4),
            functions=self.model.functions,
        )
        try:
            inferred = onnx.shape_inference.infer_shapes(model, strict_mode=False, data_prop=True)
        except Exception as exc:  # onnx raises InferenceError and friends
            raise FrontendError(f"ONNX shape inference failed: {exc}") from None
        g = inferred.graph
        for info in [*g.input, *g.value_info, *g.output]:
            t = info.type.tensor_type
            dims = [d.dim_value if d.HasField("dim_value") else -1 for d in t.shape.dim]
            if t.elem_type in _ONNX_TO_ELEM and t.HasField("shape") and all(d >= 0 for d in dims):
                self.types[info.name] = TensorType(_ONNX_TO_ELEM[t.elem_type], dims)

    def _fold(self, node: onnx.NodeProto) -> bool:
        """Evaluate `node` now if all its inputs are constants (and it is cheap to keep)."""
        ins = [i for i in node.input if i]
        if node.op_type == "Constant" or node.op_type in NEVER_FOLD:
            return False
        if node.op_type == "Shape" and ins[0] in self.types:
            a = attributes(node)
            shape = list(self.types[ins[0]].get_shape())
            self.consts[node.output[0]] = np.asarray(
                shape[a.get("start", 0) : a.get("end", len(shape))], np.int64
            )
            return True
        if not all(i in self.consts for i in ins) or not ins and node.op_type != "ConstantOfShape":
            return False
        if node.op_type not in ALWAYS_FOLD:
            size = sum(
                int(np.prod(self.types[o].get_shape())) if o in self.types else 1 << 30
                for o in node.output
                if o
            )
            if size > FOLD_MAX_ELEMENTS:
                return False
        from onnx.reference import ReferenceEvaluator

        try:
            evaluator = ReferenceEvaluator(self._single_node_model(node))
            outputs = evaluator.run(None, {i: self.consts[i] for i in ins})
        except Exception as exc:  # the reference evaluator raises many kinds
            raise FrontendError(f"cannot evaluate constant node: {exc}", where(node)) from None
        for name, value in zip(node.output, outputs, strict=False):
            if name:
                self.consts[name] = np.asarray(value)
        return True


# ---- converter registry ---------------------------------------------------------------------
Converter = Callable[[_Importer, onnx.NodeProto], None]
# Default-domain ops by op type; other domains' (onnxruntime's contrib ops) by (domain, op type).
CONVERTERS: dict[str, Converter] = {}
CONTRIB_CONVERTERS: dict[tuple[str, str], Converter] = {}
# Output types of contrib ops, by (domain, op type): computed from the types known so far, or
# None while they are not known yet.
CONTRIB_SHAPES: dict[tuple[str, str], Callable[[_Importer, onnx.NodeProto], TensorType | None]] = {}


def register(converters: dict[str, Converter], domain: str = "") -> None:
    """Add converters by op type, for the default domain or for `domain`; called by each module
    of `ops/` when it is imported. An op type has one converter."""
    default = domain in ("", "ai.onnx")
    for op_type, convert in converters.items():
        table, key = (CONVERTERS, op_type) if default else (CONTRIB_CONVERTERS, (domain, op_type))
        if key in table:
            raise ValueError(f"two converters registered for {key}")
        table[key] = convert


def _converter(node: onnx.NodeProto) -> Converter | None:
    """The converter of a node (default domain, or supported contrib ops), or None."""
    if node.domain in ("", "ai.onnx"):
        return CONVERTERS.get(node.op_type)
    return CONTRIB_CONVERTERS.get((node.domain, node.op_type))


def import_onnx(
    model: onnx.ModelProto | str | Path, input_shapes: dict[str, tuple[int, ...]] | None = None
) -> ModuleOp:
    """Import an ONNX model (or the path of one) into a graph-dialect module."""
    if not isinstance(model, onnx.ModelProto):
        model = load_onnx(model)
    for init in model.graph.initializer:
        if init.data_location == onnx.TensorProto.EXTERNAL:
            raise FrontendError(
                f"initializer '{init.name}' uses external data: load the model "
                "from its file so the data can be found beside it"
            )
    return _Importer(model, input_shapes or {}).run()
