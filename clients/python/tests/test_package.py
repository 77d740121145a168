"""The installed package: typed, and importable as its documentation says."""

from __future__ import annotations

import importlib.resources

import sandpit_client


def test_package_is_typed() -> None:
    assert importlib.resources.files("sandpit_client").joinpath("py.typed").is_file()


def test_public_names() -> None:
    for name in sandpit_client.__all__:
        assert hasattr(sandpit_client, name), name
    from sandpit_client.evaluation import check_correctness, pass_at_k  # noqa: F401
