"""Trains the Fashion-MNIST model zoo, exports ONNX to models/ and records training/zoo.json.

Usage (from the repository root, after `npm run build` so the ONNX checks can use onnxruntime-node):
    /usr/bin/python3 training/train_all.py [--only local,remote,early-exit,lcp,ae]
"""
import argparse
import fcntl
import importlib
import inspect
import tempfile
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402
from common import REPO, load_data, log  # noqa: E402

ZOO_JSON = os.path.join(REPO, "training", "zoo.json")


RECIPES = {
    "local": "zoo.classifiers:train_local",
    "remote": "zoo.classifiers:train_remote",
    "early-exit": "zoo.early_exit:train_early_exit",
    "lcp": "zoo.lcp:train_lcp",
    "ae": "zoo.autoencoders:train_autoencoders",
}


def recipe(family):
    module, fn = RECIPES[family].split(":")
    return getattr(importlib.import_module(module), fn)


def load_zoo():
    if os.path.exists(ZOO_JSON):
        with open(ZOO_JSON) as f:
            return json.load(f)
    return {"dataset": "fashion-mnist", "models": []}


def save_zoo(zoo, entries):
    """Replaces entries with the same name, keeps the others, sorts by file."""
    names = {e["name"] for e in entries}
    models = [m for m in zoo["models"] if m["name"] not in names] + entries
    zoo["models"] = sorted(models, key=lambda m: m["file"])
    with open(ZOO_JSON, "w") as f:
        json.dump(zoo, f, indent=2)
        f.write("\n")


def main():
    table = RECIPES
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", help="comma-separated families: " + ",".join(table))
    parser.add_argument("--smoke", action="store_true", help="1 epoch on 2,048 images into a temporary folder (pipeline check)")
    args = parser.parse_args()
    families = args.only.split(",") if args.only else list(table)
    for fam in families:
        if fam not in table:
            parser.error(f"unknown family '{fam}' (known: {', '.join(table)})")
    data = load_data()
    kwargs = {}
    global ZOO_JSON
    if args.smoke:
        tmp = tempfile.mkdtemp(prefix="zoo-smoke-")
        common.MODELS_DIR = tmp
        ZOO_JSON = os.path.join(tmp, "zoo.json")
        data = (data[0][:2048], data[1][:2048], data[2], data[3])
        kwargs = {"epochs": 1, "complex_epochs": 1}
        log("smoke", f"writing to {tmp}")
    for fam in families:
        start = time.time()
        fn = recipe(fam)
        accepted = inspect.signature(fn).parameters
        entries = fn(data, **{k: v for k, v in kwargs.items() if k in accepted})
        # several families may run at once in separate processes: serialise the read-modify-write of zoo.json
        with open(ZOO_JSON + ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            zoo = load_zoo()
            zoo["convention"] = (
                "classifier input float32 [N,1,28,28] = pixel/255 in [0,1], no other normalisation; output logits [N,10]. "
                "Trained on Fashion-MNIST training images 0..54999 only; metrics on the 10k test split."
            )
            save_zoo(zoo, entries)
        log(fam, f"done in {time.time() - start:.0f}s: " + ", ".join(e["file"] for e in entries))


if __name__ == "__main__":
    main()
