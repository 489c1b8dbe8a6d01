"""The installed package's version (one source: the package metadata)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("pennylane-ionq-batch")
except PackageNotFoundError:  # pragma: no cover - running from a source tree never installed
    __version__ = "0+unknown"
