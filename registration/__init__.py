"""Proof-of-work registration solvers: Numba CPU and Numba-CUDA (issue 6).

``registration.solver.solve`` is the entry point; importing this package loads no Numba code.
"""
