"""creditguard: trade-credit risk and receivables management."""

__version__ = "0.1.0"
