"""Imports that would cost memory for code that never runs here, deferred until it does."""

from __future__ import annotations

import importlib
import sys
import types

_OTLP_EXPORTER = "opentelemetry.exporter.otlp.proto.grpc.trace_exporter"


def defer_chroma_trace_exporter() -> None:
    """chromadb imports OpenTelemetry's gRPC span exporter when it is imported, although it builds
    one only when CHROMA_OTEL_COLLECTION_ENDPOINT is set; gRPC then stays resident in every process
    (docs/measurements-2026.md). A stand-in takes its name and imports the real exporter the first time one is built."""
    if _OTLP_EXPORTER in sys.modules or "chromadb" in sys.modules:
        return
    stand_in = types.ModuleType(_OTLP_EXPORTER)

    class OTLPSpanExporter:
        def __new__(cls, *args, **kwargs):
            if sys.modules.get(_OTLP_EXPORTER) is stand_in:
                del sys.modules[_OTLP_EXPORTER]
            return importlib.import_module(_OTLP_EXPORTER).OTLPSpanExporter(*args, **kwargs)

    stand_in.OTLPSpanExporter = OTLPSpanExporter
    sys.modules[_OTLP_EXPORTER] = stand_in
