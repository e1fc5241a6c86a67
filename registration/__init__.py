"""Proof-of-work registration solvers: Numba CPU and Numba-CUDA (``bt_llm.registration``;
``registration`` until the next release).

``bt_llm.registration.solver.solve`` is the entry point; importing this package loads no Numba code.
"""

if __name__ == "registration":  # imported under its old name (until the next release)
    from bt_llm.old_names import old_name

    old_name(__name__)
