"""IR plumbing shared by every layer: the xDSL context, module attributes and the weight pool.

Module attributes used across passes:
- `canopy.weights`: the weight pool key (in memory) or the path of a `weights.npz` file;
- `canopy.hw_config`: the `HwConfig` as a dictionary (set from `graph-to-tile` on);
- `canopy.inputs` / `canopy.outputs`: ONNX names of the function's arguments and results.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
from xdsl.context import Context
from xdsl.dialects import arith, builtin, func, scf
from xdsl.dialects.builtin import (
    ArrayAttr,
    DenseArrayBase,
    DictionaryAttr,
    Float16Type,
    Float32Type,
    Float64Type,
    FloatAttr,
    IntegerAttr,
    IntegerType,
    ModuleOp,
    Signedness,
    StringAttr,
    TensorType,
    f16,
    f32,
    f64,
    i1,
    i8,
    i16,
    i32,
    i64,
)
from xdsl.ir import Attribute
from xdsl.parser import Parser
from xdsl.utils.exceptions import ParseError, VerifyException

from canopy_ir.errors import CanopyError
from canopy_ir.hw.config import HwConfig

ui8 = IntegerType(8, Signedness.UNSIGNED)
ui16 = IntegerType(16, Signedness.UNSIGNED)
# Tensor element types and the numpy dtypes that hold them (weights, interpreter values).
ELEMENT_DTYPES: tuple[tuple[Attribute, np.dtype], ...] = (
    (f32, np.dtype(np.float32)),
    (f64, np.dtype(np.float64)),
    (f16, np.dtype(np.float16)),
    (i8, np.dtype(np.int8)),
    (ui8, np.dtype(np.uint8)),
    (i16, np.dtype(np.int16)),
    (ui16, np.dtype(np.uint16)),
    (i32, np.dtype(np.int32)),
    (i64, np.dtype(np.int64)),
    (i1, np.dtype(np.bool_)),
)
_DTYPE_TO_ELEM = {dtype: elem for elem, dtype in ELEMENT_DTYPES}


def elem_to_numpy(elem: Attribute) -> np.dtype:
    for e, dtype in ELEMENT_DTYPES:
        if e == elem:
            return dtype
    if isinstance(elem, Float32Type | Float64Type | Float16Type):
        return np.dtype(np.float32)
    raise CanopyError(f"element type {elem} has no numpy equivalent")


def elem_of_numpy(dtype) -> Attribute:
    if np.dtype(dtype) not in _DTYPE_TO_ELEM:
        raise CanopyError(f"tensors of dtype {dtype} are not supported")
    return _DTYPE_TO_ELEM[np.dtype(dtype)]


def load_npz(path: str | Path, what: str, error: type[CanopyError] = CanopyError) -> dict:
    """The arrays of a .npz archive by name; anything else is one clear `error` naming the file."""
    try:
        data = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise error(f"cannot read {what}: {exc}", str(path)) from None
    if not isinstance(data, np.lib.npyio.NpzFile):
        raise error(f"{what} must be a .npz archive of named arrays", str(path))
    with data:
        return {k: data[k] for k in data.files}


def make_context() -> Context:
    from canopy_ir.dialects.accel import Accel
    from canopy_ir.dialects.graph import Graph
    from canopy_ir.dialects.host import Host
    from canopy_ir.dialects.tile import Tile

    ctx = Context()
    for dialect in (builtin.Builtin, func.Func, arith.Arith, scf.Scf, Graph, Tile, Accel, Host):
        ctx.load_dialect(dialect)
    return ctx


def parse_module(text: str, source: str = "<text>") -> ModuleOp:
    try:
        module = Parser(make_context(), text, source).parse_module()
    except ParseError as exc:
        raise CanopyError(f"cannot parse IR: {exc}", source) from None
    try:
        module.verify()  # hand-edited IR: catch what the parser lets through (types, shapes)
    except VerifyException as exc:
        raise CanopyError(f"the IR does not verify: {exc}", source) from None
    return module


# ---- op properties as plain values -----------------------------------------------------------
def attribute_value(attr: Attribute):
    """A property as a plain value: int, float, str, list of numbers, or nested lists/dicts."""
    if isinstance(attr, IntegerAttr):
        return attr.value.data
    if isinstance(attr, FloatAttr):
        return attr.value.data
    if isinstance(attr, StringAttr):
        return attr.data
    if isinstance(attr, DenseArrayBase):
        return list(attr.get_values())
    if isinstance(attr, ArrayAttr):
        return [attribute_value(a) for a in attr.data]
    if isinstance(attr, DictionaryAttr):
        return {k: attribute_value(v) for k, v in attr.data.items()}
    raise CanopyError(f"attribute {attr} has no plain value")


def op_attributes(op) -> dict:
    """An op's properties as plain values (what `canopy_ir.kernels` takes)."""
    return {name: attribute_value(attr) for name, attr in op.properties.items()}


def result_types(op) -> list[tuple[tuple[int, ...], str]]:
    """(shape, numpy dtype name) of each of an op's tensor results."""
    out = []
    for r in op.results:
        assert isinstance(r.type, TensorType)
        out.append((tuple(r.type.get_shape()), elem_to_numpy(r.type.get_element_type()).name))
    return out


# ---- hardware config --------------------------------------------------------------------------
def module_config(module: ModuleOp) -> HwConfig:
    attr = module.attributes.get("canopy.hw_config")
    if attr is None:
        return HwConfig()
    assert isinstance(attr, DictionaryAttr)
    raw = {k: (v.data if isinstance(v, StringAttr) else v.value.data) for k, v in attr.data.items()}
    return HwConfig.from_dict(raw, "canopy.hw_config")


def set_module_config(module: ModuleOp, config: HwConfig) -> None:
    module.attributes["canopy.hw_config"] = DictionaryAttr(
        {
            k: StringAttr(v) if isinstance(v, str) else IntegerAttr(v, i64)
            for k, v in config.to_dict().items()
        }
    )


def string_list(module: ModuleOp, key: str) -> list[str]:
    attr = module.attributes.get(key)
    return [a.data for a in attr.data] if isinstance(attr, ArrayAttr) else []


def set_string_list(module: ModuleOp, key: str, values: list[str]) -> None:
    module.attributes[key] = ArrayAttr([StringAttr(v) for v in values])


# ---- weight pool ------------------------------------------------------------------------------
class WeightPool:
    """Named numpy arrays kept out of the IR text; saved as `weights.npz` beside IR dumps."""

    _ids = itertools.count()

    def __init__(self, arrays: dict[str, np.ndarray] | None = None):
        self.arrays: dict[str, np.ndarray] = dict(arrays or {})
        self.key = f"mem:{next(self._ids)}"

    def __getitem__(self, name: str) -> np.ndarray:
        try:
            return self.arrays[name]
        except KeyError:
            raise CanopyError(f"weight '{name}' is not in the weight pool") from None

    def __contains__(self, name: str) -> bool:
        return name in self.arrays

    def add(self, name: str, array: np.ndarray) -> str:
        """Store `array` under `name` (made unique if taken by different data); returns the name
        used. Adding the same data again reuses the entry, so re-running a pass on a dump whose
        weight file already holds its results is idempotent."""
        unique, n = name, 1
        while unique in self.arrays:
            existing = self.arrays[unique]
            if existing.dtype == array.dtype and np.array_equal(existing, array):
                return unique
            unique, n = f"{name}.{n}", n + 1
        self.arrays[unique] = np.ascontiguousarray(array)
        return unique

    def save(self, path: str | Path) -> None:
        np.savez(path, **self.arrays)

    @classmethod
    def load(cls, path: str | Path) -> WeightPool:
        return cls(load_npz(path, "weight file"))


_POOLS: dict[str, WeightPool] = {}


def attach_pool(module: ModuleOp, pool: WeightPool) -> None:
    _POOLS[pool.key] = pool
    module.attributes["canopy.weights"] = StringAttr(pool.key)


def pool_of(module: ModuleOp) -> WeightPool:
    """The module's weight pool: registered in memory, or loaded from the file it names."""
    attr = module.attributes.get("canopy.weights")
    if not isinstance(attr, StringAttr):
        pool = WeightPool()
        attach_pool(module, pool)
        return pool
    if attr.data in _POOLS:
        return _POOLS[attr.data]
    path = Path(attr.data)
    if not path.exists():
        raise CanopyError(
            f"the module's weights live in '{attr.data}', which does not exist "
            "(run from the dump's folder or pass --weights)"
        )
    pool = WeightPool.load(path)
    _POOLS[attr.data] = pool
    return pool


def print_module(module: ModuleOp, weights_name: str | None = None) -> str:
    """Module text; with `weights_name`, the weight attribute names that file instead of the
    in-memory pool (for dumps written beside a weights file)."""
    old = module.attributes.get("canopy.weights")
    if weights_name is not None and old is not None:
        module.attributes["canopy.weights"] = StringAttr(weights_name)
    try:
        return str(module)
    finally:
        if weights_name is not None and old is not None:
            module.attributes["canopy.weights"] = old
