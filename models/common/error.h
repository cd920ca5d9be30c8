#pragma once
// User-facing errors. A UserError carries where in the input the problem is, so the CLI can
// print "file:line:col: key: message" and exit with code 2. Library code throws, never exits;
// asserts guard programmer invariants only.
#include <stdexcept>
#include <string>

namespace tessera {

struct SourceLoc {
  std::string file;  // empty when the value did not come from a file (e.g. --set)
  int line = 0;      // 1-based; 0 = unknown
  int col = 0;       // 1-based; 0 = unknown
};

class UserError : public std::runtime_error {
 public:
  UserError(std::string message, SourceLoc loc = {}, std::string key = {})
      : std::runtime_error(message), loc_(std::move(loc)), key_(std::move(key)), message_(std::move(message)) {}
  const SourceLoc& loc() const { return loc_; }
  const std::string& key() const { return key_; }
  const std::string& message() const { return message_; }
  // "file:line:col: key 'k': message"
  std::string formatted() const {
    std::string out;
    if (!loc_.file.empty()) {
      out += loc_.file;
      if (loc_.line > 0) out += ":" + std::to_string(loc_.line) + ":" + std::to_string(loc_.col);
      out += ": ";
    }
    if (!key_.empty()) out += "key '" + key_ + "': ";
    return out + message_;
  }

 private:
  SourceLoc loc_;
  std::string key_;
  std::string message_;
};

}  // namespace tessera
