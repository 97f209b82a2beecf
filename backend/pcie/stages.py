"""Split a compiled model into consecutive pipeline stages, one artefact per stage, for
`multi.PipelineSession` (each stage resident on its own card, values crossing through the host).

Takes an `Artefact` (target sim or accel-opencl) and a number of stages, or the layers where the
later stages begin; produces `Stage`s whose artefacts are ordinary artefacts for `Session`: the
arena layout, micro-op table and weights of the model (every card holds the whole arena; a
stage's stream touches only its own layers' weights) and a stream of the stage's instructions.

A stage boundary lies between the card's segments (host ops run there anyway; they go with the
stage after the boundary) or at a cut point inside a segment (`cuts.StreamCuts`). Every stage
stream passes the stream verifier (`Artefact.validate`), dependency tokens included.

What crosses: a card region one stage touches after an earlier stage wrote it is read back from
the latest writer's card and written into the next card's arena as whole packed bytes (padding
lanes included, so the bytes are those a single card would hold); a host value a stage computes
and a later stage uses is handed on unchanged. Such values are named `@<region or host tensor>`;
model inputs and outputs keep their ONNX names.

Stages are balanced on the cycle model: the contiguous split minimising the largest stage's
modelled cycles (host ops count zero).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from canopy_ir.artefact import Artefact
from canopy_ir.backend.pcie.cuts import StreamCuts
from canopy_ir.errors import CanopyError
from canopy_ir.hw.isa import Opcode
from canopy_ir.hw.program import Region, layer_ranges
from canopy_ir.hw.stream import Stream

CROSS = "@"  # prefix of the names of values crossing between stages


@dataclass
class Stage:
    """One stage: its artefact, the model layers it runs, the values it takes and gives."""

    index: int
    artefact: Artefact
    layers: list[str]
    inputs: list[str]
    outputs: list[str]
    estimated_cycles: int  # from the cycle model of the whole model's segments


@dataclass
class _Block:
    """The model between two consecutive cut points: host ops, then instructions [first, end)
    of segment `segment` (the last block also holds the host ops after the last segment)."""

    host_before: list[dict]
    segment: int
    first: int
    end: int
    cycles: int
    host_after: list[dict] = field(default_factory=list)


def split_artefact(
    art: Artefact, stages: int | None = None, boundaries: Sequence[str] | None = None
) -> list[Stage]:
    """`stages` balanced stages, or one stage per run of layers starting at each of
    `boundaries` (layer names; the first stage starts at the model's beginning)."""
    if art.manifest.get("target", "sim") == "opencl":
        raise CanopyError("a target-opencl artefact has no card work to split into stages")
    model = _Splitter(art)
    blocks = model.blocks()
    if boundaries is not None:
        starts = model.starts_at(blocks, boundaries)
    else:
        if stages is None or stages < 1:
            raise CanopyError(f"need a positive number of stages, got {stages}")
        if stages > len(blocks):
            raise CanopyError(
                f"the model can be cut into at most {len(blocks)} stages "
                f"(cut points before layers {model.block_names(blocks)[1:]}); asked for {stages}"
            )
        starts = _balance([b.cycles for b in blocks], stages)
    groups = [blocks[a:b] for a, b in zip(starts, [*starts[1:], len(blocks)], strict=True)]
    return model.stages(groups)


def cut_points(art: Artefact) -> list[str]:
    """The layers a later stage may start at, in model order."""
    splitter = _Splitter(art)
    return [n for n in splitter.block_names(splitter.blocks())[1:] if n is not None]


def _balance(costs: list[int], n: int) -> list[int]:
    """Start indices of `n` contiguous groups of `costs` minimising the largest group's sum."""
    prefix = np.concatenate([[0], np.cumsum(costs)])
    m = len(costs)
    inf = float("inf")
    best = [[inf] * (m + 1) for _ in range(n + 1)]  # best[k][j]: first j costs in k groups
    cut = [[0] * (m + 1) for _ in range(n + 1)]
    best[0][0] = 0
    for k in range(1, n + 1):
        for j in range(k, m - (n - k) + 1):
            for i in range(k - 1, j):
                worst = max(best[k - 1][i], prefix[j] - prefix[i])
                if worst < best[k][j]:
                    best[k][j], cut[k][j] = worst, i
    starts, j = [], m
    for k in range(n, 0, -1):
        j = cut[k][j]
        starts.append(j)
    return starts[::-1]


class _Splitter:
    """Cuts the model into blocks and assembles stages from consecutive blocks."""

    def __init__(self, art: Artefact):
        self.art = art
        self.stream = StreamCuts(art)
        self.layers = self.stream.layers
        self.tensors: dict[str, dict] = art.host["tensors"]
        self.regions = {r.name: r for r in art.regions}

    def blocks(self) -> list[_Block]:
        """The model as blocks between consecutive cut points, with their modelled cycles."""
        blocks: list[_Block] = []
        for k, (f, e) in enumerate(self.stream.segments):
            end = self.stream.segment_cycles(k)
            bounds = [f, *self.stream.cuts(k), e]
            for i, (a, b) in enumerate(zip(bounds, bounds[1:], strict=False)):
                host = self.ops_before(k) if i == 0 else []
                spent = int(end[b - 1 - f] - (end[a - 1 - f] if a > f else 0))
                blocks.append(_Block(host, k, a, b, spent))
        if not blocks:
            raise CanopyError("the model has no card instructions to split into stages")
        blocks[-1].host_after = self.ops_before(len(self.stream.segments))
        return blocks

    def ops_before(self, segment: int) -> list[dict]:
        return [op for op in self.art.host["ops"] if op["segment"] == segment]

    def block_names(self, blocks: list[_Block]) -> list[str | None]:
        return [self.layers[b.first] for b in blocks]

    def starts_at(self, blocks: list[_Block], boundaries: Sequence[str]) -> list[int]:
        names = self.block_names(blocks)
        starts = [0]
        for name in boundaries:
            if name not in names[1:]:
                raise CanopyError(
                    f"the model cannot be cut before layer '{name}' (it can before {names[1:]})"
                )
            starts.append(names.index(name, 1))
        if starts != sorted(set(starts)):
            raise CanopyError(f"stage boundaries {list(boundaries)} are not in model order")
        return starts

    # ---- the stages' artefacts --------------------------------------------------------------
    def stages(self, groups: list[list[_Block]]) -> list[Stage]:
        plans = [self._plan(g) for g in groups]
        _connect(plans, self.art.regions, self.tensors)
        return [self._stage(k, plan) for k, plan in enumerate(plans)]

    def _plan(self, group: list[_Block]) -> dict:
        """A stage's merged instruction ranges, host ops (renumbered) and what it touches."""
        ranges: list[tuple[int, int, int]] = []  # (segment, first, end)
        ops: list[dict] = []
        for block in group:
            if ranges and ranges[-1][0] == block.segment:
                ranges[-1] = (block.segment, ranges[-1][1], block.end)
            else:
                ops += [dict(op, segment=len(ranges)) for op in block.host_before]
                ranges.append((block.segment, block.first, block.end))
        ops += [dict(op, segment=len(ranges)) for op in group[-1].host_after]
        cols, access = self.stream.cols, self.stream.access
        rows = np.zeros(len(cols), bool)
        for _, a, b in ranges:
            rows[a:b] = True
        touched, written = set(), set()
        ld = access.dram_read.mask & (cols[:, 0] == Opcode.LOAD) & rows
        st = access.dram_write.mask & rows
        for r in self.art.regions:
            if r.role == "weight":
                continue
            hit = {
                name: s.mask & (s.lo < r.offset + r.nbytes) & (s.hi > r.offset)
                for name, s in (("read", access.dram_read), ("write", access.dram_write))
            }
            if (hit["read"] & ld).any() or (hit["write"] & st).any():
                touched.add(r.name)
            if (hit["write"] & st).any():
                written.add(r.name)
        for op in ops:
            touched.update(n for n in op["inputs"] if n in self.regions)
            for n in op["outputs"]:
                card = self.tensors[n].get("card")
                if card is not None:
                    touched.add(card)
                    written.add(card)
        cycles = sum(b.cycles for b in group)
        return dict(ranges=ranges, ops=ops, touched=touched, written=written, cycles=cycles)

    def _stage(self, k: int, plan: dict) -> Stage:
        rows, names = [], []
        for s, a, b in plan["ranges"]:
            part, labels = self.stream.part(s, a, b)
            rows.append(part)
            names += labels
        cols = np.concatenate(rows)
        art, cfg = self.art, self.art.config
        manifest = {k_: v for k_, v in art.manifest.items() if k_ not in ("members", "layer_info")}
        manifest.update(
            insn_count=len(cols),
            regions=[r.to_json() for r in plan["regions"]],
            layers=layer_ranges(names),
            host=plan["host"],
            stage={"index": k, "layers": _distinct(names)},
        )
        stage_art = Artefact(
            cfg,
            plan["regions"],
            art.arena_bytes,
            art.uop_offset,
            Stream(cols).encode(cfg),
            art.uops,
            art.weights,
            manifest,
            art.host_consts,
        )
        stage_art.validate(f"pipeline stage {k}")
        host = plan["host"]
        return Stage(
            k, stage_art, _distinct(names), host["inputs"], host["outputs"], plan["cycles"]
        )


def _connect(plans: list[dict], regions: list[Region], tensors: dict[str, dict]) -> None:
    """Decide what each stage takes and gives; fill each plan's regions and host plan."""
    takes: list[dict[str, Region | None]] = [{} for _ in plans]  # name → region (None: host)
    gives: list[dict[str, Region | None]] = [{} for _ in plans]
    final = {}
    for r in regions:
        if r.role == "weight":
            continue
        writer = None
        for k, plan in enumerate(plans):
            if r.name in plan["touched"] and writer is not None and r.role != "input":
                takes[k][CROSS + r.name] = gives[writer][CROSS + r.name] = r
            if r.name in plan["written"]:
                writer = k
        final[r.name] = len(plans) - 1 if writer is None else writer
    producer = {n: k for k, p in enumerate(plans) for op in p["ops"] for n in op["outputs"]}
    for k, plan in enumerate(plans):
        for op in plan["ops"]:
            for n in op["inputs"]:
                t = tensors.get(n)
                if t is None or t["role"] == "const" or producer.get(n) == k:
                    continue
                key = t.get("onnx_name") or CROSS + n
                takes[k][key] = None
                if t["role"] != "input":
                    gives[producer[n]][key] = None
    for k, plan in enumerate(plans):
        stage_regions = []
        for r in regions:
            keep = (
                r.role == "weight"
                or r.role == "scratch"
                or (r.role == "input" and r.name in plan["touched"])
                or (r.role == "output" and final[r.name] == k)
            )
            stage_regions.append(r if keep else replace(r, role="scratch"))
        for role, values in (("input", takes[k]), ("output", gives[k])):
            stage_regions += [_crossing(r, role) for r in values.values() if r is not None]
        computed = {n for op in plan["ops"] for n in op["outputs"]}
        stage_tensors = {}
        for n, t in tensors.items():
            key = t.get("onnx_name") or CROSS + n
            if key in takes[k] and n not in computed:
                t = dict(t, role="input", onnx_name=key)
            elif (key in gives[k] or t["role"] == "output") and n in computed:
                t = dict(t, role="output", onnx_name=key)
            elif t["role"] in ("input", "output"):
                t = {x: v for x, v in t.items() if x != "onnx_name"} | {"role": "value"}
            stage_tensors[n] = t
        io = {"input": [], "output": []}
        for r in stage_regions:
            if r.role in io:
                io[r.role].append(r.onnx_name)
        for t in stage_tensors.values():
            if t["role"] in io:
                io[t["role"]].append(t["onnx_name"])
        plan["regions"] = stage_regions
        plan["host"] = {
            "inputs": io["input"],
            "outputs": io["output"],
            "tensors": stage_tensors,
            "ops": plan["ops"],
        }


def _crossing(r: Region, role: str) -> Region:
    """Region `r` as a stage input or output of its whole packed bytes, unquantized."""
    if r.dtype != "int8" or len(r.packed_shape) != 6 or np.prod(r.packed_shape) != r.nbytes:
        raise CanopyError(
            f"region '{r.name}' (dtype {r.dtype}, packed shape {r.packed_shape}) cannot cross "
            "between pipeline stages: only packed int8 activations can"
        )
    nb, cb, h, w, b, bi = r.packed_shape
    return Region(
        f"{r.name}{CROSS}{role}",
        r.offset,
        r.nbytes,
        role,
        r.packed_shape,
        r.dtype,
        logical_shape=(nb * b, cb * bi, h, w),
        onnx_name=CROSS + r.name,
    )


def _distinct(names: list[str | None]) -> list[str]:
    return list(dict.fromkeys(n for n in names if n is not None))
