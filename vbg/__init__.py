"""vbg: real-time virtual background for webcams."""

__version__ = "0.1.0"
