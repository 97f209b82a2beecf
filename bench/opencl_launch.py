"""What a kernel launch costs on an OpenCL device: back-to-back launches of a kernel that does
almost nothing, timed on the host (enqueuing, and until the queue is drained) and by the
device's profiling counters (first start to last end), on a queue with profiling and on one
without, and as one recorded sequence (cl_khr_command_buffer, where the device has it). The
floor under a network's per-layer launches at batch 1.

    python -m bench.opencl_launch [--device NVIDIA] [--launches 60] [--repeats 20]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device")
    ap.add_argument("--launches", type=int, default=60)
    ap.add_argument("--repeats", type=int, default=20)
    args = ap.parse_args(argv)
    from canopy_ir.backend.opencl.codegen import get_runtime, relu
    from canopy_ir.backend.opencl.command_buffer import CommandBuffers

    rt = get_runtime(args.device)
    cl = rt.cl
    kernel = relu((256,), "float32")
    k = cl.Kernel(rt.program(kernel), kernel.name)
    a = cl.Buffer(rt.context, cl.mem_flags.READ_WRITE, 1024)
    b = cl.Buffer(rt.context, cl.mem_flags.READ_WRITE, 1024)
    k.set_args(a, b)
    queues = {"plain": cl.CommandQueue(rt.context, rt.device), "profiling": rt.queue}
    print(f"{rt.name}: {args.launches} launches back to back, median of {args.repeats}")
    graphs = CommandBuffers(queues["plain"], rt.device)
    if graphs.available:
        handle = graphs.record([(k, (256,), (256,))] * args.launches)
        if handle is not None:
            q = queues["plain"]
            seconds = []
            for rep in range(args.repeats + 1):
                t0 = time.perf_counter()
                graphs.enqueue(handle)
                t1 = time.perf_counter()
                q.finish()
                if rep:
                    seconds.append(((t1 - t0), time.perf_counter() - t0))
            enqueue = statistics.median(s[0] for s in seconds)
            total = statistics.median(s[1] for s in seconds) / args.launches
            print(f"recorded   one enqueue {enqueue * 1e6:6.2f} us for all, until drained "
                  f"{total * 1e6:6.2f} us/launch", flush=True)  # fmt: skip
    print(f"command buffers: {'yes' if graphs.available else graphs.why_not}", flush=True)
    for label, q in queues.items():
        enqueue, total, span = [], [], []
        for rep in range(args.repeats + 1):
            t0 = time.perf_counter()
            events = [cl.enqueue_nd_range_kernel(q, k, (256,), (256,))
                      for _ in range(args.launches)]  # fmt: skip
            t1 = time.perf_counter()
            q.finish()
            t2 = time.perf_counter()
            if rep == 0:
                continue  # warm-up
            enqueue.append((t1 - t0) / args.launches)
            total.append((t2 - t0) / args.launches)
            if label == "profiling":
                s = min(e.profile.start for e in events)
                e = max(e.profile.end for e in events)
                span.append((e - s) * 1e-9 / args.launches)
        line = (f"{label:10s} enqueue {statistics.median(enqueue) * 1e6:6.2f} us/launch, "
                f"until drained {statistics.median(total) * 1e6:6.2f} us/launch")  # fmt: skip
        if span:
            line += f", device first start to last end {statistics.median(span) * 1e6:6.2f} us"
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
