"""Shared pytest plugins."""

pytest_plugins = ["tests.localnet_fixture", "tests.devnet_fixture"]
