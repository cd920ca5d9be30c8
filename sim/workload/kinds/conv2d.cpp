// conv2d and depthwise: NCHW input [N, C, H, W], weight [Cout, C/groups, Kh, Kw], optional
// bias [Cout], output [N, Cout, Ho, Wo] with
// Ho = (H + 2*padding + padding_bottom - dilation*(Kh-1) - 1)/stride + 1 (Wo alike, padding_right).
// Lowered by im2col to `groups` GEMMs of m = N*Ho*Wo, k = C/groups*Kh*Kw, n = Cout/groups.
#include <algorithm>

#include "sim/workload/op_kind.h"

namespace tessera {
namespace {

constexpr double kMaxAttr = 65536;

std::vector<ParamDecl> common_params() {
  return {
      ParamDecl::integer("stride", "", "1", 1, kMaxAttr, "stride (height, and width unless stride_w is set)"),
      ParamDecl::integer("stride_w", "", "0", 0, kMaxAttr, "width stride; 0 = same as stride"),
      ParamDecl::integer("padding", "", "0", 0, kMaxAttr, "zero padding on each side of height (and width unless padding_w is set)"),
      // Inception's 1x7 and 7x1 convolutions pad width and height differently.
      ParamDecl::integer("padding_w", "", "-1", -1, kMaxAttr, "zero padding on each side of width; -1 = same as padding"),
      // Asymmetric padding: ONNX pads, ceil-mode pooling sizes, SCALE-Sim's ceil output size.
      ParamDecl::integer("padding_bottom", "", "0", 0, kMaxAttr, "extra zero rows after the last input row"),
      ParamDecl::integer("padding_right", "", "0", 0, kMaxAttr, "extra zero columns after the last input column"),
      ParamDecl::integer("dilation", "", "1", 1, kMaxAttr, "spacing between kernel taps"),
  };
}
std::vector<ParamDecl> conv2d_params() {
  auto v = common_params();
  v.push_back(ParamDecl::integer("groups", "", "1", 1, 1 << 30, "channel groups; groups == C is depthwise"));
  return v;
}

struct ConvGeom {
  int64_t n, c, h, w, cout, kh, kw, groups, ho, wo;
};

class Conv2dKind : public IOpKind {
 public:
  explicit Conv2dKind(bool depthwise = false) : depthwise_(depthwise) {}

  void validate(const Operator& op, const Workload& wl) const override {
    expect_arity(op, 2, 3, 1);
    expect_input_rank(op, wl, 0, 4);
    expect_input_rank(op, wl, 1, 4);
    const auto& x = wl.tensor(op.inputs[0]).shape;
    const auto& w = wl.tensor(op.inputs[1]).shape;
    const int64_t c = x[1], cout = w[0];
    const int64_t g = depthwise_ ? c : op.attrs.i("groups");
    if (c % g != 0)
      op_error(op,
               "groups " + std::to_string(g) + " does not divide the " + std::to_string(c) + " input channels of '" +
                   op.inputs[0] + "' " + shape_text(x),
               op.attr_loc("groups"));
    if (cout % g != 0)
      op_error(op,
               "groups " + std::to_string(g) + " does not divide the " + std::to_string(cout) +
                   " output channels of weight '" + op.inputs[1] + "' " + shape_text(w),
               depthwise_ ? op.input_loc(1) : op.attr_loc("groups"));
    if (w[1] != c / g)
      op_error(op,
               "weight '" + op.inputs[1] + "' has shape " + shape_text(w) + ", expected [Cout, " +
                   std::to_string(c / g) + ", Kh, Kw] (input '" + op.inputs[0] + "' " + shape_text(x) + " has " +
                   std::to_string(c) + " channels, groups " + std::to_string(g) + ")",
               op.input_loc(1));
    if (op.inputs.size() == 3) expect_input_shape(op, wl, 2, {cout}, "bias is [Cout]");
    const ConvGeom gm = geom(op, wl);
    if (gm.ho <= 0 || gm.wo <= 0)
      op_error(op,
               "kernel " + std::to_string(gm.kh) + "x" + std::to_string(gm.kw) + " (dilation " +
                   std::to_string(op.attrs.i("dilation")) + ") does not fit input '" + op.inputs[0] + "' " +
                   shape_text(x) + " with padding " + std::to_string(op.attrs.i("padding")),
               op.input_loc(1));
    expect_output_shape(op, wl, 0, {gm.n, cout, gm.ho, gm.wo},
                        "input " + shape_text(x) + ", weight " + shape_text(w) + ", stride " +
                            std::to_string(op.attrs.i("stride")) + ", padding " +
                            std::to_string(op.attrs.i("padding")) + ", dilation " +
                            std::to_string(op.attrs.i("dilation")));
  }

  std::vector<LoweredOp> lower(const Operator& op, const Workload& wl) const override {
    const ConvGeom gm = geom(op, wl);
    GemmShape g;
    g.m = checked_mul(op, gm.n, checked_mul(op, gm.ho, gm.wo));
    g.k = checked_mul(op, gm.c / gm.groups, checked_mul(op, gm.kh, gm.kw));
    g.n = gm.cout / gm.groups;
    LoweredOp w = gemm_work(op, wl, g, gm.groups, op.inputs[0], op.inputs[1], op.outputs[0]);
    w.a_tile_elements = input_patch(op, gm);
    ConvDims cd;
    cd.m = {gm.n, gm.ho, gm.wo};
    cd.k = {gm.c / gm.groups, gm.kh, gm.kw};
    cd.h = gm.h;
    cd.w = gm.w;
    cd.stride_h = op.attrs.i("stride");
    cd.stride_w = op.attrs.i("stride_w") ? op.attrs.i("stride_w") : cd.stride_h;
    cd.pad = op.attrs.i("padding");
    cd.pad_w = pad_w(op);
    cd.dilation = op.attrs.i("dilation");
    w.conv = cd;
    return {w};
  }

  // The input elements a GEMM tile reads (per group): the bounding box of its output pixels'
  // receptive fields over the channels its k range touches, clipped to the tensor, and never
  // more than the tile's im2col count (every im2col element is one input element or padding).
  // Row m = (image, oy, ox), column k = (channel, ky, kx).
  static ATileElements input_patch(const Operator& op, const ConvGeom gm) {
    const int64_t sh = op.attrs.i("stride"), sw = op.attrs.i("stride_w") ? op.attrs.i("stride_w") : sh;
    const int64_t pad = op.attrs.i("padding"), padw = pad_w(op), dil = op.attrs.i("dilation");
    return [=](int64_t m0, int64_t tm, int64_t k0, int64_t tk) -> uint64_t {
      const int64_t taps = gm.kh * gm.kw, plane = gm.ho * gm.wo;
      const uint64_t im2col = static_cast<uint64_t>(tm) * static_cast<uint64_t>(tk);
      if (m0 < 0) {  // sizing: a tile anywhere, straddling one more row and channel, unclipped
        const int64_t channels = std::min(gm.c / gm.groups, (tk + taps - 1) / taps + 1);
        const int64_t rows = std::min(gm.ho, (tm + gm.wo - 1) / gm.wo + 1);
        const int64_t cols = std::min(gm.wo, tm);
        const int64_t images = (tm + plane - 1) / plane + 1;
        const auto box = static_cast<uint64_t>(images) * static_cast<uint64_t>(channels) *
                         static_cast<uint64_t>((rows - 1) * sh + (gm.kh - 1) * dil + 1) *
                         static_cast<uint64_t>((cols - 1) * sw + (gm.kw - 1) * dil + 1);
        return std::min(box, im2col);
      }
      const int64_t ci_lo = k0 / taps, ci_hi = (k0 + tk - 1) / taps;
      int64_t ky_lo = 0, ky_hi = gm.kh - 1;
      if (ci_lo == ci_hi) {
        ky_lo = (k0 % taps) / gm.kw;
        ky_hi = ((k0 + tk - 1) % taps) / gm.kw;
      }
      uint64_t pixels = 0;
      for (int64_t m = m0; m < m0 + tm;) {  // one image at a time
        const int64_t img = m / plane, end = std::min(m0 + tm, (img + 1) * plane);
        const int64_t first = m % plane, last = (end - 1) % plane;
        const int64_t oy_lo = first / gm.wo, oy_hi = last / gm.wo;
        const int64_t ox_lo = oy_lo == oy_hi ? first % gm.wo : 0, ox_hi = oy_lo == oy_hi ? last % gm.wo : gm.wo - 1;
        const int64_t y0 = std::max<int64_t>(0, oy_lo * sh - pad + ky_lo * dil);
        const int64_t y1 = std::min(gm.h - 1, oy_hi * sh - pad + ky_hi * dil);
        const int64_t x0 = std::max<int64_t>(0, ox_lo * sw - padw);
        const int64_t x1 = std::min(gm.w - 1, ox_hi * sw - padw + (gm.kw - 1) * dil);
        if (y1 >= y0 && x1 >= x0) pixels += static_cast<uint64_t>((y1 - y0 + 1) * (x1 - x0 + 1));
        m = end;
      }
      return std::min(pixels * static_cast<uint64_t>(ci_hi - ci_lo + 1), im2col);
    };
  }

  // im2col: row m = (image, oy, ox), column k = (channel in group, ky, kx).
  std::optional<GemmLayout> gemm_layout(const Operator& op, const Workload& wl, size_t) const override {
    const ConvGeom gm = geom(op, wl);
    const int64_t sh = op.attrs.i("stride"), sw = op.attrs.i("stride_w") ? op.attrs.i("stride_w") : sh;
    const int64_t pad = op.attrs.i("padding"), padw = pad_w(op), dil = op.attrs.i("dilation");
    const int64_t cg = gm.c / gm.groups, og = gm.cout / gm.groups;
    GemmLayout l;
    l.a = [=](int64_t g, int64_t m, int64_t k) -> int64_t {
      const int64_t ox = m % gm.wo, oy = (m / gm.wo) % gm.ho, img = m / (gm.wo * gm.ho);
      const int64_t kx = k % gm.kw, ky = (k / gm.kw) % gm.kh, ci = k / (gm.kw * gm.kh);
      const int64_t iy = oy * sh - pad + ky * dil, ix = ox * sw - padw + kx * dil;
      if (iy < 0 || iy >= gm.h || ix < 0 || ix >= gm.w) return -1;
      return ((img * gm.c + g * cg + ci) * gm.h + iy) * gm.w + ix;
    };
    l.b = [=](int64_t g, int64_t k, int64_t n) { return (g * og + n) * (cg * gm.kh * gm.kw) + k; };
    l.out = [=](int64_t g, int64_t m, int64_t n) {
      const int64_t ox = m % gm.wo, oy = (m / gm.wo) % gm.ho, img = m / (gm.wo * gm.ho);
      return ((img * gm.cout + g * og + n) * gm.ho + oy) * gm.wo + ox;
    };
    return l;
  }

 private:
  static int64_t pad_w(const Operator& op) {
    const int64_t w = op.attrs.i("padding_w");
    return w >= 0 ? w : op.attrs.i("padding");
  }
  ConvGeom geom(const Operator& op, const Workload& wl) const {
    const auto& x = wl.tensor(op.inputs[0]).shape;
    const auto& w = wl.tensor(op.inputs[1]).shape;
    ConvGeom g{};
    g.n = x[0];
    g.c = x[1];
    g.h = x[2];
    g.w = x[3];
    g.cout = w[0];
    g.kh = w[2];
    g.kw = w[3];
    g.groups = depthwise_ ? g.c : op.attrs.i("groups");
    const int64_t sh = op.attrs.i("stride"), sw = op.attrs.i("stride_w") ? op.attrs.i("stride_w") : sh;
    const int64_t p = op.attrs.i("padding"), d = op.attrs.i("dilation");
    // Dims are <= 2^48 and attributes <= 2^16: only the dilated span can leave 64 bits.
    const int64_t span_h = checked_mul(op, d, g.kh - 1) + 1, span_w = checked_mul(op, d, g.kw - 1) + 1;
    const int64_t ph = 2 * p + op.attrs.i("padding_bottom"), pw = 2 * pad_w(op) + op.attrs.i("padding_right");
    g.ho = g.h + ph < span_h ? 0 : (g.h + ph - span_h) / sh + 1;
    g.wo = g.w + pw < span_w ? 0 : (g.w + pw - span_w) / sw + 1;
    return g;
  }
  bool depthwise_;
};

class DepthwiseKind : public Conv2dKind {
 public:
  DepthwiseKind() : Conv2dKind(true) {}
};

}  // namespace
}  // namespace tessera

TESSERA_REGISTER_OP_KIND("conv2d", "2-D convolution, NCHW, weight [Cout, C/groups, Kh, Kw]", tessera::conv2d_params,
                         tessera::Conv2dKind);
TESSERA_REGISTER_OP_KIND("depthwise", "conv2d with groups = C (weight [C*multiplier, 1, Kh, Kw])",
                         tessera::common_params, tessera::DepthwiseKind);
