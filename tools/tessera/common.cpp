// What the subcommands share: the command registry, atomic writes, error printing.
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <fstream>

#include "tools/tessera/command.h"

namespace tessera::cli {

namespace {
std::vector<Command>& registry() {
  static std::vector<Command> all;  // filled during static initialisation, read in main()
  return all;
}
}  // namespace

bool register_command(Command c) {
  registry().push_back(std::move(c));
  return true;
}

std::vector<Command> commands() {
  std::vector<Command> all = registry();
  std::sort(all.begin(), all.end(),
            [](const Command& a, const Command& b) { return a.order != b.order ? a.order < b.order : a.name < b.name; });
  return all;
}

void write_file_atomic(const std::filesystem::path& path, const std::string& text) {
  const std::filesystem::path tmp = path.string() + ".partial";
  {
    std::ofstream out(tmp, std::ios::binary);
    if (!out) throw UserError("cannot write file", SourceLoc{tmp.string(), 0, 0});
    out << text;
    if (!out) throw UserError("write failed", SourceLoc{tmp.string(), 0, 0});
  }
  std::filesystem::rename(tmp, path);
}

void print_error(const UserError& e) { fmt::print(stderr, "error: {}\n", e.formatted()); }

}  // namespace tessera::cli
