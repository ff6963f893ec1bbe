from __future__ import annotations

import pytest

from objectives.encoder import EncoderConfig, InfeasibleConfig, build_encoder, feature_map_sizes


def _config(**overrides: object) -> EncoderConfig:
    base = dict(kernel_size=3, depth=2, filters=8, latent_width=16, downsample="max_pool",
                padding="same", dropout=0.0)
    base.update(overrides)
    return EncoderConfig(**base)  # type: ignore[arg-type]  # a dict of mixed values


@pytest.mark.parametrize(
    ("overrides", "sizes"),
    [
        ({}, [14, 7]),
        ({"depth": 3}, [14, 7, 3]),
        ({"downsample": "stride", "depth": 3}, [14, 7, 4]),
        ({"padding": "valid", "kernel_size": 5}, [12, 4]),
        ({"padding": "valid", "kernel_size": 7, "downsample": "stride", "depth": 2}, [11, 3]),
    ],
)
def test_feature_map_sizes(overrides: dict, sizes: list[int]) -> None:
    config = _config(**overrides)
    assert feature_map_sizes(config) == sizes
    encoder = build_encoder(config)
    # The analytic sizes are what Keras builds.
    last_conv = [layer for layer in encoder.layers if layer.name.startswith(("pool", "conv"))][-1]
    assert last_conv.output.shape[1] == sizes[-1]
    assert encoder.output.shape[-1] == 16


def test_shrinking_below_one_pixel_is_infeasible() -> None:
    config = _config(padding="valid", kernel_size=7, depth=3)
    with pytest.raises(InfeasibleConfig, match="below 1x1 at block 3"):
        feature_map_sizes(config)
    with pytest.raises(InfeasibleConfig):
        build_encoder(config)


def test_filters_double_per_block() -> None:
    encoder = build_encoder(_config(depth=3))
    convs = [layer for layer in encoder.layers if layer.name.startswith("conv")]
    assert [c.filters for c in convs] == [8, 16, 32]
