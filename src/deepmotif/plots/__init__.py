"""Figures (matplotlib). Every function returns a Figure; the CLI writes PNG and SVG."""
