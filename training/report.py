"""Prints the measured tables of training/README.md from training/zoo.json and the files in models/.

Usage: /usr/bin/python3 training/report.py
"""
import json
import os

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def fmt_int(n):
    return f"{n:,}"


def main():
    with open(os.path.join(REPO, "training", "zoo.json")) as f:
        zoo = json.load(f)
    models = zoo["models"]
    by_name = {m["name"]: m for m in models}
    print("| model | file | task | test metric (python) | params | MACs | train time | seed | epochs |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for m in models:
        if m["task"] == "feature":
            continue
        metric = ", ".join(f"{k} {v:.4f}" for k, v in m["pythonMetric"].items())
        size = os.path.getsize(os.path.join(REPO, m["file"]))
        secs = m.get("trainSeconds")
        took = f"{secs // 60} min {secs % 60} s" if secs is not None else f"(with {m.get('parent', '?')})"
        print(
            f"| {m['name']} | `{m['file']}` ({size / 1024:.0f} KiB) | {m['task']} | {metric} | {fmt_int(m['params'])} | "
            f"{fmt_int(m['macs'])} | {took} | {m['seed']} | {m['epochs']} |"
        )
    print()
    print("| piece | parent | task | inputs | outputs | params | MACs | composition max abs diff |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for m in models:
        if "parent" not in m:
            continue
        io = lambda xs: ", ".join(f"`{x['name']}` [{','.join(str(d) for d in x['shape'])}]" for x in xs)  # noqa: E731
        print(
            f"| `{m['file']}` | {m['parent']} | {m['task']} | {io(m['inputs'])} | {io(m['outputs'])} | {fmt_int(m['params'])} | "
            f"{fmt_int(m['macs'])} | {m.get('compositionMaxAbsDiff', 0):.1e} |"
        )
    print()
    names = ["lcp-original", "lcp-split2", "lcp-split4", "lcp-split8", "lcp-split8-f20", "lcp-split8-f40"]
    if all(n in by_name for n in names):
        base = by_name["lcp-original"]
        print("| LCP model | branches | branch widths (conv1,conv2,conv3,fc1,fc2) | top-1 accuracy | # params | # MACs | params vs original | MACs vs original |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- |")
        for n in names:
            m = by_name[n]
            print(
                f"| {n} | {m['splitFactor']} | {tuple(m['branchWidths'])} | {m['pythonMetric']['accuracy'] * 100:.2f} | "
                f"{fmt_int(m['params'])} | {fmt_int(m['macs'])} | {m['params'] / base['params']:.3f} | "
                f"{m['macs'] / base['macs']:.3f} |"
            )
    total = sum(os.path.getsize(os.path.join(REPO, "models", f)) for f in os.listdir(os.path.join(REPO, "models")) if f.endswith(".onnx"))
    print(f"\nmodels/*.onnx total: {total / 1024 / 1024:.2f} MiB in {len(models)} files")


if __name__ == "__main__":
    main()
