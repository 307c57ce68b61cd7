"""replicator: screenshots and screen recordings of web UIs -> faithful, self-contained HTML."""

__version__ = "0.1.0"
