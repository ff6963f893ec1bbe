"""The two views of FixMatch on digits: data processing only.

- Weak: random shifts of up to 12.5 % of the side (3.5 pixels), the baseline's kind of
  augmentation; never a flip.
- Strong: a RandAugment-style policy that suits digits, every operation applied to every
  image with a random amount up to ``strength`` times its largest: rotation (30 degrees),
  shear (0.3), translation (30 %), contrast (0.5), brightness (0.3), then cutout (a black
  patch of up to a quarter of the image). No flip, no mirror: a flipped 2 or 7 is not one.

Contrast, brightness and cutout are Keras' own preprocessing layers. The geometry is the
one part written here (:class:`RandomAffine`): Keras' ``RandomRotation``, ``RandomShear``
and ``RandomTranslation`` each warp and interpolate the whole batch, so in a row they
blur a digit three times and cost three warps; one warp by the composed map takes the
strong view to 0.44 of their time and the step to 0.97 at the reference setting
(``benchmarks/fixmatch_views.py``). Keras' ``RandAugment`` itself is not used: half its
operations are colour ones (colour degeneration, solarisation, posterisation,
equalisation, auto-contrast, sharpness) that mean little on one-channel digits, and it
draws its operations per batch, where FixMatch draws them per image.
"""

from __future__ import annotations

import math
from typing import Any

import keras
from keras import ops

__all__ = ["MAX", "RandomAffine", "affine_transform_rows", "strong_view", "weak_view"]

# The largest amount of each strong operation, reached at strength 1.
MAX = {"rotation": 30 / 360, "shear": 0.3, "translation": 0.3, "contrast": 0.5,
       "brightness": 0.3, "cutout": 0.25}
WEAK_SHIFT = 0.125


def weak_view(name: str = "weak_view") -> keras.Sequential:
    """Random shifts of up to 12.5 % of the side, uncovered pixels black."""
    return keras.Sequential([keras.layers.RandomTranslation(
        WEAK_SHIFT, WEAK_SHIFT, fill_mode="constant")], name=name)


def affine_transform_rows(angle: Any, shear_x: Any, shear_y: Any, shift_x: Any,
                          shift_y: Any, height: int, width: int) -> Any:
    """Per image, the row ``[a0, a1, a2, b0, b1, b2, 0, 0]`` of
    ``keras.ops.image.affine_transform`` that sends output pixel ``p`` to input pixel
    ``c + R(angle) S (p - c) - shift``: rotation by ``angle`` radians after the shear
    ``S = [[1, shear_x], [shear_y, 1]]``, both about the image centre ``c``, then a
    shift by ``(shift_x, shift_y)`` pixels. Each argument is one value per image."""
    cos, sin = ops.cos(angle), ops.sin(angle)
    m00, m01 = cos - sin * shear_y, cos * shear_x - sin
    m10, m11 = sin + cos * shear_y, sin * shear_x + cos
    cx, cy = (width - 1) / 2, (height - 1) / 2
    zero = ops.zeros_like(angle)
    return ops.stack([m00, m01, cx - m00 * cx - m01 * cy - shift_x,
                      m10, m11, cy - m10 * cx - m11 * cy - shift_y, zero, zero], axis=1)


class RandomAffine(keras.layers.Layer):
    """Rotation, shear and translation, drawn per image and applied as one warp.

    Args:
        rotation: Largest rotation, a fraction of a full turn (as Keras' ``RandomRotation``).
        shear: Largest shear along each axis (as Keras' ``RandomShear``).
        translation: Largest shift along each axis, a fraction of the side.
        seed: Seed of the layer's draws.
    """

    def __init__(self, rotation: float, shear: float, translation: float,
                 seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rotation, self.shear, self.translation = rotation, shear, translation
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, images: Any, training: bool = True) -> Any:
        if not training:
            return images
        n, height, width = ops.shape(images)[0], images.shape[1], images.shape[2]

        def draw(limit: float) -> Any:
            return keras.random.uniform((n,), -limit, limit, seed=self.seed_generator)

        rows = affine_transform_rows(
            draw(self.rotation * 2 * math.pi), draw(self.shear), draw(self.shear),
            draw(self.translation * width), draw(self.translation * height), height, width)
        return ops.image.affine_transform(images, rows, interpolation="bilinear",
                                          fill_mode="constant", fill_value=0.0)

    def compute_output_shape(self, input_shape: tuple[int | None, ...]
                             ) -> tuple[int | None, ...]:
        return input_shape


def strong_view(strength: float, name: str = "strong_view") -> keras.Sequential:
    """The strong policy at ``strength`` in (0, 1].

    Raises:
        ValueError: If ``strength`` is outside (0, 1].
    """
    if not 0.0 < strength <= 1.0:
        raise ValueError(f"the strong policy's strength must lie in (0, 1], got {strength}")
    m = {k: v * strength for k, v in MAX.items()}
    return keras.Sequential([
        RandomAffine(m["rotation"], m["shear"], m["translation"]),
        keras.layers.RandomContrast(m["contrast"], value_range=(0.0, 1.0)),
        keras.layers.RandomBrightness(m["brightness"], value_range=(0.0, 1.0)),
        # Cutout: one black patch per image, of up to m["cutout"] of the area.
        keras.layers.RandomErasing(factor=1.0, scale=(0.02, max(0.03, m["cutout"])),
                                   fill_value=0.0, value_range=(0.0, 1.0)),
    ], name=name)
