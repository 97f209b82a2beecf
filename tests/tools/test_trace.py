"""canopy-run --trace: the cycle model's timeline in the Chrome trace-event format."""

import json

import onnx
from small_cnn import build_small_cnn, sample_input

from canopy_ir.artefact import Artefact
from canopy_ir.hw import isa
from canopy_ir.tools.compile import main as compile_main
from canopy_ir.tools.run import main as run_main


def test_trace_has_every_instruction_on_its_module_track(tmp_path):
    import numpy as np

    onnx.save(build_small_cnn(), tmp_path / "m.onnx")
    np.save(tmp_path / "x.npy", sample_input())
    art = tmp_path / "m.canopy"
    assert compile_main([str(tmp_path / "m.onnx"), "-o", str(art), "-q"]) == 0
    trace = tmp_path / "t.json"
    assert run_main([str(art), "--input", str(tmp_path / "x.npy"), "--trace", str(trace)]) == 0
    data = json.loads(trace.read_text())
    names = {
        e["tid"]: e["args"]["name"] for e in data["traceEvents"] if e["ph"] == "M" and "tid" in e
    }
    assert set(names.values()) == {"LOAD", "COMPUTE", "STORE", "layers"}
    spans = [e for e in data["traceEvents"] if e["ph"] == "X" and e["cat"] == "instruction"]
    count = len(Artefact.load(art).insns) // isa.INSN_BYTES
    assert sorted(e["args"]["index"] for e in spans) == list(range(count))  # every instruction
    by_track: dict[int, list] = {}
    for e in spans:
        assert e["args"]["end_cycle"] > e["args"]["start_cycle"] >= 0
        by_track.setdefault(e["tid"], []).append(e)
    for track in by_track.values():  # a module runs one instruction at a time, in order
        track.sort(key=lambda e: e["args"]["index"])
        for a, b in zip(track, track[1:], strict=False):
            assert b["args"]["start_cycle"] >= a["args"]["end_cycle"]
    total = max(e["args"]["end_cycle"] for e in spans)
    assert total == data["otherData"]["total_cycles"]
    load = [(e["ts"], e["ts"] + e["dur"]) for e in by_track[1]]
    compute = [(e["ts"], e["ts"] + e["dur"]) for e in by_track[2]]
    assert any(a < d and c < b for a, b in load for c, d in compute)  # loads overlap compute
    layers = [e["name"] for e in data["traceEvents"] if e.get("cat") == "layer"]
    assert layers[:3] == ["conv1", "conv2", "fc"]
