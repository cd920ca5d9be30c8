// tessera: the command line. Each subcommand lives in its own file here and registers itself
// (tools/tessera/command.h); this file only wires them into CLI11 and maps errors to exit codes.
// Exit codes: 0 success, 2 bad input (one message naming file:line:col and key), 1 internal error.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <iostream>
#include <utility>
#include <vector>

#include "sim/report/report.h"
#include "tools/tessera/command.h"

int main(int argc, char** argv) {
  using namespace tessera;
  CLI::App app{"tessera: cycle-level simulator of DNN accelerators"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "tessera " + tessera_version() + " (" + tessera_commit() + ")");

  std::vector<std::pair<CLI::App*, cli::Action>> subcommands;
  for (const auto& c : cli::commands()) {
    CLI::App* sub = app.add_subcommand(c.name, c.description);
    subcommands.emplace_back(sub, c.setup(*sub));
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  try {
    for (const auto& [sub, action] : subcommands) {
      if (!*sub) continue;
      const int rc = action();
      // What went to stdout must have arrived (a full disk, a closed pipe's reader).
      std::cout.flush();
      if (!std::cout || std::fflush(stdout) != 0)
        throw UserError("cannot write standard output", SourceLoc{"<stdout>", 0, 0});
      return rc;
    }
  } catch (const UserError& e) {
    cli::print_error(e);
    return 2;
  } catch (const std::exception& e) {
    std::fputs((std::string("internal error: ") + e.what() + "\n").c_str(), stderr);
    return 1;
  }
  return 0;
}
