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
#include <iosfwd>
#include <optional>
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

// A seed or count option: CLI11 reads "-5" into an unsigned option as 2^64 - 5.
inline CLI::Validator non_negative() {
  return CLI::Validator(
      [](std::string& v) { return v.find('-') == std::string::npos ? std::string() : "expected a non-negative integer, got " + v; },
      "UINT");
}

// Every registered subcommand, in --help order.
std::vector<Command> commands();
bool register_command(Command c);

// Writes a file's content to the stream it is given (a file's content can be larger than is
// worth holding in memory: report.json of a 100,000-operator run is 200 MB).
using FileWriter = std::function<void(std::ostream&)>;

// Writes `text` to `path`. A new or regular file is replaced atomically (a uniquely named
// temporary beside it, then rename), so an interrupted run never leaves a partial file and
// concurrent writers do not collide; a symlink, FIFO or device is written through, never
// replaced; a directory is a UserError, as is any write failure.
void write_file_atomic(const std::filesystem::path& path, const std::string& text);

// Publishes a run's files into `dir` (which exists) as one set: under an exclusive lock on the
// directory, the last file's old copy is removed first and the files are written in order, the
// last one last, so "the last file exists" means the whole set is there and from one run.
// Returns the error rather than throwing it: runs call it after SystemC, where an exception
// upsets AddressSanitizer.
std::optional<UserError> publish_run(const std::filesystem::path& dir,
                                     const std::vector<std::pair<std::string, FileWriter>>& files);

// `name` as one safe path component: [A-Za-z0-9._+-] kept, anything else '_'; never "." or "..".
std::string path_component(const std::string& name);

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
