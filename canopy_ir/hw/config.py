"""Hardware configuration of a VTA-compatible accelerator (the keys of VTA's `vta_config.json`).

All buffer sizes and field widths of the ISA derive from these parameters; see `vta-isa.md` §1.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from canopy_ir.errors import HardwareConfigError


@dataclass(frozen=True)
class HwConfig:
    TARGET: str = "sim"
    HW_VER: str = "0.0.2"
    LOG_INP_WIDTH: int = 3
    LOG_WGT_WIDTH: int = 3
    LOG_ACC_WIDTH: int = 5
    LOG_BATCH: int = 0
    LOG_BLOCK_IN: int = 4
    LOG_BLOCK_OUT: int = 4
    LOG_UOP_BUFF_SIZE: int = 15
    LOG_INP_BUFF_SIZE: int = 15
    LOG_WGT_BUFF_SIZE: int = 18
    LOG_ACC_BUFF_SIZE: int = 17
    LOG_BUS_WIDTH: int = 6
    # Timing (canopy-ir's extension of VTA's keys; used by the cycle model only)
    CLOCK_MHZ: int = 100
    DRAM_LATENCY_CYCLES: int = 64  # cycles from a DMA request to its first data beat
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
    def load(cls, path: str | Path) -> HwConfig:
        try:
            raw = json.loads(Path(path).read_text())
        except OSError as exc:
            raise HardwareConfigError(f"cannot read: {exc.strerror}", str(path)) from None
        except json.JSONDecodeError as exc:
            raise HardwareConfigError(f"not valid JSON: {exc}", str(path)) from None
        if not isinstance(raw, dict):
            raise HardwareConfigError("expected a JSON object of VTA config keys", str(path))
        return cls.from_dict(raw, str(path))

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
        # The instruction/micro-op layouts check that every field fits its word.
        from canopy_ir.hw.isa import layouts

        layouts(self, source)


DEFAULT_CONFIG = HwConfig()

# Presets. Array shapes and buffer sizes are the published VTA/Canopy configurations; clock and
# bus figures are estimates for the cycle model, to be replaced by measured ones per board.
PRESETS: dict[str, HwConfig] = {
    # apache/tvm-vta config/vta_config.json: 1x16x16 GEMM core, 32/32/256/128 KiB buffers,
    # 64-bit bus; 100 MHz as on the PYNQ reference design.
    "vta-default": DEFAULT_CONFIG,
    # apache/tvm-vta config/intelfocl_sample.json (Canopy's Intel OpenCL target, Arria 10 GX):
    # the same core and buffers; ~200 MHz kernel clock and a 512-bit memory interface (estimates).
    "arria10": HwConfig(TARGET="intelfocl", HW_VER="0.0.1", LOG_BUS_WIDTH=9, CLOCK_MHZ=200),
    # 4paradigm/canopy-hw config/xilinxvitis_sample.json (Canopy on AWS F1, Virtex UltraScale+
    # VU9P; the Stratix 10 class): LOG_BLOCK 5, a 1x32x32 core (4x the MACs per cycle) with the
    # same buffer sizes; 250 MHz (F1's default kernel clock) and a 512-bit interface (estimates).
    "stratix10-vu9p": HwConfig(
        TARGET="xilinxvitis",
        HW_VER="0.0.2",
        LOG_BLOCK_IN=5,
        LOG_BLOCK_OUT=5,
        LOG_BUS_WIDTH=9,
        CLOCK_MHZ=250,
    ),
}
