"""An instruction stream as columns: one int64 row per instruction, one column per ISA field.

The records of `canopy_ir.hw.isa` are one Python object per instruction; a compiled model has a
hundred thousand instructions, and building, checking and encoding them one by one dominated
compile time. A `Stream` holds the same instructions as an `(n, len(FIELDS))` array, so the
passes fill, scan and encode whole columns with numpy. Column `opcode` says which record a row
is; the fields that record does not have are 0. A `Stream` is also a read-only sequence of
records (built on first use), so code that walks records (the simulator, the cycle model, tests)
takes one unchanged.

Encoding and decoding here make exactly the words of `isa.encode_insns` / `isa.decode_insns`,
with the same checks: where a value does not fit or a word does not decode, the scalar function
of `isa` reports the first such instruction, so the error is the same as well.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import fields as dataclass_fields
from functools import cache

import numpy as np

from canopy_ir.hw import isa
from canopy_ir.hw.config import HwConfig
from canopy_ir.hw.encoding import unpack_columns
from canopy_ir.hw.isa import MemId, Opcode

FIELDS: tuple[str, ...] = (
    "opcode",
    *isa.DEP_FLAGS,
    *(f.name for f in dataclass_fields(isa.MemInsn) if f.name not in isa.DEP_FLAGS),
    *(f.name for f in dataclass_fields(isa.LoopInsn) if f.name not in isa.DEP_FLAGS),
    "wgt_factor_out",
    "wgt_factor_in",
    "alu_opcode",
    "use_imm",
    "imm",
)
COL = {name: k for k, name in enumerate(FIELDS)}
WIDTH = len(FIELDS)


@cache
def record_fields(opcode: Opcode) -> tuple[str, ...]:
    """The fields of the record of `opcode`, in declaration order (hw_spec.h's)."""
    return tuple(f.name for f in dataclass_fields(isa.INSN_CLASSES[Opcode(opcode)]))


def modules_of(cols: np.ndarray) -> np.ndarray:
    """The module (isa.Module values) of each row: INP/WGT loads run in the load module, STORE in
    the store module, everything else in compute."""
    op, mem = cols[:, COL["opcode"]], cols[:, COL["memory_type"]]
    loads = (op == Opcode.LOAD) & ((mem == MemId.INP) | (mem == MemId.WGT))
    return np.where(loads, 0, np.where(op == Opcode.STORE, 2, 1)).astype(np.int64)


class Stream(Sequence):
    """Instructions as rows of `cols`; also a sequence of `isa.Insn` records (read-only)."""

    def __init__(self, cols: np.ndarray):
        cols = np.asarray(cols, np.int64)
        if cols.ndim != 2 or cols.shape[1] != WIDTH:
            raise ValueError(f"a stream has {WIDTH} columns, got shape {cols.shape}")
        self.cols = cols
        self._records: list[isa.Insn] | None = None

    # ---- building ---------------------------------------------------------------------------
    @classmethod
    def empty(cls, n: int = 0) -> Stream:
        return cls(np.zeros((n, WIDTH), np.int64))

    @classmethod
    def from_records(cls, insns: Iterable[isa.Insn]) -> Stream:
        if isinstance(insns, Stream):
            return insns
        insns = list(insns)
        cols = np.zeros((len(insns), WIDTH), np.int64)
        by_class: dict[type, list[int]] = {}
        for k, insn in enumerate(insns):
            by_class.setdefault(type(insn), []).append(k)
        for klass, rows in by_class.items():
            names = record_fields(klass.opcode)
            cols[rows, 0] = int(klass.opcode)
            if names:
                values = [[getattr(insns[k], n) for n in names] for k in rows]
                cols[np.ix_(rows, [COL[n] for n in names])] = values
        stream = cls(cols)
        return stream

    @classmethod
    def concat(cls, parts: Sequence[Stream]) -> Stream:
        if not parts:
            return cls.empty()
        return cls(np.concatenate([p.cols for p in parts]))

    # ---- the sequence of records ------------------------------------------------------------
    def records(self) -> list[isa.Insn]:
        """Every row as its `isa` record (built once; the records must not be changed)."""
        if self._records is None:
            out: list[isa.Insn | None] = [None] * len(self.cols)
            ops = self.cols[:, 0]
            for opcode, klass in isa.INSN_CLASSES.items():
                rows = np.flatnonzero(ops == opcode)
                if not len(rows):
                    continue
                names = record_fields(opcode)
                table = self.cols[np.ix_(rows, [COL[n] for n in names])].tolist()
                for k, row in zip(rows.tolist(), table, strict=True):
                    insn = klass.__new__(klass)
                    insn.__dict__.update(zip(names, row, strict=True))
                    out[k] = insn
            if any(i is None for i in out):
                bad = next(k for k, i in enumerate(out) if i is None)
                raise isa.IsaError(f"unknown opcode {int(ops[bad])}", f"instruction {bad}")
            self._records = out  # type: ignore[assignment]
        return self._records  # type: ignore[return-value]

    def __len__(self) -> int:
        return len(self.cols)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return Stream(self.cols[index])
        return self.records()[index]

    def __iter__(self):
        return iter(self.records())

    def column(self, name: str) -> np.ndarray:
        return self.cols[:, COL[name]]

    def modules(self) -> np.ndarray:
        return modules_of(self.cols)

    # ---- encoding ---------------------------------------------------------------------------
    def check_fields(self, cfg: HwConfig) -> None:
        """IsaError for the first instruction with a field outside its width (as
        `isa.check_fields`)."""
        bad = self.first_misfit(cfg)
        if bad is not None:
            isa.check_fields(self[bad], cfg, bad)
            raise AssertionError(f"instruction {bad}: a field does not fit")  # unreachable

    def first_misfit(self, cfg: HwConfig) -> int | None:
        """Index of the first instruction with a field that does not fit, or of an unknown
        opcode; None when every field fits."""
        ops = self.cols[:, 0]
        known = np.isin(ops, [int(o) for o in isa.INSN_CLASSES])
        worst = np.flatnonzero(~known)[:1].tolist()
        for opcode in isa.INSN_CLASSES:
            rows = np.flatnonzero(ops == opcode)
            if not len(rows):
                continue
            sub = self.cols[rows]
            ok = np.ones(len(rows), bool)
            for f in isa.layouts(cfg).insn[opcode][1:]:
                lo, hi = f.bounds
                v = sub[:, COL[f.name]]
                ok &= (v >= lo) & (v <= hi)
            if not ok.all():
                worst.append(int(rows[np.argmin(ok)]))
        return min(worst) if worst else None

    def encode(self, cfg: HwConfig) -> bytes:
        """The 16-byte little-endian words of every instruction (`isa.encode_insns`)."""
        self.check_fields(cfg)
        words = np.zeros((len(self.cols), 2), np.uint64)
        ops = self.cols[:, 0]
        for opcode in isa.INSN_CLASSES:
            rows = np.flatnonzero(ops == opcode)
            if not len(rows):
                continue
            sub = self.cols[rows]
            lo_hi = np.zeros((len(rows), 2), np.uint64)
            for f in isa.layouts(cfg).insn[opcode]:
                unit, shift = divmod(f.offset, 64)
                value = sub[:, COL[f.name]] & ((1 << f.width) - 1)  # two's complement for imm
                lo_hi[:, unit] |= value.astype(np.uint64) << np.uint64(shift)
            words[rows] = lo_hi
        return words.astype("<u8").tobytes()

    @classmethod
    def decode(cls, data: bytes, cfg: HwConfig) -> Stream:
        """The stream of encoded words (`isa.decode_insns`, same checks and errors)."""
        if len(data) % isa.INSN_BYTES:
            isa.decode_insns(data, cfg)  # raises: not a whole number of instructions
        words = np.frombuffer(data, dtype="<u8").reshape(-1, 2)
        ops = (words[:, 0] & np.uint64(7)).astype(np.int64)
        cols = np.zeros((len(words), WIDTH), np.int64)
        bad = np.flatnonzero(~np.isin(ops, [int(o) for o in isa.INSN_CLASSES]))
        if len(bad):
            k = int(bad[0])
            isa.decode_insn(data[k * isa.INSN_BYTES :][: isa.INSN_BYTES], cfg, k)
        for opcode in isa.INSN_CLASSES:
            rows = np.flatnonzero(ops == opcode)
            if not len(rows):
                continue
            layout = isa.layouts(cfg).insn[opcode]
            columns, stray = unpack_columns(words[rows], layout)
            if stray.any():
                k = int(rows[np.flatnonzero(stray)[0]])
                isa.decode_insn(data[k * isa.INSN_BYTES :][: isa.INSN_BYTES], cfg, k)
            for f, values in zip(layout, columns, strict=True):
                cols[rows, COL[f.name]] = values
        return cls(cols)

    def __repr__(self) -> str:
        return f"Stream({len(self.cols)} instructions)"
