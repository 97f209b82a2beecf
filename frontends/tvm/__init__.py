"""TVM interoperation, without depending on TVM (`pip install "canopy-ir[tvm]"` adds it).

- `import_relax(mod, params=None)`: a Relax `tvm.IRModule` (e.g. from TVM's own ONNX importer,
  `tvm.relax.frontend.onnx.from_onnx`) → a graph-dialect module, weights in its weight pool;
- `export_relax(module)`: a graph-dialect module → a Relax `tvm.IRModule`, weights bound as
  constants, ready for `relax.build(mod, target="llvm")`;
- `run_relax(mod, *inputs)`: build a Relax module for the CPU and run it (numpy in, numpy out).

Importing this package never imports TVM; each function does, and without TVM raises a
`FrontendError` whose one line names the extra to install.
"""

from canopy_ir.frontends.tvm.common import (
    INSTALL_HINT,
    ExportError,
    UnsupportedRelaxOpError,
    require_tvm,
)
from canopy_ir.frontends.tvm.relax_export import export_relax, run_relax
from canopy_ir.frontends.tvm.relax_import import import_relax

__all__ = [
    "INSTALL_HINT",
    "ExportError",
    "UnsupportedRelaxOpError",
    "export_relax",
    "import_relax",
    "require_tvm",
    "run_relax",
]
