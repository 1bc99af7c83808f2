"""`local` (ResNet-8-like, MLPerf Tiny spirit) and `remote` (wider VGG-style) Fashion-MNIST classifiers."""
import torch.nn as nn

from common import accuracy, count_macs, count_params, export_onnx, log, ort_run, check_close, setup, shape_n, train_classifier


def conv_bn(cin, cout, stride=1, k=3):
    return [nn.Conv2d(cin, cout, k, stride, k // 2, bias=False), nn.BatchNorm2d(cout)]


class ResBlock(nn.Module):
    """Two 3x3 conv-BN layers with an identity (or 1x1 strided conv) shortcut joined by an Add."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.body = nn.Sequential(*conv_bn(cin, cout, stride), nn.ReLU(), *conv_bn(cout, cout))
        self.short = nn.Sequential(*conv_bn(cin, cout, stride, k=1)) if stride != 1 or cin != cout else nn.Identity()
        self.relu = nn.ReLU()

    def forward(self, x):
        return self.relu(self.body(x) + self.short(x))


class ResNet8(nn.Module):
    """MLPerf Tiny ResNet-8 layout (stem conv, 3 residual stages, global average pool, fc), narrower."""

    def __init__(self, widths=(16, 24, 48)):
        super().__init__()
        a, b, c = widths
        self.stem = nn.Sequential(*conv_bn(1, a), nn.ReLU())
        self.stages = nn.Sequential(ResBlock(a, a, 1), ResBlock(a, b, 2), ResBlock(b, c, 2))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(c, 10)

    def forward(self, x):
        x = self.pool(self.stages(self.stem(x)))
        return self.fc(x.flatten(1))


class VGGRemote(nn.Module):
    """VGG-style: three stages of two 3x3 conv-BN-ReLU, max pools between, global average pool, dropout, fc."""

    def __init__(self, widths=(32, 64, 128)):
        super().__init__()
        layers, cin = [], 1
        for i, w in enumerate(widths):
            layers += conv_bn(cin, w) + [nn.ReLU()] + conv_bn(w, w) + [nn.ReLU()]
            if i < len(widths) - 1:
                layers.append(nn.MaxPool2d(2))
            cin = w
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Sequential(nn.Dropout(0.3), nn.Linear(cin, 10))

    def forward(self, x):
        return self.head(self.pool(self.features(x)).flatten(1))


def _export_classifier(name, model, data, seed, epochs, acc, seconds, recipe, notes):
    vx = data[2]
    file = f"{name}.onnx"
    path = export_onnx(model, vx[:2], file, ["input"], ["logits"])
    x = vx[:512]
    want = model(x).detach().numpy()
    got = ort_run({"x": x.numpy()}, [{"model": path, "feeds": {"input": "x"}, "outputs": {"logits": "y"}}], ["y"])["y"]
    diff = check_close(f"{file} vs torch", got, want, 1e-4)
    log(name, f"exported {file}: ORT vs torch max diff {diff:.2e}")
    return {
        "name": name,
        "file": f"models/{file}",
        "task": "classification",
        "inputs": [{"name": "input", "shape": shape_n(x.shape)}],
        "outputs": [{"name": "logits", "shape": ["N", 10]}],
        "recipe": recipe,
        "seed": seed,
        "epochs": epochs,
        "pythonMetric": {"accuracy": round(acc, 4)},
        "params": count_params(model),
        "macs": count_macs(model, vx),
        "trainSeconds": round(seconds),
        "ortMaxAbsDiff": diff,
        "notes": notes,
    }


def train_local(data, seed=1, epochs=6):
    """ResNet-8-like local model (widths 8/16/32), AdamW one-cycle lr 3e-3, crop+flip augmentation."""
    setup(seed)
    model = ResNet8((8, 16, 32))
    acc, seconds = train_classifier("local", model, data, epochs, 3e-3, seed)
    notes = "ResNet-8 layout of MLPerf Tiny (stem conv, 3 residual blocks with Add shortcuts, GAP, fc), widths 8/16/32"
    return [_export_classifier("local", model, data, seed, epochs, acc, seconds, "training/zoo/classifiers.py:train_local", notes)]


def train_remote(data, seed=2, epochs=8):
    """VGG-style remote model (2x conv per stage, widths 32/64/128), AdamW one-cycle lr 3e-3."""
    setup(seed)
    model = VGGRemote()
    acc, seconds = train_classifier("remote", model, data, epochs, 3e-3, seed)
    notes = "VGG-style: 3 stages of two 3x3 conv-BN-ReLU (32/64/128), max pools, GAP, dropout 0.3, fc"
    return [_export_classifier("remote", model, data, seed, epochs, acc, seconds, "training/zoo/classifiers.py:train_remote", notes)]
