"""chromadb's tracing exporter (and gRPC with it) is imported only when tracing is really used."""
import subprocess
import sys
from pathlib import Path

SCRIPT = """
import sys
import footnote.store, footnote.indexer  # everything that imports chromadb
assert "chromadb" in sys.modules
print("grpc" in sys.modules)
from chromadb.telemetry.opentelemetry import OTLPSpanExporter  # the name chromadb bound
exporter = OTLPSpanExporter(endpoint="http://127.0.0.1:9", insecure=True)
print(type(exporter).__module__, "grpc" in sys.modules)
"""


def test_grpc_loads_only_when_a_trace_exporter_is_built():
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parent.parent)
    assert done.returncode == 0, done.stderr
    before, after = done.stdout.splitlines()
    assert before == "False"
    assert after == "opentelemetry.exporter.otlp.proto.grpc.trace_exporter True"
