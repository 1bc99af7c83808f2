"""BranchyNet-style early-exit classifier (seed hierarchical-inference-early-exit, section 5): the local
model's ResNet-8 backbone with two side exits, trained with a weighted joint loss, exported whole and as runnable pieces."""
import torch
import torch.nn as nn
import torch.nn.functional as F

from common import check_close, count_macs, count_params, export_onnx, log, ort_run, setup, shape_n, train_classifier
from zoo.classifiers import ResBlock, conv_bn

EXIT_WEIGHTS = (0.5, 0.75, 1.0)  # joint loss = 0.5*CE(exit1) + 0.75*CE(exit2) + 1.0*CE(final)
RECIPE = "training/zoo/early_exit.py:train_early_exit"


class EarlyExitNet(nn.Module):
    """The `local` model's ResNet-8 backbone (widths 8/16/32) with two side exits, as BranchyNet adds
    exits to the device model: prefix1 (stem + block 1) -> feat1 [N,8,28,28] -> (head1 -> exit1);
    prefix2 (block 2) -> feat2 [N,16,14,14] -> (head2 -> exit2); rest (block 3, pool, fc) -> final."""

    def __init__(self, widths=(8, 16, 32)):
        super().__init__()
        a, b, c = widths
        self.prefix1 = nn.Sequential(*conv_bn(1, a), nn.ReLU(), ResBlock(a, a, 1))
        self.head1 = nn.Sequential(*conv_bn(a, b, stride=2), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(b, 10))
        self.prefix2 = ResBlock(a, b, 2)
        self.head2 = nn.Sequential(*conv_bn(b, c, stride=2), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, 10))
        self.rest = nn.Sequential(ResBlock(b, c, 2), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, 10))

    def forward(self, x):
        f1 = self.prefix1(x)
        f2 = self.prefix2(f1)
        return self.head1(f1), self.head2(f2), self.rest(f2)


def joint_loss(outs, target):
    return sum(w * F.cross_entropy(o, target) for w, o in zip(EXIT_WEIGHTS, outs))


@torch.no_grad()
def exit_accuracies(model, x, y):
    model.eval()
    outs = [model(x[i : i + 1000]) for i in range(0, x.shape[0], 1000)]
    return [(torch.cat([o[k] for o in outs]).argmax(1) == y).float().mean().item() for k in range(3)]


def train_early_exit(data, seed=3, epochs=8):
    """Trains EarlyExitNet with the weighted joint loss; exports ee-full and its five pieces, checks they compose."""
    setup(seed)
    model = EarlyExitNet()
    _, seconds = train_classifier("early-exit", model, data, epochs, 3e-3, seed, loss_fn=joint_loss)
    vx, vy = data[2], data[3]
    accs = exit_accuracies(model, vx, vy)
    log("early-exit", f"exit accuracies exit1 {accs[0]:.4f} exit2 {accs[1]:.4f} final {accs[2]:.4f}")
    m = model
    x = vx[:512]
    with torch.no_grad():
        f1 = m.prefix1(vx[:2])
        f2 = m.prefix2(f1)
        e1, e2, fin = m(x)
    paths = {
        "ee-full": export_onnx(m, vx[:2], "ee-full.onnx", ["input"], ["exit1", "exit2", "final"]),
        "ee-prefix1": export_onnx(m.prefix1, vx[:2], "ee-prefix1.onnx", ["input"], ["feat1"]),
        "ee-head1": export_onnx(m.head1, f1, "ee-head1.onnx", ["feat1"], ["exit1"]),
        "ee-prefix2": export_onnx(m.prefix2, f1, "ee-prefix2.onnx", ["feat1"], ["feat2"]),
        "ee-head2": export_onnx(m.head2, f2, "ee-head2.onnx", ["feat2"], ["exit2"]),
        "ee-rest": export_onnx(m.rest, f2, "ee-rest.onnx", ["feat2"], ["final"]),
    }
    steps = [
        {"model": paths["ee-full"], "feeds": {"input": "x"}, "outputs": {"exit1": "E1", "exit2": "E2", "final": "FIN"}},
        {"model": paths["ee-prefix1"], "feeds": {"input": "x"}, "outputs": {"feat1": "f1"}},
        {"model": paths["ee-head1"], "feeds": {"feat1": "f1"}, "outputs": {"exit1": "e1"}},
        {"model": paths["ee-prefix2"], "feeds": {"feat1": "f1"}, "outputs": {"feat2": "f2"}},
        {"model": paths["ee-head2"], "feeds": {"feat2": "f2"}, "outputs": {"exit2": "e2"}},
        {"model": paths["ee-rest"], "feeds": {"feat2": "f2"}, "outputs": {"final": "fin"}},
    ]
    r = ort_run({"x": x.numpy()}, steps, ["E1", "E2", "FIN", "e1", "e2", "fin"])
    diff = max(check_close(f"ee-full {k} vs torch", r[k], t.numpy(), 1e-4) for k, t in (("E1", e1), ("E2", e2), ("FIN", fin)))
    comp = max(check_close(f"ee pieces {a} vs ee-full {b}", r[a], r[b], 1e-5) for a, b in (("e1", "E1"), ("e2", "E2"), ("fin", "FIN")))
    log("early-exit", f"ORT ee-full vs torch {diff:.2e}; pieces vs ee-full {comp:.2e}")

    feat1_shape, feat2_shape = shape_n(f1.shape), shape_n(f2.shape)
    weights = f"joint loss weights exit1/exit2/final = {EXIT_WEIGHTS[0]}/{EXIT_WEIGHTS[1]}/{EXIT_WEIGHTS[2]}"
    common = {"recipe": RECIPE, "seed": seed, "epochs": epochs}
    entries = [
        {
            "name": "ee-full", "file": "models/ee-full.onnx", "task": "classification",
            "inputs": [{"name": "input", "shape": ["N", 1, 28, 28]}],
            "outputs": [{"name": n, "shape": ["N", 10]} for n in ("exit1", "exit2", "final")],
            **common,
            "pythonMetric": {"accuracy": round(accs[2], 4), "exit1Accuracy": round(accs[0], 4), "exit2Accuracy": round(accs[1], 4)},
            "params": count_params(m), "macs": count_macs(m, vx), "trainSeconds": round(seconds), "ortMaxAbsDiff": diff,
            "notes": f"BranchyNet backbone with exit1 after block 1 (feat1 {feat1_shape}) and exit2 after block 2 "
            f"(feat2 {feat2_shape}); {weights}; 'accuracy' is the final exit's",
        }
    ]
    pieces = [
        ("ee-prefix1", m.prefix1, vx[:1], "input", [1, 28, 28], "feat1", feat1_shape[1:], "input -> feat1 (backbone up to exit 1)"),
        ("ee-head1", m.head1, f1[:1], "feat1", feat1_shape[1:], "exit1", [10], f"feat1 -> exit1 logits (accuracy {accs[0]:.4f})"),
        ("ee-prefix2", m.prefix2, f1[:1], "feat1", feat1_shape[1:], "feat2", feat2_shape[1:], "feat1 -> feat2 (backbone block 2)"),
        ("ee-head2", m.head2, f2[:1], "feat2", feat2_shape[1:], "exit2", [10], f"feat2 -> exit2 logits (accuracy {accs[1]:.4f})"),
        ("ee-rest", m.rest, f2[:1], "feat2", feat2_shape[1:], "final", [10], f"feat2 -> final logits (accuracy {accs[2]:.4f})"),
    ]
    for name, mod, ex, iname, ishape, oname, oshape, what in pieces:
        entries.append({
            "name": name, "file": f"models/{name}.onnx", "task": "feature", "parent": "ee-full",
            "inputs": [{"name": iname, "shape": ["N", *ishape]}], "outputs": [{"name": oname, "shape": ["N", *oshape]}],
            **common, "pythonMetric": None, "params": count_params(mod), "macs": count_macs(mod, ex),
            "compositionMaxAbsDiff": comp,
            "notes": f"piece of ee-full: {what}; pieces compose to ee-full within {comp:.1e} (onnxruntime)",
        })
    return entries
