#!/usr/bin/env bash
# Build the FPGA form of the canopy-ir accelerator (vta.cl, kernel `vta_core`) for a Xilinx
# board, e.g. AWS F1, with the Vitis compiler v++: compile to a Xilinx object, link it with the
# platform into an .xclbin. OpenCL C kernels need Vitis 2022.2 or older (later releases take
# C++ kernels only); AWS F1's aws-fpga Vitis flow is such a release.
#
#   build_vpp.sh [CONFIG] [extra v++ compile options...]
#
#   CONFIG    a vta_config.json or a canopy-ir preset name (default: stratix10-vu9p)
#   PLATFORM  the platform (.xpfm or its name); AWS F1: $AWS_PLATFORM after aws-fpga's
#             vitis_setup.sh, e.g. xilinx_aws-vu9p-f1_shell-v04261818_201920_3
#   TARGET    hw (default), hw_emu or sw_emu
#   OUT       the binary to write (default: vta_<config>.<target>.xclbin)
#   LINK_OPTS extra v++ link options (e.g. --kernel_frequency 250)
#   PYTHON    the Python that has canopy-ir installed (default: python3)
#
# On AWS F1 the .xclbin becomes an AFI with aws-fpga's tool:
#   $VITIS_DIR/tools/create_vitis_afi.sh -xclbin=vta_<config>.hw.xclbin -o=vta_<config> \
#       -s3_bucket=<bucket> -s3_dcp_key=<folder> -s3_logs_key=<folder>
# and the resulting .awsxclbin loads with
#   OpenCLCard(config, form="fpga", binary="vta_<config>.awsxclbin").
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
config="${1:-stratix10-vu9p}"
shift || true
python="${PYTHON:-python3}"
target="${TARGET:-hw}"
name="$(basename "${config%.json}")"
out="${OUT:-vta_${name}.${target}.xclbin}"
platform="${PLATFORM:-${AWS_PLATFORM:-}}"

if ! command -v v++ >/dev/null 2>&1; then
  echo "error: v++ not found; set up Vitis first (source <Vitis>/settings64.sh)" >&2
  exit 2
fi
if [[ -z "${platform}" ]]; then
  echo "error: set PLATFORM (or AWS_PLATFORM) to the target platform" >&2
  exit 2
fi
flags="$("$python" -m canopy_ir.backend.opencl.defines "$config" --form fpga)"

xo="${out%.xclbin}.xo"
echo "v++: ${config} -> ${xo} -> ${out} (${target}, ${platform})" >&2
# shellcheck disable=SC2086  # one word per -D flag
v++ -c -t "${target}" --platform "${platform}" -k vta_core $flags "$@" -o "${xo}" "${here}/vta.cl"
# shellcheck disable=SC2086  # LINK_OPTS holds several words
v++ -l -t "${target}" --platform "${platform}" ${LINK_OPTS:-} -o "${out}" "${xo}"
