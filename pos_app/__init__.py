"""pos_app: a store membership point-of-sale counter app."""

__version__ = "0.1.0"
