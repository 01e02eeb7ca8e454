"""Import cost, structurally: which modules ``import watchlists`` and its public API do
*not* load (``benchmarks/bench_report.py`` times it; this only pins the module set, in
a fresh interpreter, so it never depends on the machine's speed)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import valuation

FULL_API = "import watchlists; [getattr(watchlists, n) for n in watchlists.__all__]"

# Needed only inside functions (reading bundled data, parsing TOML, ``__version__`` from
# installed metadata, a Wilson interval), so loading the public API must not import them.
NOT_ON_IMPORT = (
    "importlib.metadata",
    "email",
    "statistics",
    "tomllib",
    "importlib.resources",
    "watchlists._toml_lines",
    "watchlists._user_data",
)

# The models ``watchlists`` does not use at import time: loaded on first use only.
LAZY_MODELS = (
    "valuation.growth",
    "valuation.intrinsic",
    "valuation.multiples",
    "valuation.performance",
    "valuation.reverse",
    "valuation.simulation",
    "valuation.targets",
    "valuation.track_record",
    "valuation.universe",
)


def _modules_after(statement: str) -> set[str]:
    code = f"import sys, json; {statement}; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    return set(json.loads(out.stdout.splitlines()[-1]))


def test_public_api_loads_no_function_only_modules():
    loaded = _modules_after(FULL_API)
    assert "watchlists.records" in loaded  # the statement really loaded the API
    assert not [m for m in (*NOT_ON_IMPORT, *LAZY_MODELS) if m in loaded]


def test_version_needs_no_metadata_lookup():
    loaded = _modules_after("import watchlists; watchlists.__version__")
    assert "importlib.metadata" not in loaded


@pytest.mark.parametrize("statement", ["import valuation", "import valuation; dir(valuation)"])
def test_valuation_import_loads_no_model(statement):
    loaded = _modules_after(statement)
    assert not [m for m in loaded if m.startswith("valuation.")]


def test_valuation_names_load_their_module_on_first_use():
    loaded = _modules_after("from valuation import dcf")
    assert "valuation.intrinsic" in loaded
    assert "valuation.reverse" not in loaded and "valuation.simulation" not in loaded


def test_lazy_valuation_namespace_behaves_like_an_eager_one():
    from valuation import intrinsic

    assert valuation.dcf is intrinsic.dcf
    assert set(valuation.__all__) <= set(dir(valuation))
    assert set(valuation._EXPORTS) == set(valuation.__all__)
    namespace: dict[str, object] = {}
    exec("from valuation import *", namespace)
    assert set(valuation.__all__) <= set(namespace)
    with pytest.raises(AttributeError, match="no_such_model"):
        valuation.no_such_model
    with pytest.raises(ImportError):
        exec("from valuation import no_such_model", {})
