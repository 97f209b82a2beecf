#!/usr/bin/env bash
# Build the FPGA form of the canopy-ir accelerator (vta.cl, kernel `vta_core`) for an Intel
# Arria 10 or Stratix 10 board with the Intel FPGA SDK for OpenCL offline compiler, aoc.
#
#   build_aoc.sh [CONFIG] [extra aoc options...]
#
#   CONFIG   a vta_config.json or a canopy-ir preset name (default: arria10)
#   BOARD    the board variant of your BSP, as `aoc -list-boards` names it (e.g. a10gx, s10gx)
#   EMULATOR=1  compile for the emulator (-march=emulator), which runs on the host, in minutes
#   OUT      the image to write (default: vta_<config>.aocx)
#   PYTHON   the Python that has canopy-ir installed (default: python3)
#
# The configuration becomes -D defines (python -m canopy_ir.backend.opencl.defines), so the
# image implements exactly that configuration; load it with
# OpenCLCard(config, form="fpga", binary="vta_<config>.aocx") on the board's OpenCL platform.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
config="${1:-arria10}"
shift || true
python="${PYTHON:-python3}"
name="$(basename "${config%.json}")"
out="${OUT:-vta_${name}.aocx}"

if ! command -v aoc >/dev/null 2>&1; then
  echo "error: aoc not found; set up the Intel FPGA SDK for OpenCL first (source init_opencl.sh)" >&2
  exit 2
fi
flags="$("$python" -m canopy_ir.backend.opencl.defines "$config" --form fpga)"

args=(-v)
if [[ -n "${EMULATOR:-}" ]]; then
  args+=(-march=emulator)
elif [[ -n "${BOARD:-}" ]]; then
  args+=("-board=${BOARD}")
fi

echo "aoc: ${config} -> ${out}" >&2
# shellcheck disable=SC2086  # one word per -D flag
exec aoc "${args[@]}" $flags "$@" "${here}/vta.cl" -o "${out}"
