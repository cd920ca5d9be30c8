#pragma once
// Register by name, never switch on a kind. Each implementation registers itself with one
// line in its own .cpp (TESSERA_REGISTER_ENGINE and friends); no other file names the class.
// Implementations live in an OBJECT library, so the static registrars are always linked.
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "models/common/params.h"

namespace tessera {

template <class Interface>
class Registry {
 public:
  using Factory = std::function<std::unique_ptr<Interface>(const ParamValues&)>;
  struct Entry {
    std::string type;  // the YAML `type:` value
    std::string doc;   // one line
    std::vector<ParamDecl> params;
    Factory make;
  };

  static Registry& instance() {
    static Registry r;
    return r;
  }
  bool add(Entry e) {
    auto name = e.type;
    return entries_.emplace(name, std::move(e)).second;
  }
  const Entry* find(const std::string& type) const {
    auto it = entries_.find(type);
    return it == entries_.end() ? nullptr : &it->second;
  }
  std::vector<std::string> names() const {
    std::vector<std::string> v;
    for (const auto& [k, _] : entries_) v.push_back(k);
    return v;
  }
  const std::map<std::string, Entry>& entries() const { return entries_; }

 private:
  std::map<std::string, Entry> entries_;
};

}  // namespace tessera

#define TESSERA_REGISTRY_CAT2(a, b) a##b
#define TESSERA_REGISTRY_CAT(a, b) TESSERA_REGISTRY_CAT2(a, b)
// TESSERA_REGISTER(Interface, "type", "doc", params_fn, factory_fn)
#define TESSERA_REGISTER(Interface, type_name, doc_text, params_fn, factory_fn)                  \
  static const bool TESSERA_REGISTRY_CAT(tessera_registered_, __LINE__) =                       \
      ::tessera::Registry<Interface>::instance().add({type_name, doc_text, params_fn(), factory_fn})
