"""The compiled artefact (`.canopy`): a zip of manifest.json, insns.bin, uops.bin, weights.bin.

The contract between compiler and runtime; it depends on the hardware model only (no IR).

No pickle anywhere. Loading checks the format version, every member's sha256, that the stream
decodes, and that every DMA stays inside the arena, before anything touches a device.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

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
VERSION = 1
MEMBERS = ("insns.bin", "uops.bin", "weights.bin")


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

    def io(self, role: str) -> list[Region]:
        return [r for r in self.regions if r.role == role]

    @property
    def insn_count(self) -> int:
        return len(self.insns) // isa.INSN_BYTES

    def instruction_layers(self) -> list[str | None]:
        """The model layer of each instruction (None where unnamed), from the manifest."""
        return expand_layer_ranges(self.manifest.get("layers", []), self.insn_count)

    @classmethod
    def from_program(cls, program: AccelProgram, pool) -> Artefact:
        """The artefact of `program`, its weight regions filled from `pool` (arrays by name)."""
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
        )

    def save(self, path: str | Path, extra: dict[str, str] | None = None) -> None:
        data = {"insns.bin": self.insns, "uops.bin": self.uops, "weights.bin": self.weights}
        manifest = dict(self.manifest)
        manifest["members"] = {
            k: {"bytes": len(v), "sha256": hashlib.sha256(v).hexdigest()} for k, v in data.items()
        }
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("manifest.json", json.dumps(manifest, indent=2))
            for name, blob in data.items():
                z.writestr(name, blob)
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
            )
        except CanopyError:
            raise
        except (KeyError, TypeError, ValueError) as exc:
            raise ArtefactError(f"manifest is incomplete ({exc})", where) from None
        art.validate(where)
        _check_layers(manifest, art.insn_count, where)
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
