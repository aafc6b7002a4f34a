"""ncc: ONNX/PyTorch → ncnn compiler built on xDSL."""
__version__ = "0.1.0"
