"""The layering of docs/architecture.md, checked on the source: what may import what, no cycles,
no oversized modules, one namespace in the installed package."""

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Source folders and the package each is installed as (pyproject.toml's package-dir).
SOURCES = {
    "canopy_ir": ROOT / "canopy_ir",
    "canopy_ir.backend": ROOT / "backend",
    "canopy_ir.frontends": ROOT / "frontends",
}

# Layers, lowest first. A module may import modules of its own layer or below, never above.
LAYERS = [
    ("errors", ["canopy_ir.errors"]),
    (
        "hardware model",
        [
            "canopy_ir.hw",
            "canopy_ir.quant",
            "canopy_ir.qaffine",
            "canopy_ir.kernels",
            "canopy_ir.artefact",
        ],
    ),
    ("IR", ["canopy_ir.ir", "canopy_ir.dialects", "canopy_ir.accel_program"]),
    ("interpreters and frontends", ["canopy_ir.interpreters", "canopy_ir.frontends"]),
    ("passes", ["canopy_ir.passes"]),
    (
        "compiler and runtime",
        ["canopy_ir.compiler", "canopy_ir.fuzz", "canopy_ir.universe", "canopy_ir.backend"],
    ),
    ("CLIs", ["canopy_ir.tools", "canopy_ir.compile", "canopy_ir"]),
]
# Narrower rules inside a layer.
FORBIDDEN = {
    # The runtime loads artefacts and drives cards: it needs the hardware model, not the IR.
    "canopy_ir.backend": [
        "canopy_ir.ir",
        "canopy_ir.dialects",
        "canopy_ir.accel_program",
        "canopy_ir.interpreters",
        "canopy_ir.frontends",
        "canopy_ir.passes",
        "canopy_ir.compiler",
        "canopy_ir.universe",
        "xdsl",
    ],
    "canopy_ir.hw": ["xdsl"],
    "canopy_ir.quant": ["xdsl"],
    "canopy_ir.qaffine": ["xdsl"],
    "canopy_ir.kernels": ["xdsl"],
    "canopy_ir.artefact": ["xdsl"],
    "canopy_ir.interpreters": ["canopy_ir.frontends"],
    "canopy_ir.compiler": ["canopy_ir.backend"],
    # config -> isa -> the rest of the hardware model
    "canopy_ir.hw.config": ["canopy_ir.hw."],
    "canopy_ir.hw.encoding": ["canopy_ir.hw."],
    "canopy_ir.hw.isa": [
        "canopy_ir.hw.layout",
        "canopy_ir.hw.schedule",
        "canopy_ir.hw.simulator",
        "canopy_ir.hw.cycles",
        "canopy_ir.hw.verify",
        "canopy_ir.hw.program",
    ],
}
MAX_LINES = 420  # "about 400"; dialect definitions are exempt (one op class per ONNX concept)


def _modules() -> dict[str, Path]:
    mods = {}
    for package, folder in SOURCES.items():
        for path in folder.rglob("*.py"):
            rel = path.relative_to(folder).with_suffix("")
            parts = [p for p in rel.parts if p != "__init__"]
            name = ".".join([package, *parts])
            if name.startswith("canopy_ir.backend") and package == "canopy_ir":
                continue
            mods[name] = path
    return mods


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """Every module `name` imports, at module level or inside functions."""
    out = set()
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module
            out.add(mod)
            for a in node.names:  # `from canopy_ir.hw import isa` imports a module
                if f"{mod}.{a.name}" in MODULES:
                    out.add(f"{mod}.{a.name}")
    return out


IMPORTS = {name: _imports(name, path) for name, path in MODULES.items()}


def _within(name: str, prefix: str) -> bool:
    return (
        name == prefix
        or name.startswith(prefix + ".")
        or (prefix.endswith(".") and name.startswith(prefix))
    )


def _layer(name: str) -> int:
    best, rank = -1, None
    for i, (_, prefixes) in enumerate(LAYERS):
        for p in prefixes:
            if _within(name, p) and len(p) > best:
                best, rank = len(p), i
    assert rank is not None, f"{name} belongs to no layer: add it to LAYERS"
    return rank


def test_every_module_has_a_layer():
    for name in MODULES:
        _layer(name)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_point_down(name):
    own = _layer(name)
    for target in IMPORTS[name]:
        if _within(target, "canopy_ir") and target in MODULES:
            assert _layer(target) <= own, (
                f"{name} ({LAYERS[own][0]}) imports {target} ({LAYERS[_layer(target)][0]})"
            )
        for scope, banned in FORBIDDEN.items():
            if _within(name, scope):
                for b in banned:
                    assert not _within(target, b), f"{name} must not import {target}"


def test_no_import_cycles():
    graph = {n: {t for t in IMPORTS[n] if t in MODULES and t != n} for n in MODULES}
    # A package's __init__ may re-export its submodules (registries); a submodule importing its
    # own package __init__ back is then the cycle that matters, so keep both directions.
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n: str) -> None:
        state[n] = 1
        stack.append(n)
        for m in sorted(graph[n]):
            if state.get(m) == 1:
                cycle = stack[stack.index(m) :] + [m]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if m not in state:
                visit(m)
        stack.pop()
        state[n] = 2

    for n in sorted(graph):
        if n not in state:
            visit(n)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_size(name):
    if _within(name, "canopy_ir.dialects"):
        return
    lines = len(MODULES[name].read_text().splitlines())
    assert lines <= MAX_LINES, f"{MODULES[name]} has {lines} lines; split it by concern"


def test_pyproject_lists_every_package():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    packages = {n for n, p in MODULES.items() if p.name == "__init__.py"}
    assert set(project["packages"]) == packages
    assert project["package-dir"] == {k: str(v.relative_to(ROOT)) for k, v in SOURCES.items()}


@pytest.mark.parametrize("module", ["canopy_ir.hw.simulator", "canopy_ir.backend.pcie"])
def test_runtime_and_hardware_model_load_without_xdsl(module):
    code = (
        f"import sys, {module}; bad = sorted(m for m in sys.modules if m.split('.')[0] == 'xdsl');"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
