// SCALE-Sim topology CSVs (github.com/scalesim-project/scale-sim-v2, scalesim/topology_utils.py):
//  conv form: Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels,
//             Num Filter, Strides,   (an optional 9th value is the width stride)
//  GEMM form: Layer, M, N, K,
// The first line is a header; blank lines are skipped; SCALE-Sim drops the field after the
// last comma, so rows end in ',' and may carry a trailing comment there ("#dw"). Conv layers
// have no padding, and ofmap = ceil((ifmap - filter + stride) / stride). A layer whose name
// contains "DP" is depthwise (SCALE-Sim runs it channel by channel): groups = Channels, Num Filter per channel.
// Each row becomes one independent op on int8 tensors <layer>.ifmap, .filter, .ofmap.
#include <cerrno>
#include <cstdlib>
#include <filesystem>

#include "sim/workload/loader.h"

namespace tessera {
namespace {

struct Field {
  std::string text;
  int col = 0;  // 1-based column of the field's first non-blank character
};

std::vector<Field> split_row(const std::string& line) {
  std::vector<Field> out;
  size_t pos = 0;
  while (true) {
    size_t comma = line.find(',', pos);
    const size_t end = comma == std::string::npos ? line.size() : comma;
    size_t b = pos, e = end;
    while (b < e && (line[b] == ' ' || line[b] == '\t')) ++b;
    while (e > b && (line[e - 1] == ' ' || line[e - 1] == '\t' || line[e - 1] == '\r')) --e;
    out.push_back({line.substr(b, e - b), static_cast<int>(b) + 1});
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return out;
}

// Blank, or only commas: spreadsheet exports pad with ",,,,,,,," rows.
bool blank(const std::string& line) { return line.find_first_not_of(" \t\r,") == std::string::npos; }

}  // namespace

Workload parse_topology_csv(const std::string& text, const std::string& file) {
  Workload wl(std::filesystem::path(file).stem().string(), file);
  const std::vector<std::string> conv_cols = {"Layer name",    "IFMAP Height", "IFMAP Width",
                                              "Filter Height", "Filter Width", "Channels",
                                              "Num Filter",    "Strides",      "Stride width"};
  const std::vector<std::string> gemm_cols = {"Layer", "M", "N", "K"};
  bool gemm = false, have_header = false;
  int line_no = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    const std::string line = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    if (blank(line)) continue;
    auto loc = [&](int col) { return SourceLoc{file, line_no, col}; };
    std::vector<Field> f = split_row(line);
    // The field after the last comma is not data in SCALE-Sim (empty, or a comment).
    if (f.size() > 1 && (f.back().text.empty() || f.back().text[0] == '#')) f.pop_back();

    if (!have_header) {
      have_header = true;
      if (f.size() == 4 && f[1].text == "M" && f[2].text == "N" && f[3].text == "K") {
        gemm = true;
      } else if (f.size() != 8 && f.size() != 9) {
        throw UserError("header has " + std::to_string(f.size()) +
                            " columns; expected the conv form (Layer name, IFMAP Height, IFMAP Width, Filter "
                            "Height, Filter Width, Channels, Num Filter, Strides) or the GEMM form (Layer, M, N, K)",
                        loc(1), "header");
      }
      continue;
    }

    const std::vector<std::string>& cols = gemm ? gemm_cols : conv_cols;
    const size_t min_n = gemm ? 4 : 8, max_n = gemm ? 4 : 9;
    if (f.size() < min_n || f.size() > max_n) {
      const int col = f.size() > max_n ? f[max_n].col : static_cast<int>(line.size()) + 1;
      throw UserError(
          "row has " + std::to_string(f.size()) + " values, expected " +
              (min_n == max_n ? std::to_string(min_n) : std::to_string(min_n) + " or " + std::to_string(max_n)) +
              (gemm ? " (Layer, M, N, K)" : " (Layer name, IFMAP Height, ..., Strides)"),
          loc(col), "row");
    }
    const std::string layer = f[0].text;
    if (layer.empty()) throw UserError("empty layer name", loc(f[0].col), cols[0]);
    std::vector<int64_t> v(f.size(), 0);
    for (size_t i = 1; i < f.size(); ++i) {
      errno = 0;
      char* end = nullptr;
      const long long x = std::strtoll(f[i].text.c_str(), &end, 10);
      // 2^31 per dimension keeps every product of a row far inside 64 bits.
      if (f[i].text.empty() || *end != '\0' || errno == ERANGE || x <= 0 || x > (int64_t{1} << 31))
        throw UserError("expected a positive integer, got '" + f[i].text + "'", loc(f[i].col), cols[i]);
      v[i] = x;
    }

    Operator op;
    op.name = layer;
    op.loc = loc(f[0].col);
    Tensor in{layer + ".ifmap", {}, DType::int8, TensorRole::input, op.loc, std::nullopt};
    Tensor w{layer + ".filter", {}, DType::int8, TensorRole::weight, op.loc, std::nullopt};
    Tensor out{layer + ".ofmap", {}, DType::int8, TensorRole::output, op.loc, std::nullopt};
    if (gemm) {
      const int64_t m = v[1], n = v[2], k = v[3];
      op.kind = "gemm";
      in.shape = {m, k};
      w.shape = {k, n};
      out.shape = {m, n};
    } else {
      const int64_t h = v[1], wd = v[2], fh = v[3], fw = v[4], c = v[5], nf = v[6], sh = v[7];
      const int64_t sw = f.size() == 9 ? v[8] : sh;
      if (fh > h)
        throw UserError("filter height " + std::to_string(fh) + " exceeds IFMAP height " + std::to_string(h),
                        loc(f[3].col), cols[3]);
      if (fw > wd)
        throw UserError("filter width " + std::to_string(fw) + " exceeds IFMAP width " + std::to_string(wd),
                        loc(f[4].col), cols[4]);
      if (sh > 65536 || sw > 65536)
        throw UserError("stride exceeds 65536", loc(f[sh > 65536 ? 7 : 8].col), cols[sh > 65536 ? 7 : 8]);
      const bool dw = layer.find("DP") != std::string::npos;
      const int64_t cout = dw ? c * nf : nf;
      op.kind = dw ? "depthwise" : "conv2d";
      op.attrs.set("stride", sh);
      if (sw != sh) op.attrs.set("stride_w", sw);
      in.shape = {1, c, h, wd};
      w.shape = {cout, dw ? 1 : c, fh, fw};
      // SCALE-Sim's output size is ceil((H - Fh + S) / S) (topology_utils.py): with a remainder
      // its last window hangs off the IFMAP, which here is zero padding after the last row/column.
      const int64_t ho = (h - fh + 2 * sh - 1) / sh, wo = (wd - fw + 2 * sw - 1) / sw;
      if (const int64_t extra = (ho - 1) * sh + fh - h) op.attrs.set("padding_bottom", extra);
      if (const int64_t extra = (wo - 1) * sw + fw - wd) op.attrs.set("padding_right", extra);
      out.shape = {1, cout, ho, wo};
    }
    // SCALE-Sim allows repeated layer names (DeepBench repeats whole blocks); ops are addressed
    // by name, so the n-th repeat becomes "<name>~n".
    for (int rep = 2; wl.find_op(op.name); ++rep) op.name = layer + "~" + std::to_string(rep);
    in.name = op.name + ".ifmap";
    w.name = op.name + ".filter";
    out.name = op.name + ".ofmap";
    op.inputs = {in.name, w.name};
    op.outputs = {out.name};
    wl.add_tensor(std::move(in));
    wl.add_tensor(std::move(w));
    wl.add_tensor(std::move(out));
    wl.add_op(std::move(op));
  }
  if (!have_header) throw UserError("empty topology file: expected a header line", SourceLoc{file, 1, 1}, "header");
  if (wl.ops().empty()) throw UserError("topology has a header but no layers", SourceLoc{file, line_no, 1}, "row");
  wl.finalize();
  return wl;
}

}  // namespace tessera
