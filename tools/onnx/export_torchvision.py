#!/usr/bin/env python3
"""Exports torchvision classification models to ONNX (random weights: only shapes matter) and
counts each one's multiply-accumulates in PyTorch with forward hooks, for
tests/slow/onnx_torchvision_test.cpp. Needs Debian's python3-torchvision.

  /usr/bin/python3 tools/onnx/export_torchvision.py OUT_DIR resnet50 mobilenet_v2 ...

Writes OUT_DIR/<model>.onnx and OUT_DIR/macs.json ({model: MACs}). Counted: Conv2d (output
elements x input channels per group x kernel area), Linear (output elements x input features),
and MultiheadAttention's two batched products (2 x heads x L x L x head dim), which are not
modules of their own.
"""
import json
import os
import sys

import torch
import torchvision


def count_macs(model, x):
    total = [0]

    def conv(m, inp, out):
        total[0] += out.numel() * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]

    def linear(m, inp, out):
        total[0] += out.numel() * m.in_features

    def mha(m, inp, out):
        # its output has the query's shape (inputs may come as keywords, which hooks do not see)
        q = out[0]  # [L, N, E] or [N, L, E]
        length = q.shape[1] if m.batch_first else q.shape[0]
        batch = q.shape[0] if m.batch_first else q.shape[1]
        total[0] += 2 * batch * length * length * m.embed_dim
        # its projections are parameters, not Linear modules: in (3 E x E) and out (E x E)
        total[0] += q.numel() * m.embed_dim * 4

    hooks = []
    for m in model.modules():
        if isinstance(m, torch.nn.Conv2d):
            hooks.append(m.register_forward_hook(conv))
        elif isinstance(m, torch.nn.Linear) and not isinstance(m, torch.nn.modules.linear.NonDynamicallyQuantizableLinear):
            hooks.append(m.register_forward_hook(linear))
        elif isinstance(m, torch.nn.MultiheadAttention):
            hooks.append(m.register_forward_hook(mha))
    with torch.no_grad():
        model(x)
    for h in hooks:
        h.remove()
    return total[0]


def main():
    out, names = sys.argv[1], sys.argv[2:]
    os.makedirs(out, exist_ok=True)
    macs = {}
    for name in names:
        kwargs = {"aux_logits": False, "init_weights": False} if name == "inception_v3" else {}
        model = getattr(torchvision.models, name)(**kwargs).eval()
        size = 299 if name == "inception_v3" else 224
        x = torch.randn(1, 3, size, size)
        macs[name] = count_macs(model, x)
        torch.onnx.export(model, x, os.path.join(out, name + ".onnx"), opset_version=13)
    with open(os.path.join(out, "macs.json"), "w") as f:
        json.dump(macs, f)


if __name__ == "__main__":
    main()
