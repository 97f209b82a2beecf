"""The compiled artefact (`.canopy`): a zip of manifest.json, insns.bin, uops.bin, weights.bin and
host.npz (the constants of the ops the host runs; `manifest["host"]` describes those ops).

The contract between compiler and runtime; it depends on the hardware model only (no IR).

No pickle anywhere. Loading checks the format version, every member's sha256, that the stream
decodes, and that every DMA stays inside the arena, before anything touches a device.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from canopy_ir.errors import ArtefactError, CanopyError
from canopy_ir.hw import isa
from canopy_ir.hw.config import HwConfig
from canopy_ir.hw.program import (
    AccelProgram,
    Region,
    expand_layer_ranges,
    layer_ranges,
    weights_image,
)
from canopy_ir.hw.verify import verify_stream

FORMAT = "canopy-artefact"
VERSION = 2
MEMBERS = ("insns.bin", "uops.bin", "weights.bin", "host.npz")
NO_HOST = {"inputs": [], "outputs": [], "tensors": {}, "ops": []}


@dataclass
class Artefact:
    config: HwConfig
    regions: list[Region]
    arena_bytes: int
    uop_offset: int
    insns: bytes
    uops: bytes
    weights: bytes
    manifest: dict
    host_consts: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def host(self) -> dict:
        """The host's part of the model: input/output names, host tensors and ops, in order."""
        return self.manifest.get("host") or NO_HOST

    def segments(self) -> list[tuple[int, int]]:
        """[first, end) instruction ranges the card runs as separate launches (each ends in
        FINISH); host ops run between them."""
        words = np.frombuffer(self.insns, "<u8").reshape(-1, 2)
        ends = (np.flatnonzero((words[:, 0] & np.uint64(7)) == int(isa.Opcode.FINISH)) + 1).tolist()
        return list(zip([0, *ends[:-1]], ends, strict=True))

    def io(self, role: str) -> list[Region]:
        return [r for r in self.regions if r.role == role]

    @property
    def insn_count(self) -> int:
        return len(self.insns) // isa.INSN_BYTES

    def instruction_layers(self) -> list[str | None]:
        """The model layer of each instruction (None where unnamed), from the manifest."""
        return expand_layer_ranges(self.manifest.get("layers", []), self.insn_count)

    @classmethod
    def from_program(cls, program: AccelProgram, pool, host: dict | None = None) -> Artefact:
        """The artefact of `program`, its weight regions filled from `pool` (arrays by name);
        `host` is the host's part of a partitioned model (`read_host_plan`), its constants are
        taken from `pool` too."""
        insns = isa.encode_insns(program.insns, program.config)
        uops = isa.encode_uops(program.uops, program.config)
        weights = weights_image(program.regions, pool)
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "hw_config": program.config.to_dict(),
            "arena_bytes": program.arena_bytes,
            "uop_offset": program.uop_offset,
            "insn_count": len(program.insns),
            "uop_count": len(program.uops),
            "regions": [r.to_json() for r in program.regions],
            "layers": layer_ranges(program.layers) if program.layers else [],
            "host": host or NO_HOST,
        }
        consts = {
            t["weight"]: np.asarray(pool[t["weight"]])
            for t in (host or NO_HOST)["tensors"].values()
            if t["role"] == "const"
        }
        return cls(
            program.config,
            program.regions,
            program.arena_bytes,
            program.uop_offset,
            insns,
            uops,
            weights,
            manifest,
            consts,
        )

    def save(self, path: str | Path, extra: dict[str, str] | None = None) -> None:
        consts = io.BytesIO()
        np.savez(consts, **self.host_consts)
        data = {
            "insns.bin": self.insns,
            "uops.bin": self.uops,
            "weights.bin": self.weights,
            "host.npz": consts.getvalue(),
        }
        manifest = dict(self.manifest)
        manifest["members"] = {
            k: {"bytes": len(v), "sha256": hashlib.sha256(v).hexdigest()} for k, v in data.items()
        }
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("manifest.json", json.dumps(manifest, indent=2))
            for name, blob in data.items():
                # int8 weights do not deflate (0.6% on ResNet-18's 36 MB), and deflating them
                # took a second of every compile: stored as they are
                stored = zipfile.ZIP_STORED if name == "weights.bin" else None
                z.writestr(name, blob, compress_type=stored)
            for name, text in (extra or {}).items():
                z.writestr(name, text)

    @classmethod
    def load(cls, path: str | Path) -> Artefact:
        where = str(path)
        try:
            with zipfile.ZipFile(path) as z:
                names = set(z.namelist())
                if "manifest.json" not in names:
                    raise ArtefactError("no manifest.json: not a canopy artefact", where)
                manifest = json.loads(z.read("manifest.json"))
                blobs = {}
                for name in MEMBERS:
                    if name not in names:
                        raise ArtefactError(f"member {name} is missing", where)
                    blobs[name] = z.read(name)
        except FileNotFoundError:
            raise ArtefactError("file not found", where) from None
        except (zipfile.BadZipFile, OSError) as exc:
            raise ArtefactError(f"not a readable zip archive ({exc})", where) from None
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise ArtefactError("manifest.json is not valid JSON", where) from None
        if not isinstance(manifest, dict) or not isinstance(manifest.get("members"), dict):
            raise ArtefactError("manifest.json is not a canopy artefact manifest", where)
        if manifest.get("format") != FORMAT:
            raise ArtefactError("manifest is not a canopy artefact manifest", where)
        if manifest.get("version") != VERSION:
            raise ArtefactError(
                f"format version {manifest.get('version')} is not supported "
                f"(this build reads version {VERSION}); recompile the model",
                where,
            )
        for name, blob in blobs.items():
            want = manifest.get("members", {}).get(name, {}).get("sha256")
            if hashlib.sha256(blob).hexdigest() != want:
                raise ArtefactError(f"{name} is corrupted (sha256 mismatch)", where)
        try:
            config = HwConfig.from_dict(manifest["hw_config"], where)
            regions = [Region.from_json(r) for r in manifest["regions"]]
            art = cls(
                config,
                regions,
                int(manifest["arena_bytes"]),
                int(manifest["uop_offset"]),
                blobs["insns.bin"],
                blobs["uops.bin"],
                blobs["weights.bin"],
                manifest,
                _read_consts(blobs["host.npz"], where),
            )
        except CanopyError:
            raise
        except (KeyError, TypeError, ValueError) as exc:
            raise ArtefactError(f"manifest is incomplete ({exc})", where) from None
        art.validate(where)
        _check_layers(manifest, art.insn_count, where)
        _check_host(art, where)
        return art

    def validate(self, where: str) -> None:
        try:
            insns = isa.decode_insns(self.insns, self.config)
            uops = isa.decode_uops(self.uops, self.config)
        except CanopyError as exc:
            raise ArtefactError(f"instruction stream does not decode: {exc}", where) from None
        if self.uop_offset + len(self.uops) > self.arena_bytes:
            raise ArtefactError("micro-op table lies outside the arena", where)
        for r in self.regions:
            if r.offset < 0 or r.offset + r.nbytes > self.arena_bytes:
                raise ArtefactError(f"region '{r.name}' lies outside the arena", where)
        try:
            verify_stream(
                insns, uops, self.config, arena_bytes=self.arena_bytes, uop_offset=self.uop_offset
            )
        except CanopyError as exc:
            raise ArtefactError(f"instruction stream fails verification: {exc}", where) from None


def _check_layers(manifest: dict, count: int, where: str) -> None:
    """The manifest's per-layer tables (not covered by the members' checksums) are well formed:
    `layers` as (name, first, end) instruction ranges, `layer_info` rows with their keys."""
    for r in manifest.get("layers", []):
        ok = isinstance(r, list) and len(r) == 3 and isinstance(r[0], str)
        if not ok or not all(isinstance(v, int) for v in r[1:]) or not 0 <= r[1] <= r[2] <= count:
            raise ArtefactError(f"manifest layer range {r!r} is malformed", where)
    for row in manifest.get("layer_info", []):
        keys = ("name", "op", "input_shape", "output_shape", "macs", "target")
        if not isinstance(row, dict) or any(k not in row for k in keys):
            raise ArtefactError(f"manifest layer_info row {row!r} is malformed", where)


def _read_consts(blob: bytes, where: str) -> dict[str, np.ndarray]:
    try:
        with np.load(io.BytesIO(blob), allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    except (OSError, ValueError, EOFError) as exc:
        raise ArtefactError(f"host.npz is not a readable .npz archive ({exc})", where) from None


def _check_host(art: Artefact, where: str) -> None:
    """The host plan names known kernels, known tensors and existing segments."""
    from canopy_ir.kernels import KERNELS

    plan = art.host
    try:
        tensors, ops = plan["tensors"], plan["ops"]
        regions = {r.name for r in art.regions}
        segments = len(art.segments())
        for name, t in tensors.items():
            if t["role"] == "const" and t["weight"] not in art.host_consts:
                raise ArtefactError(f"host constant '{name}' is missing from host.npz", where)
        for op in ops:
            if op["op"] not in KERNELS:
                raise ArtefactError(
                    f"host op '{op['layer']}' runs {op['op']}, which this build cannot run", where
                )
            for name in op["inputs"] + op["outputs"]:
                if name not in tensors and name not in regions:
                    raise ArtefactError(
                        f"host op '{op['layer']}' names an unknown tensor '{name}'", where
                    )
            if not 0 <= op["segment"] <= segments:
                raise ArtefactError(f"host op '{op['layer']}' follows a missing segment", where)
    except (KeyError, TypeError) as exc:
        raise ArtefactError(f"manifest host plan is malformed ({exc})", where) from None
