"""LCP models (seed lcp-low-communication-parallelization): a CifarNet/VGG-S-like original, split-only variants
with k independent narrow branches that share the input and concatenate their pre-final activations before one
classifier Linear, and fattened split8 variants (each branch's widths grown by F%, classifier untouched)."""
import torch
import torch.nn as nn

from common import check_close, count_macs, count_params, export_onnx, log, ort_run, setup, train_classifier
from zoo.classifiers import conv_bn

ORIGINAL_WIDTHS = (32, 64, 64, 128, 64)  # conv1, conv2, conv3 channels; fc1, fc2 (pre-final) features
RECIPE = "training/zoo/lcp.py:train_lcp"
VARIANTS = (  # name, split factor k, fattening fraction F
    ("lcp-original", 1, 0.0),
    ("lcp-split2", 2, 0.0),
    ("lcp-split4", 4, 0.0),
    ("lcp-split8", 8, 0.0),
    ("lcp-split8-f20", 8, 0.2),
    ("lcp-split8-f40", 8, 0.4),
)


def branch_widths(k, fatten):
    """Every conv/fc width divided by the split factor, then grown by the fattening fraction (seed §IV-A)."""
    return tuple(max(1, round(w / k * (1 + fatten))) for w in ORIGINAL_WIDTHS)


class Branch(nn.Module):
    """3x (3x3 conv-BN-ReLU-maxpool) -> flatten -> fc-ReLU -> fc-ReLU: one narrow branch, output = pre-final features."""

    def __init__(self, widths):
        super().__init__()
        c1, c2, c3, f1, f2 = widths
        self.net = nn.Sequential(
            *conv_bn(1, c1), nn.ReLU(), nn.MaxPool2d(2),
            *conv_bn(c1, c2), nn.ReLU(), nn.MaxPool2d(2),
            *conv_bn(c2, c3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Dropout(0.3), nn.Linear(c3 * 9, f1), nn.ReLU(), nn.Dropout(0.3), nn.Linear(f1, f2), nn.ReLU(),
        )
        self.features = f2

    def forward(self, x):
        return self.net(x)


class Classifier(nn.Module):
    """The one Linear that sees all branches' concatenated pre-final activations."""

    def __init__(self, features):
        super().__init__()
        self.fc = nn.Linear(features, 10)

    def forward(self, feat):
        return self.fc(feat)


class LCPNet(nn.Module):
    """k branches on the same input, no connections between them, Concat, classifier."""

    def __init__(self, k, fatten):
        super().__init__()
        widths = branch_widths(k, fatten)
        self.widths = widths
        self.branches = nn.ModuleList(Branch(widths) for _ in range(k))
        self.classifier = Classifier(k * widths[-1])

    def forward(self, x):
        return self.classifier(torch.cat([b(x) for b in self.branches], dim=1))


def _train_variant(data, name, k, fatten, seed, epochs):
    setup(seed)
    model = LCPNet(k, fatten)
    acc, seconds = train_classifier(name, model, data, epochs, 3e-3, seed)
    vx = data[2]
    x = vx[:512]
    with torch.no_grad():
        want = model(x).numpy()
    whole = export_onnx(model, vx[:2], f"{name}.onnx", ["input"], ["logits"])
    steps = [{"model": whole, "feeds": {"input": "x"}, "outputs": {"logits": "W"}}]
    feat = k * model.widths[-1]
    common = {"recipe": RECIPE, "seed": seed, "epochs": epochs}
    macs = count_macs(model, vx)
    split = f"split factor {k}" + (f", fattened {round(fatten * 100)}%" if fatten else "")
    entry = {
        "name": name, "file": f"models/{name}.onnx", "task": "classification",
        "inputs": [{"name": "input", "shape": ["N", 1, 28, 28]}], "outputs": [{"name": "logits", "shape": ["N", 10]}],
        **common, "pythonMetric": {"accuracy": round(acc, 4)}, "params": count_params(model), "macs": macs,
        "trainSeconds": round(seconds), "splitFactor": k, "fattenPercent": round(fatten * 100),
        "branchWidths": list(model.widths),
        "notes": f"LCP {split}; each branch conv {model.widths[:3]} fc {model.widths[3:]}; branches concatenate "
        f"[N,{feat}] before the classifier Linear({feat},10)",
    }
    pieces = []
    if k > 1:
        for i, b in enumerate(model.branches):
            path = export_onnx(b, vx[:2], f"{name}-branch{i}.onnx", ["input"], ["feat"])
            steps.append({"model": path, "feeds": {"input": "x"}, "outputs": {"feat": f"b{i}"}})
            pieces.append({
                "name": f"{name}-branch{i}", "file": f"models/{name}-branch{i}.onnx", "task": "feature", "parent": name,
                "inputs": [{"name": "input", "shape": ["N", 1, 28, 28]}],
                "outputs": [{"name": "feat", "shape": ["N", model.widths[-1]]}],
                **common, "pythonMetric": None, "params": count_params(b), "macs": count_macs(b, vx),
                "notes": f"branch {i} of {k} of {name}; its feat is columns [{i * model.widths[-1]}, "
                f"{(i + 1) * model.widths[-1]}) of the classifier input",
            })
        cls = export_onnx(model.classifier, torch.zeros(2, feat), f"{name}-classifier.onnx", ["feat"], ["logits"])
        steps.append({"concat": [f"b{i}" for i in range(k)], "axis": 1, "out": "cat"})
        steps.append({"model": cls, "feeds": {"feat": "cat"}, "outputs": {"logits": "C"}})
        pieces.append({
            "name": f"{name}-classifier", "file": f"models/{name}-classifier.onnx", "task": "feature", "parent": name,
            "inputs": [{"name": "feat", "shape": ["N", feat]}], "outputs": [{"name": "logits", "shape": ["N", 10]}],
            **common, "pythonMetric": None, "params": count_params(model.classifier),
            "macs": count_macs(model.classifier, torch.zeros(1, feat)),
            "notes": f"classifier of {name}: Concat(branch0..branch{k - 1} feat, axis 1) -> logits",
        })
    r = ort_run({"x": x.numpy()}, steps, ["W"] + (["C"] if k > 1 else []))
    entry["ortMaxAbsDiff"] = check_close(f"{name} vs torch", r["W"], want, 1e-4)
    msg = f"ORT vs torch {entry['ortMaxAbsDiff']:.2e}"
    if k > 1:
        comp = check_close(f"{name} branches+classifier vs whole", r["C"], r["W"], 1e-5)
        for p in pieces:
            p["compositionMaxAbsDiff"] = comp
        msg += f"; branches+classifier vs whole {comp:.2e}"
    log(name, msg)
    return [entry] + pieces


def train_lcp(data, seed=4, epochs=6, only=None):
    """Trains every LCP variant from scratch with the same recipe and seed (fair comparison, as the seed does)."""
    entries = []
    for name, k, fatten in VARIANTS:
        if only and name not in only:
            continue
        entries += _train_variant(data, name, k, fatten, seed, epochs)
    return entries
