"""Shared pieces of the zoo recipes: seeding, data, training loops, metrics, ONNX export and checks."""
import json
import os
import random
import subprocess
import tempfile
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from idx import read_idx

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS_DIR = os.path.join(REPO, "models")
DEBIAN_DIR = "/usr/share/datasets/fashion-mnist"
REPO_DATA_DIR = os.path.join(REPO, "data", "fashion-mnist")
TRAIN_COUNT = 55000  # the last 5,000 training images are the calibration split, never trained on
OPSET = 13
BATCH = 128


def setup(seed):
    """Seeds every RNG and makes torch deterministic on 2 CPU threads."""
    torch.set_num_threads(int(os.environ.get("ZOO_THREADS", "2")))
    torch.manual_seed(seed)
    np.random.seed(seed)
    random.seed(seed)
    torch.use_deterministic_algorithms(True)


def _to_float(images):
    return torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)


def load_data():
    """Returns (train_x, train_y, test_x, test_y): the first 55k training images and the 10k test split."""
    tx = read_idx(os.path.join(DEBIAN_DIR, "train-images-idx3-ubyte.gz"))[:TRAIN_COUNT]
    ty = read_idx(os.path.join(DEBIAN_DIR, "train-labels-idx1-ubyte.gz"))[:TRAIN_COUNT]
    vx = read_idx(os.path.join(REPO_DATA_DIR, "t10k-images-idx3-ubyte.gz"))
    vy = read_idx(os.path.join(REPO_DATA_DIR, "t10k-labels-idx1-ubyte.gz"))
    return _to_float(tx), torch.from_numpy(ty.astype(np.int64)), _to_float(vx), torch.from_numpy(vy.astype(np.int64))


def augment(x, gen, pad=2, flip=True):
    """Random crop with zero padding and random horizontal flip, vectorised over the batch."""
    n = x.shape[0]
    padded = F.pad(x, (pad, pad, pad, pad))
    oy = torch.randint(0, 2 * pad + 1, (n,), generator=gen)
    ox = torch.randint(0, 2 * pad + 1, (n,), generator=gen)
    ar = torch.arange(28)
    rows = (oy[:, None] + ar[None, :])[:, :, None]
    cols = (ox[:, None] + ar[None, :])[:, None, :]
    out = padded[torch.arange(n)[:, None, None], 0, rows, cols].unsqueeze(1)
    if flip:
        mask = torch.rand(n, generator=gen) < 0.5
        out[mask] = out[mask].flip(3)
    return out


def batches(n, gen, batch=BATCH):
    """Yields shuffled index batches (the last, partial batch included)."""
    perm = torch.randperm(n, generator=gen)
    for i in range(0, n, batch):
        yield perm[i : i + batch]


def make_optimizer(params, lr, epochs, steps_per_epoch, weight_decay=5e-4):
    """AdamW with a one-cycle schedule (warm-up then cosine decay), stepped once per batch."""
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, epochs=epochs, steps_per_epoch=steps_per_epoch, pct_start=0.2)
    return opt, sched


def log(name, msg):
    print(f"[{time.strftime('%H:%M:%S')}] {name}: {msg}", flush=True)


@torch.no_grad()
def predict(model, x, batch=1000):
    """Runs model in eval mode over x in batches; returns the concatenated first output."""
    model.eval()
    outs = []
    for i in range(0, x.shape[0], batch):
        y = model(x[i : i + batch])
        outs.append(y[-1] if isinstance(y, (tuple, list)) else y)
    return torch.cat(outs)


@torch.no_grad()
def accuracy(model, x, y):
    """Top-1 accuracy of a classifier whose (last) output is logits."""
    return (predict(model, x).argmax(1) == y).float().mean().item()


def train_classifier(name, model, data, epochs, lr, seed, loss_fn=None):
    """Trains a classifier with augmentation and AdamW one-cycle; returns (test accuracy, seconds)."""
    tx, ty, vx, vy = data
    gen = torch.Generator().manual_seed(seed)
    steps = (tx.shape[0] + BATCH - 1) // BATCH
    opt, sched = make_optimizer(model.parameters(), lr, epochs, steps)
    loss_fn = loss_fn or (lambda out, target: F.cross_entropy(out, target))
    start = time.time()
    for epoch in range(epochs):
        model.train()
        total = 0.0
        for idx in batches(tx.shape[0], gen):
            xb = augment(tx[idx], gen)
            loss = loss_fn(model(xb), ty[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * idx.shape[0]
        # progress only: accuracy on the first 2,000 test images (the full split is measured once at the end)
        acc = accuracy(model, vx[:2000], vy[:2000])
        log(name, f"epoch {epoch + 1}/{epochs} loss {total / tx.shape[0]:.4f} test2k acc {acc:.4f} ({time.time() - start:.0f}s)")
    model.eval()
    return accuracy(model, vx, vy), time.time() - start


def count_macs(model, x):
    """Counts MACs of Conv2d, ConvTranspose2d and Linear layers for one forward pass of x (batch 1)."""
    macs = [0]

    def hook(mod, inp, out):
        if isinstance(mod, nn.Conv2d):
            kh, kw = mod.kernel_size
            macs[0] += out.numel() // out.shape[0] * (mod.in_channels // mod.groups) * kh * kw
        elif isinstance(mod, nn.ConvTranspose2d):
            kh, kw = mod.kernel_size
            i = inp[0]
            macs[0] += i.numel() // i.shape[0] * (mod.out_channels // mod.groups) * kh * kw
        elif isinstance(mod, nn.Linear):
            macs[0] += mod.in_features * mod.out_features

    hooks = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear))]
    with torch.no_grad():
        model.eval()
        model(x[:1])
    for h in hooks:
        h.remove()
    return macs[0]


def count_params(model):
    """Trainable parameters (BatchNorm affine included, running statistics excluded)."""
    return sum(p.numel() for p in model.parameters())


def export_onnx(module, example, file, input_names, output_names):
    """Exports module (eval mode, opset 13, dynamic batch axis N, constant folding) and runs onnx.checker."""
    import onnx

    module.eval()
    path = os.path.join(MODELS_DIR, file)
    dyn = {n: {0: "N"} for n in list(input_names) + list(output_names)}
    with torch.no_grad():
        torch.onnx.export(
            module,
            example,
            path,
            opset_version=OPSET,
            input_names=list(input_names),
            output_names=list(output_names),
            dynamic_axes=dyn,
            do_constant_folding=True,
            training=torch.onnx.TrainingMode.EVAL,
        )
    # torch names the static dims after a Reshape symbolically (e.g. 'Sigmoidreconstruction_dim_2'): pin them
    with torch.no_grad():
        outs = module(example)
    outs = outs if isinstance(outs, (tuple, list)) else (outs,)
    model = onnx.load(path)
    for out, t in zip(model.graph.output, outs):
        for dim, size in zip(list(out.type.tensor_type.shape.dim)[1:], t.shape[1:]):
            dim.ClearField("dim_param")
            dim.dim_value = int(size)
    onnx.save(model, path)
    onnx.checker.check_model(model, full_check=True)
    return path


def ort_run(inputs, steps, save):
    """Runs a pipeline of ONNX models in onnxruntime-node (training/ort_run.mjs) and returns the saved values.

    inputs: {value: np.ndarray float32}; steps: list of {"model", "feeds": {input: value}, "outputs": {output: value}}
    or {"concat": [values], "axis": 1, "out": value}; save: values to return.
    """
    with tempfile.TemporaryDirectory() as tmp:
        spec = {"inputs": {}, "steps": steps, "save": save, "outDir": tmp}
        for k, arr in inputs.items():
            f = os.path.join(tmp, f"in-{k}.bin")
            np.ascontiguousarray(arr, dtype=np.float32).tofile(f)
            spec["inputs"][k] = {"file": f, "dims": list(arr.shape)}
        spec_file = os.path.join(tmp, "spec.json")
        with open(spec_file, "w") as f:
            json.dump(spec, f)
        subprocess.run(["node", os.path.join(REPO, "training", "ort_run.mjs"), spec_file], check=True)
        out = {}
        for k in save:
            with open(os.path.join(tmp, f"out-{k}.json")) as f:
                dims = json.load(f)["dims"]
            out[k] = np.fromfile(os.path.join(tmp, f"out-{k}.bin"), dtype=np.float32).reshape(dims)
        return out


def max_diff(a, b):
    return float(np.max(np.abs(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64))))


def check_close(label, got, want, tol):
    """Raises when max |got - want| >= tol; returns the difference."""
    d = max_diff(got, want)
    if not d < tol:
        raise AssertionError(f"{label}: max abs diff {d:.3g} >= {tol:g}")
    return d


def shape_n(shape):
    """Shape with the batch dimension written as the symbol N."""
    return ["N"] + list(shape[1:])
