"""DistNN-style autoencoders (seed distnn-wearable-split, Fig. 5a and Fig. 10): conv encoder -> dense latent ->
conv-transpose decoder; a denoising twin; and a larger hub-side "complex" decoder for ae's frozen latent."""
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from skimage.metrics import structural_similarity

from common import (
    BATCH, augment, batches, check_close, count_macs, count_params, export_onnx, log, make_optimizer, ort_run, setup,
)

LATENT = 64
NOISE_SIGMA = 0.2
RECIPE = "training/zoo/autoencoders.py:train_autoencoders"


class Encoder(nn.Module):
    """[N,1,28,28] -> conv s2 (16@14x14) -> conv s2 (16@7x7) -> flatten -> Linear -> latent [N,64]."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, 16, 3, 2, 1), nn.ReLU(), nn.Conv2d(16, 16, 3, 2, 1), nn.ReLU(),
            nn.Flatten(), nn.Linear(16 * 7 * 7, LATENT),
        )

    def forward(self, x):
        return self.net(x)


class Decoder(nn.Module):
    """latent -> Linear -> 16@7x7 -> convT s2 (16@14x14) -> convT s2 (1@28x28) -> sigmoid."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(LATENT, 16 * 7 * 7)
        self.net = nn.Sequential(
            nn.ReLU(), nn.ConvTranspose2d(16, 16, 4, 2, 1), nn.ReLU(), nn.ConvTranspose2d(16, 1, 4, 2, 1), nn.Sigmoid(),
        )

    def forward(self, z):
        return self.net(self.fc(z).reshape(-1, 16, 7, 7))


class ComplexDecoder(nn.Module):
    """The hub-side decoder (wider, ~6x the simple decoder's MACs): 3x3 refinement convs after each upsampling."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(LATENT, 32 * 7 * 7)
        self.net = nn.Sequential(
            nn.ReLU(), nn.ConvTranspose2d(32, 32, 4, 2, 1), nn.ReLU(), nn.Conv2d(32, 32, 3, 1, 1), nn.ReLU(),
            nn.ConvTranspose2d(32, 16, 4, 2, 1), nn.ReLU(), nn.Conv2d(16, 16, 3, 1, 1), nn.ReLU(),
            nn.Conv2d(16, 1, 3, 1, 1), nn.Sigmoid(),
        )

    def forward(self, z):
        return self.net(self.fc(z).reshape(-1, 32, 7, 7))


class AutoEncoder(nn.Module):
    def __init__(self, encoder, decoder):
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder

    def forward(self, x):
        return self.decoder(self.encoder(x))


def _gaussian_window(size=11, sigma=1.5):
    g = torch.exp(-((torch.arange(size) - size // 2).float() ** 2) / (2 * sigma**2))
    g = g / g.sum()
    return (g[:, None] * g[None, :])[None, None]


_WINDOW = _gaussian_window()


def ssim_torch(pred, target):
    """Differentiable mean Gaussian SSIM; 'valid' filtering equals scikit-image's metric, which crops the
    5-pixel border where its reflected-edge filtering would differ."""
    c1, c2 = 0.01**2, 0.03**2
    mu_x, mu_y = F.conv2d(pred, _WINDOW), F.conv2d(target, _WINDOW)
    sxx = F.conv2d(pred * pred, _WINDOW) - mu_x**2
    syy = F.conv2d(target * target, _WINDOW) - mu_y**2
    sxy = F.conv2d(pred * target, _WINDOW) - mu_x * mu_y
    s = ((2 * mu_x * mu_y + c1) * (2 * sxy + c2)) / ((mu_x**2 + mu_y**2 + c1) * (sxx + syy + c2))
    return s.mean()


def recon_loss(pred, target):
    """MSE plus (1 - SSIM): MSE alone blurs edges, which SSIM punishes."""
    return F.mse_loss(pred, target) + (1 - ssim_torch(pred, target))


def add_noise(x, gen):
    """Gaussian noise sigma 0.2, clipped to [0,1]."""
    return (x + NOISE_SIGMA * torch.randn(x.shape, generator=gen)).clamp(0, 1)


def mean_ssim(pred, target):
    """Mean Gaussian SSIM (11x11 window, sigma 1.5, K1 0.01, K2 0.03, data range 1) over images, via scikit-image."""
    p, t = pred.numpy()[:, 0].astype(np.float64), target.numpy()[:, 0].astype(np.float64)
    return float(np.mean([
        structural_similarity(a, b, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1.0)
        for a, b in zip(p, t)
    ]))


@torch.no_grad()
def reconstruct(model, x):
    model.eval()
    return torch.cat([model(x[i : i + 1000]) for i in range(0, x.shape[0], 1000)])


def _train(name, model, params, data, epochs, lr, seed, noisy=False):
    """MSE + (1 - SSIM) training on flip-augmented images (noisy inputs when noisy); returns seconds."""
    tx = data[0]
    gen = torch.Generator().manual_seed(seed)
    steps = (tx.shape[0] + BATCH - 1) // BATCH
    opt, sched = make_optimizer(params, lr, epochs, steps, weight_decay=0.0)
    start = time.time()
    for epoch in range(epochs):
        model.train()
        total = 0.0
        for idx in batches(tx.shape[0], gen):
            clean = augment(tx[idx], gen, pad=0)
            inp = add_noise(clean, gen) if noisy else clean
            loss = recon_loss(model(inp), clean)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * idx.shape[0]
        log(name, f"epoch {epoch + 1}/{epochs} loss {total / tx.shape[0]:.5f} ({time.time() - start:.0f}s)")
    model.eval()
    return time.time() - start


def _entry(name, file, task, model, example, metric, seconds, seed, epochs, notes, inputs, outputs, **extra):
    return {
        "name": name, "file": f"models/{file}", "task": task, "inputs": inputs, "outputs": outputs,
        "recipe": RECIPE, "seed": seed, "epochs": epochs, "pythonMetric": metric,
        "params": count_params(model), "macs": count_macs(model, example),
        **({"trainSeconds": round(seconds)} if seconds is not None else {}), **extra, "notes": notes,
    }


def train_autoencoders(data, seed=5, epochs=12, complex_epochs=6):
    """Trains ae, ae-denoise and (on ae's frozen encoder) the complex decoder; exports six files, checks composition."""
    vx = data[2]
    img = [{"name": "input", "shape": ["N", 1, 28, 28]}]
    rec = [{"name": "reconstruction", "shape": ["N", 1, 28, 28]}]
    lat = [{"name": "latent", "shape": ["N", LATENT]}]

    setup(seed)
    ae = AutoEncoder(Encoder(), Decoder())
    ae_s = _train("ae", ae, ae.parameters(), data, epochs, 3e-3, seed)
    ae_ssim = mean_ssim(reconstruct(ae, vx), vx)
    log("ae", f"test SSIM {ae_ssim:.4f}")

    setup(seed + 1)
    dn = AutoEncoder(Encoder(), Decoder())
    dn_s = _train("ae-denoise", dn, dn.parameters(), data, epochs, 3e-3, seed + 1, noisy=True)
    noisy_vx = add_noise(vx, torch.Generator().manual_seed(1234))
    dn_ssim = mean_ssim(reconstruct(dn, noisy_vx), vx)
    noisy_ssim = mean_ssim(noisy_vx, vx)
    log("ae-denoise", f"test SSIM {dn_ssim:.4f} (noisy input vs clean: {noisy_ssim:.4f})")

    setup(seed + 2)
    for p in ae.encoder.parameters():
        p.requires_grad_(False)
    cx = AutoEncoder(ae.encoder, ComplexDecoder())
    cx_s = _train("ae-complex", cx, cx.decoder.parameters(), data, complex_epochs, 3e-3, seed + 2)
    cx_ssim = mean_ssim(reconstruct(cx, vx), vx)
    log("ae-complex", f"test SSIM {cx_ssim:.4f} (simple decoder {ae_ssim:.4f})")

    with torch.no_grad():
        z = ae.encoder(vx[:2])
    paths = {
        "ae": export_onnx(ae, vx[:2], "ae.onnx", ["input"], ["reconstruction"]),
        "ae-denoise": export_onnx(dn, vx[:2], "ae-denoise.onnx", ["input"], ["reconstruction"]),
        "ae-complex": export_onnx(cx, vx[:2], "ae-complex.onnx", ["input"], ["reconstruction"]),
        "ae-encoder": export_onnx(ae.encoder, vx[:2], "ae-encoder.onnx", ["input"], ["latent"]),
        "ae-decoder": export_onnx(ae.decoder, z, "ae-decoder.onnx", ["latent"], ["reconstruction"]),
        "ae-complex-decoder": export_onnx(cx.decoder, z, "ae-complex-decoder.onnx", ["latent"], ["reconstruction"]),
    }
    x = vx[:512]
    xn = noisy_vx[:512]
    steps = [
        {"model": paths["ae"], "feeds": {"input": "x"}, "outputs": {"reconstruction": "AE"}},
        {"model": paths["ae-denoise"], "feeds": {"input": "xn"}, "outputs": {"reconstruction": "DN"}},
        {"model": paths["ae-complex"], "feeds": {"input": "x"}, "outputs": {"reconstruction": "CX"}},
        {"model": paths["ae-encoder"], "feeds": {"input": "x"}, "outputs": {"latent": "z"}},
        {"model": paths["ae-decoder"], "feeds": {"latent": "z"}, "outputs": {"reconstruction": "ae2"}},
        {"model": paths["ae-complex-decoder"], "feeds": {"latent": "z"}, "outputs": {"reconstruction": "cx2"}},
    ]
    r = ort_run({"x": x.numpy(), "xn": xn.numpy()}, steps, ["AE", "DN", "CX", "ae2", "cx2"])
    with torch.no_grad():
        diffs = {
            "ae": check_close("ae vs torch", r["AE"], ae(x).numpy(), 1e-4),
            "ae-denoise": check_close("ae-denoise vs torch", r["DN"], dn(xn).numpy(), 1e-4),
            "ae-complex": check_close("ae-complex vs torch", r["CX"], cx(x).numpy(), 1e-4),
        }
    comp_ae = check_close("ae-encoder+ae-decoder vs ae", r["ae2"], r["AE"], 1e-5)
    comp_cx = check_close("ae-encoder+ae-complex-decoder vs ae-complex", r["cx2"], r["CX"], 1e-5)
    log("ae", f"ORT vs torch {max(diffs.values()):.2e}; pieces vs whole {max(comp_ae, comp_cx):.2e}")

    arch = f"conv s2 16 -> conv s2 16 -> Linear({16 * 7 * 7},{LATENT}) latent"
    return [
        _entry("ae", "ae.onnx", "reconstruction", ae, vx, {"ssim": round(ae_ssim, 4)}, ae_s, seed, epochs,
               f"DistNN-style AE: {arch} -> Linear -> convT s2 16 -> convT s2 1 -> sigmoid; loss MSE + (1 - SSIM); "
               "the latent (dense layer) is DistNN's split point", img, rec, ortMaxAbsDiff=diffs["ae"]),
        _entry("ae-denoise", "ae-denoise.onnx", "denoising", dn, vx, {"ssim": round(dn_ssim, 4)}, dn_s, seed + 1, epochs,
               f"same architecture as ae, trained on inputs + Gaussian noise sigma {NOISE_SIGMA} clipped to [0,1], "
               f"target the clean image; metric = SSIM(model(noisy test), clean test) with noise from "
               f"torch.Generator seed 1234 (SSIM of the noisy input itself: {noisy_ssim:.4f})", img, rec,
               noiseSigma=NOISE_SIGMA, noiseClip=True, ortMaxAbsDiff=diffs["ae-denoise"]),
        _entry("ae-complex", "ae-complex.onnx", "reconstruction", cx, vx, {"ssim": round(cx_ssim, 4)}, cx_s, seed + 2,
               complex_epochs, "ae's frozen encoder + the complex decoder (DistNN Fig. 10 case 2, hub-side decoder); "
               f"simple-decoder SSIM {ae_ssim:.4f}", img, rec, ortMaxAbsDiff=diffs["ae-complex"]),
        _entry("ae-encoder", "ae-encoder.onnx", "feature", ae.encoder, vx, None, None, seed, epochs,
               "encoder of ae (node side): input -> latent; shared by ae and ae-complex", img, lat,
               parent="ae", compositionMaxAbsDiff=max(comp_ae, comp_cx)),
        _entry("ae-decoder", "ae-decoder.onnx", "reconstruction", ae.decoder, z, {"ssim": round(ae_ssim, 4)}, None,
               seed, epochs, f"simple decoder of ae: latent -> reconstruction; evaluated after ae-encoder "
               f"(ae-encoder + ae-decoder = ae within {comp_ae:.1e})",
               lat, rec, parent="ae", encoder="ae-encoder", compositionMaxAbsDiff=comp_ae),
        _entry("ae-complex-decoder", "ae-complex-decoder.onnx", "reconstruction", cx.decoder, z,
               {"ssim": round(cx_ssim, 4)}, None, seed + 2, complex_epochs,
               f"complex decoder: latent -> reconstruction; evaluated after ae-encoder (ae-encoder + "
               f"ae-complex-decoder = ae-complex within {comp_cx:.1e})",
               lat, rec, parent="ae-complex", encoder="ae-encoder", compositionMaxAbsDiff=comp_cx),
    ]
