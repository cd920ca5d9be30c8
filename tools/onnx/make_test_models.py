#!/usr/bin/env python3
"""Writes the small ONNX models tests/unit/onnx_test.cpp loads, with python3-onnx's helper
(Debian python3-onnx), into OUT_DIR. Weights are zeros: only shapes matter to tessera.

  python3 tools/onnx/make_test_models.py OUT_DIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def weight(name, shape, value=0.0):
    return numpy_helper.from_array(np.full(shape, value, dtype=np.float32), name)


def ints(name, values):
    return numpy_helper.from_array(np.array(values, dtype=np.int64), name)


def save(graph, path, opset=13):
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="tessera-tests")
    onnx.checker.check_model(model)
    onnx.save(model, path)


def cnn(out):
    """Conv+BN+ReLU, max pool, a residual Add, a depthwise conv with ReLU6 (Clip), global
    average pool, flatten, a Linear (Gemm transB=1) and softmax: 1x3x32x32 input."""
    n = helper.make_node
    nodes = [
        n("Conv", ["x", "c1.w"], ["c1"], name="conv1", pads=[1, 1, 1, 1], strides=[1, 1], kernel_shape=[3, 3]),
        n("BatchNormalization", ["c1", "bn.s", "bn.b", "bn.m", "bn.v"], ["bn"], name="bn1"),
        n("Relu", ["bn"], ["r1"], name="relu1"),
        n("MaxPool", ["r1"], ["p1"], name="pool1", kernel_shape=[2, 2], strides=[2, 2]),
        n("Conv", ["p1", "c2.w", "c2.b"], ["c2"], name="conv2", pads=[1, 1, 1, 1], kernel_shape=[3, 3]),
        n("Add", ["c2", "p1"], ["a1"], name="add1"),
        n("Conv", ["a1", "dw.w"], ["dw"], name="dw", pads=[1, 1, 1, 1], strides=[2, 2], group=16, kernel_shape=[3, 3]),
        n("Clip", ["dw", "zero", "six"], ["r6"], name="relu6"),
        n("GlobalAveragePool", ["r6"], ["gap"], name="gap"),
        n("Flatten", ["gap"], ["flat"], name="flatten", axis=1),
        n("Gemm", ["flat", "fc.w", "fc.b"], ["logits"], name="fc", transB=1),
        n("Softmax", ["logits"], ["y"], name="softmax", axis=1),
    ]
    inits = [weight("c1.w", [16, 3, 3, 3]), weight("bn.s", [16], 1.0), weight("bn.b", [16]), weight("bn.m", [16]),
             weight("bn.v", [16], 1.0), weight("c2.w", [16, 16, 3, 3]), weight("c2.b", [16]),
             weight("dw.w", [16, 1, 3, 3]), weight("zero", [], 0.0), weight("six", [], 6.0),
             weight("fc.w", [10, 16]), weight("fc.b", [10])]
    g = helper.make_graph(nodes, "cnn", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 32, 32])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])], inits)
    save(g, os.path.join(out, "cnn.onnx"))


def attention(out, batch=1):
    """One attention block as torch exports it: Linear projections (MatMul by constant weights,
    Add bias), heads by Reshape (shape from a Shape/Gather/Concat chain) and Transpose, Q K^T
    and softmax, P V, an output projection, a residual Add, LayerNormalization and an erf GELU
    MLP. Sequence 8, width 16, 2 heads."""
    n = helper.make_node
    s, d, h = 8, 16, 2
    nodes = [
        n("MatMul", ["x", "wq"], ["q0"], name="q_proj"),
        n("Add", ["q0", "bq"], ["q1"], name="q_bias"),
        n("MatMul", ["x", "wk"], ["k0"], name="k_proj"),
        n("MatMul", ["x", "wv"], ["v0"], name="v_proj"),
        # the head shape [B, S, H, D/H], partly computed from x's shape
        n("Shape", ["x"], ["xs"], name="shape"),
        n("Gather", ["xs", "idx0"], ["b"], name="gather_b", axis=0),
        n("Unsqueeze", ["b", "ax0"], ["b1"], name="unsq_b"),
        n("Concat", ["b1", "rest"], ["hshape"], name="cat_shape", axis=0),
        n("Reshape", ["q1", "hshape"], ["q2"], name="q_heads"),
        n("Transpose", ["q2"], ["q"], name="q_t", perm=[0, 2, 1, 3]),
        n("Reshape", ["k0", "hshape"], ["k2"], name="k_heads"),
        n("Transpose", ["k2"], ["kt"], name="k_t", perm=[0, 2, 3, 1]),
        n("Reshape", ["v0", "hshape"], ["v2"], name="v_heads"),
        n("Transpose", ["v2"], ["v"], name="v_t", perm=[0, 2, 1, 3]),
        n("MatMul", ["q", "kt"], ["scores"], name="qk"),
        n("Softmax", ["scores"], ["p"], name="softmax", axis=-1),
        n("MatMul", ["p", "v"], ["ctx0"], name="pv"),
        n("Transpose", ["ctx0"], ["ctx1"], name="ctx_t", perm=[0, 2, 1, 3]),
        n("Reshape", ["ctx1", "flat_shape"], ["ctx"], name="ctx_merge"),
        n("MatMul", ["ctx", "wo"], ["o"], name="o_proj"),
        n("Add", ["o", "x"], ["res"], name="residual"),
        n("LayerNormalization", ["res", "ln.s", "ln.b"], ["ln"], name="ln", axis=-1),
        n("MatMul", ["ln", "w1"], ["f1"], name="fc1"),
        n("Div", ["f1", "sqrt2"], ["g0"], name="gelu_div"),
        n("Erf", ["g0"], ["g1"], name="gelu_erf"),
        n("Add", ["g1", "one"], ["g2"], name="gelu_add"),
        n("Mul", ["f1", "g2"], ["g3"], name="gelu_mul"),
        n("Mul", ["g3", "half"], ["g4"], name="gelu_half"),
        n("MatMul", ["g4", "w2"], ["y"], name="fc2"),
    ]
    inits = [weight("wq", [d, d]), weight("bq", [d]), weight("wk", [d, d]), weight("wv", [d, d]),
             ints("idx0", 0), ints("ax0", [0]), ints("rest", [s, h, d // h]), ints("flat_shape", [batch, s, d]),
             weight("wo", [d, d]), weight("ln.s", [d], 1.0), weight("ln.b", [d]), weight("w1", [d, 4 * d]),
             weight("sqrt2", [], 1.4142135), weight("one", [], 1.0), weight("half", [], 0.5), weight("w2", [4 * d, d])]
    g = helper.make_graph(nodes, "attention", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", s, d])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", s, d])], inits)
    save(g, os.path.join(out, "attention.onnx"), opset=17)


def qdq_cnn(out):
    """A CNN in the QDQ format (as onnxruntime's quantizer writes it): every activation passes
    through QuantizeLinear -> DequantizeLinear, weights are int8 initializers read through
    DequantizeLinear, the conv bias int32. Also a ceil-mode max pool, HardSigmoid(x) * x
    (HardSwish as torch exports it below opset 14), x.mean([2, 3]) and a MatMul by a weight."""
    n = helper.make_node

    def qdq(name, x, zp="zp_u8"):
        return [n("QuantizeLinear", [x, "scale", zp], [name + ".q"], name=name + "_q"),
                n("DequantizeLinear", [name + ".q", "scale", zp], [name + ".dq"], name=name + "_dq")]

    nodes = qdq("in", "x") + [
        n("DequantizeLinear", ["c1.w", "wscale", "zp_i8"], ["c1.wf"], name="c1_wdq"),
        n("DequantizeLinear", ["c1.b", "bscale"], ["c1.bf"], name="c1_bdq"),
        n("Conv", ["in.dq", "c1.wf", "c1.bf"], ["c1"], name="conv1", pads=[1, 1, 1, 1], kernel_shape=[3, 3]),
        n("Relu", ["c1"], ["r1"], name="relu1")] + qdq("r1", "r1", "zp_i8") + [
        n("MaxPool", ["r1.dq"], ["p1"], name="pool1", kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1),
        n("HardSigmoid", ["p1"], ["hs"], name="hswish", alpha=1.0 / 6, beta=0.5),
        n("Mul", ["p1", "hs"], ["h1"], name="hswish_mul"),
        n("ReduceMean", ["h1"], ["m1"], name="mean", axes=[2, 3], keepdims=0)] + qdq("m1", "m1", "zp_i8") + [
        n("DequantizeLinear", ["fc.w", "wscale", "zp_i8"], ["fc.wf"], name="fc_wdq"),
        n("MatMul", ["m1.dq", "fc.wf"], ["y"], name="fc"),
    ]
    i8 = lambda name, shape: numpy_helper.from_array(np.zeros(shape, dtype=np.int8), name)
    inits = [weight("scale", [], 0.05), weight("wscale", [], 0.01), weight("bscale", [], 0.0005),
             numpy_helper.from_array(np.array(128, dtype=np.uint8), "zp_u8"),
             numpy_helper.from_array(np.array(0, dtype=np.int8), "zp_i8"),
             i8("c1.w", [8, 3, 3, 3]), numpy_helper.from_array(np.zeros([8], dtype=np.int32), "c1.b"),
             i8("fc.w", [8, 10])]
    g = helper.make_graph(nodes, "qdq_cnn", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])], inits)
    save(g, os.path.join(out, "qdq_cnn.onnx"))


def qlinear(out):
    """The integer operators: QLinearConv (uint8 in and out, int8 weights, int32 bias) ->
    ConvInteger (int32 out); QLinearMatMul by an int8 weight -> MatMulInteger by an int8 weight."""
    n = helper.make_node
    nodes = [
        n("QLinearConv", ["x", "s", "zp_u8", "c1.w", "s", "zp_i8", "s", "zp_u8", "c1.b"], ["c1"], name="qconv",
          pads=[1, 1, 1, 1], kernel_shape=[3, 3], strides=[2, 2]),
        n("ConvInteger", ["c1", "c2.w", "zp_u8"], ["c2"], name="iconv", kernel_shape=[1, 1]),
        n("QLinearMatMul", ["a", "s", "zp_u8", "m1.w", "s", "zp_i8", "s", "zp_u8"], ["m1"], name="qmatmul"),
        n("MatMulInteger", ["m1", "m2.w", "zp_u8"], ["m2"], name="imatmul"),
    ]
    i8 = lambda name, shape: numpy_helper.from_array(np.zeros(shape, dtype=np.int8), name)
    inits = [weight("s", [], 0.05), numpy_helper.from_array(np.array(128, dtype=np.uint8), "zp_u8"),
             numpy_helper.from_array(np.array(0, dtype=np.int8), "zp_i8"), i8("c1.w", [8, 4, 3, 3]),
             numpy_helper.from_array(np.zeros([8], dtype=np.int32), "c1.b"), i8("c2.w", [16, 8, 1, 1]),
             i8("m1.w", [16, 8]), i8("m2.w", [8, 4])]
    g = helper.make_graph(nodes, "qlinear", [helper.make_tensor_value_info("x", TensorProto.UINT8, [1, 4, 8, 8]),
                                             helper.make_tensor_value_info("a", TensorProto.UINT8, [2, 5, 16])],
                          [helper.make_tensor_value_info("c2", TensorProto.INT32, [1, 16, 4, 4]),
                           helper.make_tensor_value_info("m2", TensorProto.INT32, [2, 5, 4])], inits)
    save(g, os.path.join(out, "qlinear.onnx"))


def einsum(out):
    """Attention products as maxvit writes them: Einsum "B H I D, B H J D -> B H I J" (spaces and
    all) and "bhij,bhjd->bhid"; a HardSwish node (opset 14); and an Einsum that is not a matrix
    product, in a model of its own."""
    n = helper.make_node
    nodes = [n("Einsum", ["q", "k"], ["s"], name="qk", equation="B H I D, B H J D -> B H I J"),
             n("Softmax", ["s"], ["p"], name="softmax", axis=-1),
             n("Einsum", ["p", "v"], ["c"], name="pv", equation="bhij,bhjd->bhid"),
             n("HardSwish", ["c"], ["y"], name="hswish")]
    io = lambda name: helper.make_tensor_value_info(name, TensorProto.FLOAT, [1, 2, 6, 4])
    g = helper.make_graph(nodes, "einsum", [io("q"), io("k"), io("v")], [io("y")])
    save(g, os.path.join(out, "einsum.onnx"), opset=14)
    g = helper.make_graph([n("Einsum", ["q", "k"], ["s"], name="dot", equation="i,i->")], "einsum_dot",
                          [helper.make_tensor_value_info(x, TensorProto.FLOAT, [4]) for x in "qk"],
                          [helper.make_tensor_value_info("s", TensorProto.FLOAT, [])])
    save(g, os.path.join(out, "einsum_dot.onnx"))


def swin_bits(out):
    """What swin_t's export needs: window padding computed as torch writes it (Shape, Gather,
    Mod, a pad list reversed by a Slice with step -1, Transpose, Reshape; zero here, so the Pad
    is nothing), patch merging by strided Slices over two axes, and a Reshape whose target is
    computed (Mul) from a shape known only once the Pad is folded: two rounds of folding."""
    n = helper.make_node
    big = 9223372036854775807
    nodes = [
        n("Shape", ["x"], ["s"], name="shape"),
        n("Gather", ["s", "i1"], ["h"], name="gather_h", axis=0),
        n("Mod", ["h", "two"], ["hm"], name="mod1"),
        n("Sub", ["two", "hm"], ["hs"], name="sub"),
        n("Mod", ["hs", "two"], ["pad_h"], name="mod2"),
        n("Unsqueeze", ["pad_h", "ax0"], ["pad_h1"], name="unsq"),
        n("Concat", ["zeros4", "pad_h1", "zeros3"], ["p8"], name="cat_pads", axis=0),
        n("Reshape", ["p8", "pairs"], ["p42"], name="pairs_shape"),
        n("Slice", ["p42", "m1", "neg_big", "ax0", "m1"], ["p42r"], name="reverse"),
        n("Transpose", ["p42r"], ["p24"], name="pairs_t", perm=[1, 0]),
        n("Reshape", ["p24", "flat"], ["pads"], name="pads_flat"),
        n("Pad", ["x", "pads"], ["xp"], name="pad", mode="constant"),
        n("Slice", ["xp", "st00", "ends", "ax12", "st22"], ["x0"], name="even"),
        n("Slice", ["xp", "st10", "ends", "ax12", "st22"], ["x1"], name="odd_rows"),
        n("Concat", ["x0", "x1"], ["y"], name="merge", axis=-1),
        n("Shape", ["y"], ["ys"], name="shape_y"),
        n("Gather", ["ys", "i3"], ["c"], name="gather_c", axis=0),
        n("Mul", ["c", "four"], ["c4"], name="times4"),
        n("Unsqueeze", ["c4", "ax0"], ["c41"], name="unsq_c"),
        n("Concat", ["one", "c41"], ["target"], name="cat_target", axis=0),
        n("Reshape", ["y", "target"], ["z"], name="flatten"),
    ]
    inits = [ints("i1", 1), ints("i3", 3), ints("two", 2), ints("four", 4), ints("ax0", [0]), ints("one", [1]),
             ints("zeros4", [0, 0, 0, 0]), ints("zeros3", [0, 0, 0]), ints("pairs", [-1, 2]), ints("m1", [-1]),
             ints("neg_big", [-big]), ints("flat", [-1]), ints("st00", [0, 0]), ints("st10", [1, 0]),
             ints("ends", [big, big]), ints("ax12", [1, 2]), ints("st22", [2, 2])]
    g = helper.make_graph(nodes, "swin_bits", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 4, 8])],
                          [helper.make_tensor_value_info("z", TensorProto.FLOAT, [1, None])], inits)
    save(g, os.path.join(out, "swin_bits.onnx"))


def instance_norm(out):
    """InstanceNorm decomposed over H and W (mean, x - mean, its square's mean, + eps, sqrt,
    divide): a normalization, although its first ReduceMean is over H and W like a pool's."""
    n = helper.make_node
    nodes = [n("ReduceMean", ["x"], ["m"], name="mean", axes=[2, 3], keepdims=1),
             n("Sub", ["x", "m"], ["d"], name="sub"),
             n("Pow", ["d", "two"], ["d2"], name="pow"),
             n("ReduceMean", ["d2"], ["v"], name="var", axes=[2, 3], keepdims=1),
             n("Add", ["v", "eps"], ["ve"], name="add_eps"),
             n("Sqrt", ["ve"], ["sd"], name="sqrt"),
             n("Div", ["d", "sd"], ["y"], name="div")]
    io = lambda name: helper.make_tensor_value_info(name, TensorProto.FLOAT, [1, 4, 5, 5])
    g = helper.make_graph(nodes, "instance_norm", [io("x")], [io("y")], [weight("two", [], 2.0), weight("eps", [], 1e-5)])
    save(g, os.path.join(out, "instance_norm.onnx"))


def pad_window(out):
    """Zero padding no Conv or pool reads (swin's windows at a size 7 does not divide): a pad."""
    n = helper.make_node
    nodes = [n("Pad", ["x", "pads"], ["p"], name="pad", mode="constant"), n("Relu", ["p"], ["y"], name="relu")]
    g = helper.make_graph(nodes, "pad_window", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 5, 5, 8])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 7, 7, 8])],
                          [ints("pads", [0, 0, 0, 0, 0, 2, 2, 0])])
    save(g, os.path.join(out, "pad_window.onnx"))


def bad(out):
    """An operator tessera does not read (Round), an opset newer than the loader knows, and a
    node missing an input, and a cycle."""
    n = helper.make_node
    g = helper.make_graph([n("Round", ["x"], ["y"], name="round")], "bad",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])])
    save(g, os.path.join(out, "unsupported.onnx"), opset=14)
    g = helper.make_graph([n("Relu", ["x"], ["y"], name="r")], "new",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 99)])
    onnx.save(model, os.path.join(out, "opset99.onnx"))
    # A Gemm without its B input (the checker would refuse it: saved unchecked).
    g = helper.make_graph([n("Gemm", ["x"], ["y"], name="g")], "short",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), os.path.join(out, "short.onnx"))
    # A cycle: a = Relu(b), b = Relu(a).
    g = helper.make_graph([n("Relu", ["b"], ["a"], name="r1"), n("Relu", ["a"], ["b"], name="r2")], "cycle",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
                          [helper.make_tensor_value_info("b", TensorProto.FLOAT, [1, 4])])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), os.path.join(out, "cycle.onnx"))
    # A 2-D input to a Conv with a 4-D weight (libonnx's own inference reads past its arrays).
    g = helper.make_graph([n("Conv", ["x", "w"], ["y"], name="c")], "conv_rank",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3, 6])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [3, 6])], [weight("w", [8, 4, 3, 3])])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), os.path.join(out, "conv_rank.onnx"))
    # Pads of the wrong length, then the Shape of the Pad's output (libonnx goes on after the Pad
    # fails and its Shape-15 data propagation reads the untyped output).
    g = helper.make_graph([n("Pad", ["x", "pads"], ["y"], name="pad"), n("Shape", ["y"], ["s"], name="shape"),
                           n("Reshape", ["x", "s"], ["z"], name="reshape")], "pad_shape",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
                          [helper.make_tensor_value_info("z", TensorProto.FLOAT, [1, 4])], [ints("pads", [0, 0])])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 15)]), os.path.join(out, "pad_shape.onnx"))
    # An int64 initializer of 2 elements stored in 14 raw bytes (libonnx's ParseData overflows).
    short = TensorProto(name="shape", data_type=TensorProto.INT64, dims=[2], raw_data=bytes(14))
    g = helper.make_graph([n("Reshape", ["x", "shape"], ["y"], name="r")], "raw14",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4, 1])], [short])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), os.path.join(out, "raw14.onnx"))


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    cnn(out)
    attention(out)
    qdq_cnn(out)
    qlinear(out)
    einsum(out)
    swin_bits(out)
    instance_norm(out)
    pad_window(out)
    bad(out)


if __name__ == "__main__":
    main()
