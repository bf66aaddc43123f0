"""The study's data set: scikit-learn's bundled 8x8 handwritten digits (nothing downloaded).

Pixels (0..16) are scaled to [0, 1]. Pixels that are zero in every image (there are three)
are dropped, so that the 61 remaining inputs plus a bias input fit a 64-row crossbar. With
``images=True`` all 64 pixels are kept, row by row (an 8x8x1 map in HWC order, for conv
networks), with the same split. With ``upsample=f`` every 8x8 image is instead enlarged to
``8f x 8f`` pixels by repeating each pixel ``f x f`` times (``f = 4``: 32x32 = 1024 inputs,
MLP-L4's input layer), all 64 pixels kept.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Dataset", "load_dataset"]


@dataclass(frozen=True)
class Dataset:
    """A train/test split of the digits.

    Members
    -------
    x_train, x_test : numpy.ndarray
        float64 ``(n, features)`` in [0, 1].
    y_train, y_test : numpy.ndarray
        int64 class labels 0..9.
    n_classes : int
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    n_classes: int

    @property
    def n_features(self):
        return self.x_train.shape[1]


def load_dataset(*, seed=0, test_fraction=0.2, images=False, upsample=None):
    """Load the digits, drop constant-zero pixels (unless ``images`` or ``upsample``), scale
    and split
    (stratified, seeded).

    Parameters
    ----------
    seed : int
        Seed of the shuffle.
    test_fraction : float
        Fraction of each class held out, in (0, 1).
    images : bool
        Keep all 64 pixels in row order (8x8x1 images) instead of dropping the constant ones.
    upsample : int, optional
        Enlarge every image ``upsample`` times in each direction (pixel repetition) instead of
        dropping the constant pixels: ``(8 upsample)**2`` features.
    """
    if not (isinstance(seed, int) and seed >= 0):
        raise ValueError(f"seed must be a non-negative integer, not {seed!r}")
    if not (isinstance(test_fraction, float) and 0.0 < test_fraction < 1.0):
        raise ValueError(f"test_fraction must be a float in (0, 1), not {test_fraction!r}")
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = digits.data.astype(np.float64)
    if upsample is not None:
        if not (isinstance(upsample, int) and 1 <= upsample <= 16):
            raise ValueError(f"upsample must be an integer from 1 to 16, not {upsample!r}")
        block = np.ones((upsample, upsample))
        x = np.stack([np.kron(image.reshape(8, 8), block).reshape(-1) for image in x]) / 16.0
    else:
        x = (x if images else x[:, x.max(axis=0) > 0]) / 16.0
    y = digits.target.astype(np.int64)
    rng = np.random.default_rng(seed)
    train, test = [], []
    for label in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == label))
        cut = int(round(len(members) * test_fraction))
        test.extend(members[:cut])
        train.extend(members[cut:])
    train = rng.permutation(np.array(train))
    test = np.sort(np.array(test))
    return Dataset(x[train], y[train], x[test], y[test], int(y.max()) + 1)
