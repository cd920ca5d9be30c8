#pragma once
// tessera's subcommands and what they share.
//
// A subcommand is one file in tools/tessera/ with one TESSERA_CLI_COMMAND line: its name, its
// place in `tessera --help`, its one-line description, and a setup function. main() creates the
// CLI11 subcommand and calls setup with it; setup declares the options (bound to state it owns)
// and returns the action that main() runs once the command line parsed. The build globs
// tools/tessera/*.cpp, so adding a subcommand edits no other file.
//
// Actions return the exit code (0 success, 1 a failed check such as a cosim mismatch) and
// throw UserError on bad input; main() prints it as one "error: ..." line and exits with 2.
#include <CLI/CLI.hpp>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "models/common/error.h"

namespace tessera::cli {

using Action = std::function<int()>;

struct Command {
  std::string name;         // the subcommand word
  int order = 0;            // position in `tessera --help` (ascending; ties by name)
  std::string description;  // the line `tessera --help` shows
  Action (*setup)(CLI::App& sub) = nullptr;
};

// Every registered subcommand, in --help order.
std::vector<Command> commands();
bool register_command(Command c);

// Writes `text` to `path` atomically (temp file + rename), so an interrupted run never leaves
// a partial report that looks complete.
void write_file_atomic(const std::filesystem::path& path, const std::string& text);

// The one line a user error prints on stderr: "error: file:line:col: key 'k': message".
void print_error(const UserError& e);

}  // namespace tessera::cli

// TESSERA_CLI_COMMAND(name, order, "description", setup_fn): once, in the subcommand's own file,
// inside namespace tessera::cli (where setup_fn is declared).
#define TESSERA_CLI_COMMAND(name_, order_, description_, setup_fn)              \
  namespace {                                                                   \
  const bool tessera_cli_registered_##setup_fn =                                \
      ::tessera::cli::register_command({#name_, order_, description_, setup_fn}); \
  }
