"""The two views of FixMatch on digits: data processing only.

- Weak: random shifts of up to 12.5 % of the side (3.5 pixels), the baseline's kind of
  augmentation; never a flip.
- Strong: a RandAugment-style policy that suits digits, every operation applied to every
  image with a random amount up to ``strength`` times its largest: rotation (30 degrees),
  shear (0.3), translation (30 %), contrast (0.5), brightness (0.3), then cutout (a black
  patch of up to a quarter of the image). No flip, no mirror: a flipped 2 or 7 is not one.

Every operation is one of Keras' own preprocessing layers; what this module writes is
the composition and the one magnitude. Keras' ``RandAugment`` itself is not used: half
its operations are colour ones (colour degeneration, solarisation, posterisation,
equalisation, auto-contrast, sharpness) that mean little on one-channel digits, and it
draws its operations per batch, where FixMatch draws them per image.
"""

from __future__ import annotations

import keras

__all__ = ["MAX", "strong_view", "weak_view"]

# The largest amount of each strong operation, reached at strength 1.
MAX = {"rotation": 30 / 360, "shear": 0.3, "translation": 0.3, "contrast": 0.5,
       "brightness": 0.3, "cutout": 0.25}
WEAK_SHIFT = 0.125


def weak_view(name: str = "weak_view") -> keras.Sequential:
    """Random shifts of up to 12.5 % of the side, uncovered pixels black."""
    return keras.Sequential([keras.layers.RandomTranslation(
        WEAK_SHIFT, WEAK_SHIFT, fill_mode="constant")], name=name)


def strong_view(strength: float, name: str = "strong_view") -> keras.Sequential:
    """The strong policy at ``strength`` in (0, 1].

    Raises:
        ValueError: If ``strength`` is outside (0, 1].
    """
    if not 0.0 < strength <= 1.0:
        raise ValueError(f"the strong policy's strength must lie in (0, 1], got {strength}")
    m = {k: v * strength for k, v in MAX.items()}
    return keras.Sequential([
        keras.layers.RandomRotation(m["rotation"], fill_mode="constant"),
        keras.layers.RandomShear(m["shear"], m["shear"], fill_mode="constant"),
        keras.layers.RandomTranslation(m["translation"], m["translation"],
                                       fill_mode="constant"),
        keras.layers.RandomContrast(m["contrast"], value_range=(0.0, 1.0)),
        keras.layers.RandomBrightness(m["brightness"], value_range=(0.0, 1.0)),
        # Cutout: one black patch per image, of up to m["cutout"] of the area.
        keras.layers.RandomErasing(factor=1.0, scale=(0.02, max(0.03, m["cutout"])),
                                   fill_value=0.0, value_range=(0.0, 1.0)),
    ], name=name)
