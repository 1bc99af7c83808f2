"""Writes data/fashion-mnist/: the 10k test split copied unchanged from Debian's dataset-fashion-mnist,
and the calibration split (the last 5,000 of the 60k training images, which no zoo model trains on)."""
import hashlib
import os
import shutil

import numpy as np

from idx import read_idx, write_idx
from common import DEBIAN_DIR, REPO_DATA_DIR, TRAIN_COUNT


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def main():
    os.makedirs(REPO_DATA_DIR, exist_ok=True)
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        shutil.copyfile(os.path.join(DEBIAN_DIR, name), os.path.join(REPO_DATA_DIR, name))
    images = read_idx(os.path.join(DEBIAN_DIR, "train-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(DEBIAN_DIR, "train-labels-idx1-ubyte.gz"))
    assert images.shape == (60000, 28, 28) and labels.shape == (60000,)
    calib_x, calib_y = images[TRAIN_COUNT:], labels[TRAIN_COUNT:]
    write_idx(os.path.join(REPO_DATA_DIR, "calib-images-idx3-ubyte.gz"), calib_x)
    write_idx(os.path.join(REPO_DATA_DIR, "calib-labels-idx1-ubyte.gz"), calib_y)
    back = read_idx(os.path.join(REPO_DATA_DIR, "calib-images-idx3-ubyte.gz"))
    assert np.array_equal(back, calib_x)
    for name in sorted(os.listdir(REPO_DATA_DIR)):
        if name.endswith(".gz"):
            print(sha256(os.path.join(REPO_DATA_DIR, name)), name)
    print("calib class counts:", np.bincount(calib_y, minlength=10).tolist())


if __name__ == "__main__":
    main()
