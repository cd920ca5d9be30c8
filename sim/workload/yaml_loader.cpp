// The tessera workload YAML (docs/workload-format.md):
//   name: ...            dtype: int8 (default for tensors)
//   tensors: {name: {shape: [..], dtype: .., role: ..}, ...}
//   ops: [{name, kind, inputs: [..], outputs: [..], <attributes of the kind>}, ...]
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <set>

#include "sim/config/yaml_util.h"
#include "sim/workload/loader.h"
#include "sim/workload/op_kind.h"

namespace tessera {
namespace {

const std::vector<std::string> kTopKeys = {"name", "description", "dtype", "tensors", "ops"};
const std::vector<std::string> kTensorKeys = {"shape", "dtype", "role", "values"};
const std::vector<std::string> kOpKeys = {"name", "kind", "inputs", "outputs"};

DType parse_dtype_node(const YamlNode& n, const std::string& file, const std::string& key) {
  const std::string s = scalar_text(n, file, key, "a dtype");
  if (auto d = parse_dtype(s)) return *d;
  std::vector<std::string> names = dtype_names();
  names.push_back("fp8");
  std::string c = closest_match(s, names);
  std::string msg = "unknown dtype '" + s + "'";
  if (!c.empty()) {
    msg += " -- did you mean '" + c + "'?";
  } else {
    msg += "; expected one of:";
    for (const auto& x : names) msg += " " + x;
  }
  throw UserError(msg, yaml_loc(n, file), key);
}

std::vector<std::string> name_list(const YamlNode& n, const std::string& file, const std::string& key,
                                   std::vector<SourceLoc>* locs) {
  if (!n.IsDefined() || n.IsNull()) return {};
  std::vector<std::string> v;
  if (n.IsScalar()) {  // a single name may be written without brackets
    v.push_back(n.Scalar());
    locs->push_back(yaml_loc(n, file));
    return v;
  }
  expect_sequence(n, file, key, "a list of tensor names");
  for (size_t i = 0; i < n.size(); ++i) {
    v.push_back(scalar_text(n[i], file, join_key(key, std::to_string(i)), "a tensor name"));
    locs->push_back(yaml_loc(n[i], file));
  }
  return v;
}

// A tensor's `values:` (docs/workload-format.md): its declared value distribution.
std::vector<ParamDecl> value_distribution_params() {
  return {
      ParamDecl::real("zeros", "-", "0", 0, 1, "share of exact zeros"),
      ParamDecl::real("sigma", "-", "0", 0, 1e9,
                      "standard deviation of a rounded Gaussian for the non-zero values (0: uniform over the dtype)"),
      ParamDecl::boolean("positive", "false", "non-zero values positive only (post-ReLU activations)"),
  };
}

}  // namespace

Workload parse_workload_yaml(const std::string& text, const std::string& file) {
  const YamlTree doc = YamlTree::parse(text, file);
  const YamlNode root = doc.root();
  expect_map(root, file, "", "a workload");
  check_keys(root, kTopKeys, file, "");

  std::string name = std::filesystem::path(file).stem().string();
  if (root["name"]) name = scalar_text(root["name"], file, "name", "a workload name");
  DType default_dtype = DType::int8;
  if (root["dtype"]) default_dtype = parse_dtype_node(root["dtype"], file, "dtype");
  if (root["description"]) scalar_text(root["description"], file, "description", "a one-line description");
  Workload wl(name, file);
  wl.reserve(root["tensors"].size(), root["ops"].size());

  // ---- tensors ----
  const YamlNode tensors = root["tensors"];
  if (!tensors) throw UserError("missing required key 'tensors'", yaml_loc(root, file), "tensors");
  expect_map(tensors, file, "tensors", "tensors by name");
  std::vector<Tensor> declared;
  std::vector<bool> role_given;
  for (auto it = tensors.begin(); it != tensors.end(); ++it) {
    Tensor t;
    t.name = scalar_text(it->first, file, "tensors", "a tensor name");
    const std::string key = join_key("tensors", t.name);
    t.loc = yaml_loc(it->first, file);
    const YamlNode body = it->second;
    expect_map(body, file, key, "a tensor {shape, dtype, role}");
    check_keys(body, kTensorKeys, file, key);
    const YamlNode shape = body["shape"];
    if (!shape) throw UserError("missing required key 'shape' (a list of positive dims)", yaml_loc(body, file), key);
    expect_sequence(shape, file, join_key(key, "shape"), "a list of positive dims");
    for (size_t i = 0; i < shape.size(); ++i) {
      const std::string dkey = join_key(key, "shape." + std::to_string(i));
      const std::string s = scalar_text(shape[i], file, dkey, "a positive integer");
      errno = 0;
      char* end = nullptr;
      const long long d = std::strtoll(s.c_str(), &end, 10);
      if (s.empty() || *end != '\0' || errno == ERANGE || d <= 0)
        throw UserError("expected a positive integer dimension, got '" + s + "'", yaml_loc(shape[i], file), dkey);
      t.shape.push_back(d);
    }
    t.dtype = body["dtype"] ? parse_dtype_node(body["dtype"], file, join_key(key, "dtype")) : default_dtype;
    role_given.push_back(static_cast<bool>(body["role"]));
    if (body["role"]) {
      const std::string r = scalar_text(body["role"], file, join_key(key, "role"), "a role");
      if (!parse_tensor_role(r, &t.role)) {
        std::string c = closest_match(r, tensor_role_names());
        throw UserError(
            "unknown role '" + r + "'" +
                (c.empty() ? "; expected one of: input weight activation output" : " -- did you mean '" + c + "'?"),
            yaml_loc(body["role"], file), join_key(key, "role"));
      }
    }
    if (const YamlNode v = body["values"]) {
      const std::string vkey = join_key(key, "values");
      expect_map(v, file, vkey, "a value distribution {zeros, sigma, positive}");
      if (!dtype_is_int(t.dtype))
        throw UserError("values: declares integer value distributions; '" + t.name + "' is " + dtype_name(t.dtype),
                        yaml_loc(v, file), vkey);
      const ParamValues p = resolve_params(v, value_distribution_params(), file, vkey);
      t.values = ValueDistribution{p.f("zeros"), p.f("sigma"), p.b("positive")};
      if (t.values->positive && t.values->zeros < 1 && t.dtype == DType::int1)
        throw UserError("values: positive, but int1 has no positive value", yaml_loc(v, file), vkey);
    }
    declared.push_back(std::move(t));
  }

  // ---- ops ----
  const YamlNode ops = root["ops"];
  if (!ops) throw UserError("missing required key 'ops'", yaml_loc(root, file), "ops");
  expect_sequence(ops, file, "ops", "a list of ops");
  std::set<std::string> produced, consumed;
  for (size_t i = 0; i < ops.size(); ++i) {
    const YamlNode n = ops[i];
    std::string key = "ops." + std::to_string(i);
    expect_map(n, file, key, "an op {name, kind, inputs, outputs, attributes...}");
    Operator op;
    op.loc = yaml_loc(n, file);
    if (!n["name"]) throw UserError("missing required key 'name'", op.loc, key);
    op.name = scalar_text(n["name"], file, join_key(key, "name"), "an op name");
    key = "ops." + op.name;
    if (!n["kind"]) throw UserError("missing required key 'kind'", op.loc, key);
    op.kind = scalar_text(n["kind"], file, join_key(key, "kind"), "an op kind");
    op.attr_locs["kind"] = yaml_loc(n["kind"], file);
    const auto* entry = OpKindRegistry::instance().find(op.kind);
    if (!entry) {
      std::string c = closest_match(op.kind, OpKindRegistry::instance().names());
      std::string msg = "unknown op kind '" + op.kind + "'";
      if (!c.empty()) {
        msg += " -- did you mean '" + c + "'?";
      } else {
        msg += "; expected one of:";
        for (const auto& k : OpKindRegistry::instance().names()) msg += " " + k;
      }
      throw UserError(msg, yaml_loc(n["kind"], file), join_key(key, "kind"));
    }
    op.inputs = name_list(n["inputs"], file, join_key(key, "inputs"), &op.input_locs);
    op.outputs = name_list(n["outputs"], file, join_key(key, "outputs"), &op.output_locs);
    // Everything else in the op's map is an attribute of its kind.
    op.attrs = resolve_params(n, entry->params, file, key, kOpKeys);
    for (const auto& d : entry->params)
      if (n[d.name]) op.attr_locs[d.name] = yaml_loc(n[d.name], file);
    produced.insert(op.outputs.begin(), op.outputs.end());
    consumed.insert(op.inputs.begin(), op.inputs.end());
    wl.add_op(std::move(op));
  }

  // Roles left out are read off the graph; weights must say so, since they look like inputs.
  for (size_t i = 0; i < declared.size(); ++i) {
    Tensor& t = declared[i];
    if (!role_given[i])
      t.role = !produced.count(t.name)  ? TensorRole::input
               : consumed.count(t.name) ? TensorRole::activation
                                        : TensorRole::output;
    wl.add_tensor(std::move(t));
  }
  wl.finalize();
  return wl;
}

}  // namespace tessera
