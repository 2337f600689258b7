"""syncd: a GitOps sync agent for Kubernetes."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("syncd")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
