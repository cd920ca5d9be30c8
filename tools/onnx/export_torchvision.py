#!/usr/bin/env python3
"""Exports torchvision classification models to ONNX (random weights: only shapes matter) and
counts each one's multiply-accumulates in PyTorch, for tests/slow/onnx_torchvision_test.cpp and
tools/onnx/torchvision_table.py. Needs Debian's python3-torchvision.

  /usr/bin/python3 tools/onnx/export_torchvision.py OUT_DIR resnet50 mobilenet_v2 ...
  /usr/bin/python3 tools/onnx/export_torchvision.py OUT_DIR families   # one model of each family
  /usr/bin/python3 tools/onnx/export_torchvision.py OUT_DIR resnet18_int8  # post-training int8

`<model>_int8` is the model quantized by PyTorch's FX post-training static quantization (fbgemm
qconfig, calibrated on one random batch), exported as QuantizeLinear/DequantizeLinear pairs
around float operators; its MACs are the float model's.

Writes OUT_DIR/<model>.onnx and OUT_DIR/macs.json ({model: MACs}). MACs are counted on the ATen
operators the forward pass runs (a TorchDispatchMode): convolution (output elements x input
channels per group x kernel area) and mm/addmm/bmm/baddbmm (output elements x the inner
dimension). That sees the matrix products written as functions (swin's q @ k^T, maxvit's einsum),
which module forward hooks do not; on resnet50, mobilenet_v2, vit_b_16 and inception_v3 the two
counts agree. Grad mode stays on so that MultiheadAttention runs its composite path (bmm), not
its fused inference kernel.
"""
import json
import math
import os
import sys

import torch
import torchvision
from torch.utils._python_dispatch import TorchDispatchMode

# One (small) model of each torchvision classification family. swin_v2 is missing: torch 1.13
# cannot export it (aten::zero has no ONNX symbolic at any opset).
FAMILIES = ["alexnet", "convnext_tiny", "densenet121", "efficientnet_b0", "efficientnet_v2_s", "googlenet",
            "inception_v3", "maxvit_t", "mnasnet0_5", "mobilenet_v2", "mobilenet_v3_small", "regnet_x_400mf",
            "regnet_y_400mf", "resnet50", "resnext50_32x4d", "shufflenet_v2_x0_5", "squeezenet1_0", "swin_t",
            "vgg11_bn", "vit_b_16", "wide_resnet50_2"]

ATEN = torch.ops.aten


class MacCounter(TorchDispatchMode):
    def __init__(self):
        super().__init__()
        self.macs = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        op = func._overloadpacket
        if op is ATEN.convolution:
            w = args[1]
            self.macs += out.numel() * w.shape[1] * math.prod(w.shape[2:])
        elif op in (ATEN.mm, ATEN.bmm):
            self.macs += out.numel() * args[0].shape[-1]
        elif op in (ATEN.addmm, ATEN.baddbmm):
            self.macs += out.numel() * args[1].shape[-1]
        return out


def count_macs(model, x):
    counter = MacCounter()
    with counter:
        model(x)
    return counter.macs


def quantize_int8(model, x):
    from torch.ao.quantization import get_default_qconfig_mapping
    from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx
    prepared = prepare_fx(model, get_default_qconfig_mapping("fbgemm"), (x,))
    with torch.no_grad():
        prepared(x)
    return convert_fx(prepared)


def main():
    out, names = sys.argv[1], sys.argv[2:]
    if names == ["families"]:
        names = FAMILIES
    os.makedirs(out, exist_ok=True)
    macs = {}
    for name in names:
        base = name[:-len("_int8")] if name.endswith("_int8") else name
        kwargs = {"aux_logits": False, "init_weights": False} if base in ("inception_v3", "googlenet") else {}
        model = getattr(torchvision.models, base)(**kwargs).eval()
        size = 299 if base == "inception_v3" else 224
        x = torch.randn(1, 3, size, size)
        macs[name] = count_macs(model, x)
        if name != base:
            model = quantize_int8(model, x)
        torch.onnx.export(model, x, os.path.join(out, name + ".onnx"), opset_version=13)
    with open(os.path.join(out, "macs.json"), "w") as f:
        json.dump(macs, f)


if __name__ == "__main__":
    main()
