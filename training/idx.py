"""IDX (MNIST/Fashion-MNIST) gzip reading and writing, with no torchvision download."""
import gzip
import struct

import numpy as np

IMAGES_MAGIC = 0x00000803
LABELS_MAGIC = 0x00000801


def read_idx(path):
    """Reads an IDX gzip file; returns a uint8 array shaped by its header."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError(f"{path}: truncated IDX header ({len(data)} bytes)")
    magic = struct.unpack(">I", data[:4])[0]
    if magic not in (IMAGES_MAGIC, LABELS_MAGIC):
        raise ValueError(f"{path}: bad IDX magic 0x{magic:08x}")
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4 : 4 + 4 * ndim])
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    expected = int(np.prod(dims))
    if body.size != expected:
        raise ValueError(f"{path}: header says {expected} bytes of data, file has {body.size}")
    return body.reshape(dims)


def write_idx(path, array):
    """Writes a uint8 array (1-D labels or 3-D images) as IDX gzip, deterministic (mtime 0)."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    magic = 0x00000800 | array.ndim
    header = struct.pack(">I", magic) + struct.pack(">" + "I" * array.ndim, *array.shape)
    with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as f:
        f.write(header + array.tobytes())
