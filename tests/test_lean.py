"""chromadb's tracing exporter (and gRPC with it) is imported only when tracing is really used."""

import pytest

from tests.conftest import run_fresh

SCRIPT = """
import sys
import footnote.store, footnote.indexer  # everything that imports chromadb
assert "chromadb" in sys.modules
print("grpc" in sys.modules)
from chromadb.telemetry.opentelemetry import OTLPSpanExporter  # the name chromadb bound
exporter = OTLPSpanExporter(endpoint="http://127.0.0.1:9", insecure=True)
print(type(exporter).__module__, "grpc" in sys.modules)
"""


@pytest.mark.slow  # a fresh interpreter importing chromadb and gRPC
def test_grpc_loads_only_when_a_trace_exporter_is_built():
    done = run_fresh(SCRIPT)
    assert done.returncode == 0, done.stderr
    before, after = done.stdout.splitlines()
    assert before == "False"
    assert after == "opentelemetry.exporter.otlp.proto.grpc.trace_exporter True"
