"""The accelerator's OpenCL source and the `-D` defines that configure it for one `HwConfig`.

`accel/vta.cl` knows no configuration of its own: block sizes, buffer depths and the bit offset
and width of every instruction and micro-op field (which move with the buffer depths,
`docs/isa.md` §3) arrive as preprocessor defines computed here from `canopy_ir.hw.isa.layouts`,
so the kernel decodes exactly what the encoder packs. The same defines serve the OpenCL card
(`card.py`) and the FPGA build scripts, which call this module on a `vta_config.json`:

    python -m canopy_ir.backend.opencl.defines accel/vta_config.json --form fpga
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from canopy_ir.errors import CanopyError
from canopy_ir.hw import isa
from canopy_ir.hw.config import HwConfig
from canopy_ir.hw.isa import Opcode

SOURCE = Path(__file__).resolve().parent / "accel" / "vta.cl"
FORMS = ("portable", "fpga")

# Define prefix per instruction layout; STORE shares LOAD's (VTAMemInsn), FINISH is the bare head.
_GROUPS = {"HEAD": Opcode.FINISH, "MEM": Opcode.LOAD, "GEMM": Opcode.GEMM, "ALU": Opcode.ALU}


def kernel_source() -> str:
    return SOURCE.read_text()


def defines(config: HwConfig, form: str = "portable") -> dict[str, str]:
    """Name → value of every define `vta.cl` needs for `config` in `form` (portable or fpga)."""
    if form not in FORMS:
        raise CanopyError(f"unknown accelerator form '{form}' (known: {', '.join(FORMS)})")
    out: dict[str, str] = {"VTA_FPGA": str(int(form == "fpga"))}
    for key in (
        "LOG_BATCH",
        "LOG_BLOCK_IN",
        "LOG_BLOCK_OUT",
        "LOG_UOP_BUFF_SIZE",
        "LOG_INP_BUFF_SIZE",
        "LOG_WGT_BUFF_SIZE",
        "LOG_ACC_BUFF_SIZE",
    ):
        out[f"VTA_{key}"] = str(getattr(config, key))  # informational, as VTA's own cflags
    out.update(
        VTA_BATCH=str(config.batch),
        VTA_BLOCK_IN=str(config.block_in),
        VTA_BLOCK_OUT=str(config.block_out),
        VTA_ALU_MUL_BITS=str(config.ALU_MUL_BITS),
    )
    for buf in ("uop", "inp", "wgt", "acc"):
        out[f"VTA_{buf.upper()}_DEPTH"] = str(config.depth(buf))
    lay = isa.layouts(config)
    for group, opcode in _GROUPS.items():
        used = 0
        for f in lay.insn[opcode]:
            out[f"VTA_{group}_{f.name.upper()}_O"] = str(f.offset)
            out[f"VTA_{group}_{f.name.upper()}_W"] = str(f.width)
            used |= f.mask
        # bits of the two 64-bit words that belong to a field: any other set bit is corruption
        out[f"VTA_{group}_USED0"] = f"0x{used & (2**64 - 1):016x}UL"
        out[f"VTA_{group}_USED1"] = f"0x{used >> 64:016x}UL"
    for f in lay.uop:
        out[f"VTA_UOP_{f.name.upper()}_O"] = str(f.offset)
        out[f"VTA_UOP_{f.name.upper()}_W"] = str(f.width)
    return out


def build_options(config: HwConfig, form: str = "portable") -> list[str]:
    """`-DNAME=VALUE` compiler options for `config` (OpenCL runtimes, aoc and v++ alike)."""
    return [f"-D{name}={value}" for name, value in sorted(defines(config, form).items())]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m canopy_ir.backend.opencl.defines",
        description="Print the -D flags that configure accel/vta.cl for a VTA configuration.",
    )
    parser.add_argument("config", help="a vta_config.json path or a preset name")
    parser.add_argument("--form", choices=FORMS, default="fpga")
    parser.add_argument("--source", action="store_true", help="print the kernel's path instead")
    args = parser.parse_args(argv)
    if args.source:
        print(SOURCE)
        return 0
    try:
        config = HwConfig.from_spec(args.config)
    except CanopyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(" ".join(build_options(config, args.form)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
