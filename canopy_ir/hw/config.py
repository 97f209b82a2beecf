"""Hardware configuration of a VTA-compatible accelerator (the keys of VTA's `vta_config.json`).

All buffer sizes and field widths of the ISA derive from these parameters (`docs/isa.md` §1).

Imports inside `canopy_ir.hw` run one way, config → isa → the rest, so this module imports nothing
of `canopy_ir.hw`. Yet whether a configuration is usable depends on the ISA: every instruction and
micro-op field, whose widths follow the buffer depths, must fit its word. That check lives with the
bit layouts in `canopy_ir.hw.isa`, which hands it to this module once, when it is imported
(`set_encoding_check`); `canopy_ir/hw/__init__.py` imports `isa`, and Python runs a package's
`__init__` before any of its modules, so the check is in place before any code can reach `HwConfig`.
`validate` runs it after its own checks, and every way of loading a configuration (`from_dict`,
`load`, `from_spec`, `preset`) goes through `validate`.

Presets are JSON files in `canopy_ir/hw/presets/` (one per preset, a `_source` key citing where
the figures come from), read and validated on first use.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, fields
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from canopy_ir.errors import HardwareConfigError


@dataclass(frozen=True)
class HwConfig:
    # Target name (VTA's TARGET: sim, pynq, intelfocl, ...); informational.
    TARGET: str = "sim"
    # Hardware version string (VTA's HW_VER); informational.
    HW_VER: str = "0.0.2"
    # log2 of the bits of an input (activation) element; the output width is the same.
    LOG_INP_WIDTH: int = 3
    # log2 of the bits of a weight element.
    LOG_WGT_WIDTH: int = 3
    # log2 of the bits of an accumulator element.
    LOG_ACC_WIDTH: int = 5
    # log2 of BATCH, the rows of the GEMM core (A in (A,B)x(B,C)).
    LOG_BATCH: int = 0
    # log2 of BLOCK_IN, the reduction length of one GEMM step (B in (A,B)x(B,C)).
    LOG_BLOCK_IN: int = 4
    # log2 of BLOCK_OUT, the output lanes of the GEMM core (C in (A,B)x(B,C)).
    LOG_BLOCK_OUT: int = 4
    # log2 of the bytes of the on-chip micro-op buffer.
    LOG_UOP_BUFF_SIZE: int = 15
    # log2 of the bytes of the on-chip input buffer.
    LOG_INP_BUFF_SIZE: int = 15
    # log2 of the bytes of the on-chip weight buffer.
    LOG_WGT_BUFF_SIZE: int = 18
    # log2 of the bytes of the on-chip accumulator buffer (the output buffer shares its indices).
    LOG_ACC_BUFF_SIZE: int = 17
    # log2 of the bits of the memory bus (VTA derives it per target; here a key).
    LOG_BUS_WIDTH: int = 6
    # Timing (canopy-ir's extension of VTA's keys; used by the cycle model only):
    # clock of the accelerator in MHz, to turn cycles into seconds.
    CLOCK_MHZ: int = 100
    # Cycles from a DMA request to its first data beat.
    DRAM_LATENCY_CYCLES: int = 64
    # Width of the ALU MUL operand: VTA's hardware builds multiply by 8 signed bits. Fixed-point
    # requantization applies its multipliers in pieces of min(7, ALU_MUL_BITS - 1) bits, so it
    # runs on stock VTA; the verifier and the simulator enforce the width.
    ALU_MUL_BITS: int = 8

    # --- derived sizes -------------------------------------------------------------------
    @property
    def batch(self) -> int:
        return 1 << self.LOG_BATCH

    @property
    def block_in(self) -> int:
        return 1 << self.LOG_BLOCK_IN

    @property
    def block_out(self) -> int:
        return 1 << self.LOG_BLOCK_OUT

    def _log_elem_bits(self, buf: str) -> int:
        return {
            "uop": 5,
            "inp": self.LOG_BATCH + self.LOG_BLOCK_IN + self.LOG_INP_WIDTH,
            "wgt": self.LOG_BLOCK_OUT + self.LOG_BLOCK_IN + self.LOG_WGT_WIDTH,
            "acc": self.LOG_BATCH + self.LOG_BLOCK_OUT + self.LOG_ACC_WIDTH,
            "out": self.LOG_BATCH + self.LOG_BLOCK_OUT + self.LOG_INP_WIDTH,
        }[buf]

    def elem_bytes(self, buf: str) -> int:
        """Bytes of one element of buffer `buf` (uop, inp, wgt, acc, out)."""
        return (1 << self._log_elem_bits(buf)) // 8

    def log_depth(self, buf: str) -> int:
        """log2 of the elements buffer `buf` holds (VTA's VTA_LOG_<BUF>_BUFF_DEPTH)."""
        size = {
            "uop": self.LOG_UOP_BUFF_SIZE,
            "inp": self.LOG_INP_BUFF_SIZE,
            "wgt": self.LOG_WGT_BUFF_SIZE,
            "acc": self.LOG_ACC_BUFF_SIZE,
            "out": self.LOG_ACC_BUFF_SIZE,  # OUT shares the ACC indices
        }[buf]
        return size - self._log_elem_bits(buf) + 3

    def depth(self, buf: str) -> int:
        """Number of elements buffer `buf` holds."""
        return 1 << self.log_depth(buf)

    @property
    def bus_bytes(self) -> int:
        """Bytes the memory bus moves per cycle."""
        return (1 << self.LOG_BUS_WIDTH) // 8

    @classmethod
    def preset(cls, name: str) -> HwConfig:
        if name not in PRESETS:
            raise HardwareConfigError(f"unknown preset '{name}' (known: {', '.join(PRESETS)})")
        return PRESETS[name]

    @classmethod
    def from_spec(cls, spec: str | None) -> HwConfig:
        """A preset name, or the path of a vta_config.json; None gives VTA's default."""
        if spec is None:
            return cls()
        return cls.preset(spec) if spec in PRESETS else cls.load(spec)

    # --- (de)serialisation ----------------------------------------------------------------
    def to_dict(self) -> dict[str, int | str]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict, source: str = "config") -> HwConfig:
        raw = dict(raw)
        if "LOG_BLOCK" in raw:  # VTA's single key for square blocks
            block = raw.pop("LOG_BLOCK")
            raw.setdefault("LOG_BLOCK_IN", block)
            raw.setdefault("LOG_BLOCK_OUT", block)
        known = {f.name: f for f in fields(cls)}
        kwargs = {}
        for key, value in raw.items():
            if key not in known:
                continue  # VTA configs carry extra keys (e.g. TARGET-specific ones); ignore them
            want = str if key in ("TARGET", "HW_VER") else int
            if not isinstance(value, want) or isinstance(value, bool):
                raise HardwareConfigError(
                    f"key {key} must be {want.__name__}, got {value!r}", source
                )
            kwargs[key] = value
        config = cls(**kwargs)
        config.validate(source)
        return config

    @classmethod
    def from_json(cls, text: str, source: str) -> HwConfig:
        """A configuration from the text of a vta_config.json (`source` names it in errors)."""
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise HardwareConfigError(f"not valid JSON: {exc}", source) from None
        if not isinstance(raw, dict):
            raise HardwareConfigError("expected a JSON object of VTA config keys", source)
        return cls.from_dict(raw, source)

    @classmethod
    def load(cls, path: str | Path) -> HwConfig:
        try:
            text = Path(path).read_text()
        except OSError as exc:
            raise HardwareConfigError(f"cannot read: {exc.strerror}", str(path)) from None
        return cls.from_json(text, str(path))

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=2) + "\n")

    def validate(self, source: str = "config") -> None:
        """Reject configurations whose buffers or instruction fields cannot be encoded."""
        if self.LOG_INP_WIDTH != 3 or self.LOG_WGT_WIDTH != 3 or self.LOG_ACC_WIDTH != 5:
            raise HardwareConfigError(
                "only int8 inputs/weights with int32 accumulators are supported "
                "(LOG_INP_WIDTH=3, LOG_WGT_WIDTH=3, LOG_ACC_WIDTH=5)",
                source,
            )
        for key in ("LOG_BATCH", "LOG_BLOCK_IN", "LOG_BLOCK_OUT"):
            if not 0 <= getattr(self, key) <= 8:
                raise HardwareConfigError(f"{key}={getattr(self, key)} is outside 0..8", source)
        if not 2 <= self.ALU_MUL_BITS <= 32:
            raise HardwareConfigError(f"ALU_MUL_BITS={self.ALU_MUL_BITS} is outside 2..32", source)
        for buf in ("uop", "inp", "wgt", "acc"):
            if self.log_depth(buf) < 1:
                raise HardwareConfigError(f"the {buf} buffer holds less than two elements", source)
            if self.log_depth(buf) > 16:
                raise HardwareConfigError(
                    f"the {buf} buffer has 2^{self.log_depth(buf)} elements: its index does not "
                    "fit the 16-bit sram_base field",
                    source,
                )
        if _encoding_check is None:
            raise RuntimeError("canopy_ir.hw.isa has not installed its field check")
        _encoding_check(self, source)


# The ISA's check that every instruction and micro-op field fits its word (see the docstring).
_encoding_check: Callable[[HwConfig, str], None] | None = None


def set_encoding_check(check: Callable[[HwConfig, str], None]) -> None:
    """Install the ISA's field-fit check; `check(config, source)` raises HardwareConfigError."""
    global _encoding_check
    _encoding_check = check


DEFAULT_CONFIG = HwConfig()


class _Presets(Mapping[str, HwConfig]):
    """The presets by name (file name without `.json`); each is read and validated on first use."""

    def __init__(self) -> None:
        self._files: dict[str, Traversable] | None = None
        self._configs: dict[str, HwConfig] = {}

    def _folder(self) -> dict[str, Traversable]:
        if self._files is None:
            folder = resources.files(__package__) / "presets"
            self._files = {
                f.name.removesuffix(".json"): f
                for f in sorted(folder.iterdir(), key=lambda f: f.name)
                if f.name.endswith(".json")
            }
        return self._files

    def __getitem__(self, name: str) -> HwConfig:
        if name not in self._configs:
            file = self._folder()[name]
            self._configs[name] = HwConfig.from_json(file.read_text(), f"preset {file.name}")
        return self._configs[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._folder())

    def __len__(self) -> int:
        return len(self._folder())


PRESETS: Mapping[str, HwConfig] = _Presets()
