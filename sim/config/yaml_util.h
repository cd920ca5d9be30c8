#pragma once
// YAML helpers shared by every loader: parse with source positions, turn yaml-cpp failures into
// UserErrors (file:line:col), reject unknown keys with a did-you-mean, and resolve declared
// parameters (ParamDecl) from a mapping node. The helpers taking a node work on a YAML::Node
// (small documents the loaders edit: arch, tech) and on a YamlNode (yaml_tree.h: documents that
// grow with the network).
#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "models/common/error.h"
#include "models/common/params.h"
#include "sim/config/yaml_tree.h"

namespace tessera {

// The whole file as text; a missing, unreadable path or a directory is a UserError naming it.
std::string read_text_file(const std::string& path);

// Parses a file (or a string, for tests/fuzzing: `file` is then only the name used in messages).
// Throws UserError on a missing/unreadable file or malformed YAML, with the position.
YAML::Node load_yaml_file(const std::string& path);
YAML::Node load_yaml_string(const std::string& text, const std::string& name);

// The keys of the document's top-level map that are in `wanted`, found by yaml-cpp's event
// parser without building a tree, stopping at the first one (a 100,000-operator workload is
// about 1 GB as a tree). Empty when none is found or the text is not YAML: load the file to
// get the error.
std::vector<std::string> yaml_top_keys(const std::string& text, const std::vector<std::string>& wanted);

template <class Node>
SourceLoc yaml_loc(const Node& node, const std::string& file);

// Throws unless `node` is a map; `what` describes the expected content ("an engine").
template <class Node>
void expect_map(const Node& node, const std::string& file, const std::string& key_path,
                const std::string& what);
template <class Node>
void expect_sequence(const Node& node, const std::string& file, const std::string& key_path,
                     const std::string& what);
// Scalar as text; throws if the node is a map/sequence/null.
template <class Node>
std::string scalar_text(const Node& node, const std::string& file, const std::string& key_path,
                        const std::string& what);

// Every key of `node` must be in `allowed`; otherwise "unknown key 'x' -- did you mean 'y'?".
template <class Node>
void check_keys(const Node& node, const std::vector<std::string>& allowed, const std::string& file,
                const std::string& key_path);

// Resolves `decls` from the map `node` (missing keys take their default; a missing required key
// is an error naming it). Keys of `node` outside decls and `extra_keys` are errors.
// `key_path` prefixes keys in messages ("engines.0").
template <class Node>
ParamValues resolve_params(const Node& node, const std::vector<ParamDecl>& decls, const std::string& file,
                           const std::string& key_path, const std::vector<std::string>& extra_keys = {});

// Joins "engines", "0", "rows" -> "engines.0.rows".
std::string join_key(const std::string& prefix, const std::string& key);

}  // namespace tessera
