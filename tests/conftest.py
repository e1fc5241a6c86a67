"""Shared pytest plugins."""

# Import hypothesis while the stack is shallow. Its pytest plugin otherwise imports it during the
# terminal summary, where CPython 3.11.7's AST validator (gh-106905) can fail with "AST constructor
# recursion depth mismatch" while pytest rewrites the module's asserts.
import hypothesis  # noqa: F401

pytest_plugins = ["tests.localnet_fixture", "tests.devnet_fixture"]

# Scripts run with the reference SDK's venv (they import bittensor), not modules of the suite; --doctest-modules
# would import them.
collect_ignore = ["unit/wallet/data/make_vectors.py"]
