"""Proof-of-work registration solvers: Numba CPU and Numba-CUDA (issue 6)."""
