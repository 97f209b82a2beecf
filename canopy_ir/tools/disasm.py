"""`canopy-disasm`: print an instruction stream in human-readable form.

canopy-disasm model.canopy                 # an artefact: its config, micro-ops and layers
canopy-disasm insns.bin [--uops uops.bin] [--config vta_config.json]
canopy-disasm model.canopy --mlir          # as accel IR, for reading (no regions: not re-runnable)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from canopy_ir.errors import CanopyError
from canopy_ir.hw import isa
from canopy_ir.hw.config import HwConfig
from canopy_ir.hw.isa import AluOp, MemId
from canopy_ir.tools.common import add_debug_flag, guarded

FLAGS = {
    "pop_prev": "pop←prev",
    "pop_next": "pop←next",
    "push_prev": "push→prev",
    "push_next": "push→next",
}


def _affine(base: str, f_out: int, f_in: int) -> str:
    terms = [base] + [f"{f}{v}" for f, v in ((f_out, "i"), (f_in, "j")) if f]
    return "+".join(terms)


def format_insn(insn: isa.Insn) -> str:
    flags = " ".join(text for f, text in FLAGS.items() if getattr(insn, f))
    if isinstance(insn, isa.LoadInsn | isa.StoreInsn):
        mem = MemId(insn.memory_type).name.lower() if insn.memory_type in set(MemId) else "?"
        rows = insn.y_pad_0 + insn.y_size + insn.y_pad_1
        cols = insn.x_pad_0 + insn.x_size + insn.x_pad_1
        arrow = "<-" if isinstance(insn, isa.LoadInsn) else "->"
        pad = (
            f" pad y{insn.y_pad_0}/{insn.y_pad_1} x{insn.x_pad_0}/{insn.x_pad_1}"
            if insn.y_pad_0 or insn.y_pad_1 or insn.x_pad_0 or insn.x_pad_1
            else ""
        )
        body = (
            f"{mem:<4} sram[{insn.sram_base}:{insn.sram_base + rows * cols}] {arrow} "
            f"dram[{insn.dram_base}] {insn.y_size}x{insn.x_size} stride {insn.x_stride}{pad}"
        )
        if insn.x_size == 0:
            body = f"{mem:<4} (no data: token relay)"
    elif isinstance(insn, isa.GemmInsn | isa.AluInsn):
        loops = f"uop[{insn.uop_bgn}:{insn.uop_end}) x {insn.iter_out} x {insn.iter_in}"
        dst = _affine("dst", insn.dst_factor_out, insn.dst_factor_in)
        src = _affine("src", insn.src_factor_out, insn.src_factor_in)
        if isinstance(insn, isa.GemmInsn):
            wgt = _affine("wgt", insn.wgt_factor_out, insn.wgt_factor_in)
            body = f"{loops}  acc[{dst}] {'= 0' if insn.reset_reg else f'+= inp[{src}]·wgt[{wgt}]'}"
        else:
            op = AluOp(insn.alu_opcode).name.lower() if insn.alu_opcode in set(AluOp) else "?"
            rhs = f"{insn.imm}" if insn.use_imm else f"acc[{src}]"
            body = f"{loops}  acc[{dst}] = {op}(acc[{dst}], {rhs})"
    else:
        body = ""
    return f"{insn.opcode.name:<6} {body}{'   ' + flags if flags else ''}".rstrip()


def disassemble(insns: list[isa.Insn], layers: list[str | None] | None = None) -> str:
    lines, current = [], object()
    for i, insn in enumerate(insns):
        layer = layers[i] if layers else None
        if layers and layer != current:
            lines.append(f"; ---- {layer or '(no layer)'}")
            current = layer
        lines.append(f"{i:6d}  {format_insn(insn)}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="canopy-disasm",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("file", help="a .canopy artefact or a raw insns.bin")
    ap.add_argument("--uops", help="uops.bin to print with a raw stream")
    ap.add_argument("--config", help="vta_config.json of a raw stream (default: VTA 1x16x16)")
    ap.add_argument(
        "--mlir", action="store_true", help="print the instructions as accel IR (for reading)"
    )
    add_debug_flag(ap)
    args = ap.parse_args(argv)
    return guarded(lambda: _disasm(args), args.debug)


def _disasm(args) -> int:
    if zipfile_like(args.file):
        from canopy_ir.artefact import Artefact

        art = Artefact.load(args.file)
        cfg, raw, raw_uops = art.config, art.insns, art.uops
        layers = art.instruction_layers()
    else:
        cfg = HwConfig.load(args.config) if args.config else HwConfig()
        try:
            raw = Path(args.file).read_bytes()
            raw_uops = Path(args.uops).read_bytes() if args.uops else b""
        except OSError as exc:
            raise CanopyError(f"cannot read: {exc.strerror}", exc.filename) from None
        layers = None
    insns = isa.decode_insns(raw, cfg)
    uops = isa.decode_uops(raw_uops, cfg)
    if args.mlir:
        print(_as_mlir(insns, uops, cfg, layers))
    else:
        print(
            f"; {len(insns)} instructions, {len(uops)} micro-ops, "
            f"{cfg.batch}x{cfg.block_in}x{cfg.block_out} GEMM core"
        )
        print(disassemble(insns, layers))
    return 0


def zipfile_like(path: str) -> bool:
    import zipfile

    return Path(path).is_file() and zipfile.is_zipfile(path)


def _as_mlir(insns, uops, cfg, layers) -> str:
    from xdsl.dialects.builtin import ModuleOp

    from canopy_ir.dialects import accel
    from canopy_ir.dialects.kvformat import KeyValueFormat
    from canopy_ir.ir import set_module_config

    table = accel.UopTableOp.create(
        properties=KeyValueFormat.kv_properties(
            accel.UopTableOp.KV_FIELDS,
            {"offset": 0, "uops": [v for t in uops.triples() for v in t]},
        )
    )
    program = accel.ProgramOp.from_records(insns, layers)
    module = ModuleOp([table, program])
    set_module_config(module, cfg)
    return str(module)


if __name__ == "__main__":
    sys.exit(main())
