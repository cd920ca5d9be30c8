// What the subcommands share: the command registry, atomic writes, error printing.
#include <fmt/format.h>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>

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

namespace {
// An ostream onto a stdio FILE (the temporary from mkstemp has a descriptor, not a name we
// should open again).
class FileBuf : public std::streambuf {
 public:
  explicit FileBuf(std::FILE* f) : f_(f) {}

 protected:
  int_type overflow(int_type c) override {
    if (traits_type::eq_int_type(c, traits_type::eof())) return traits_type::not_eof(c);
    return std::fputc(c, f_) == EOF ? traits_type::eof() : c;
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    return static_cast<std::streamsize>(std::fwrite(s, 1, static_cast<size_t>(n), f_));
  }

 private:
  std::FILE* f_;
};

// write_file_atomic's work; returns the error instead of throwing it, for callers that run
// after SystemC (an exception there upsets AddressSanitizer's stack bookkeeping).
std::optional<UserError> write_file(const std::filesystem::path& path, const FileWriter& write) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status st = fs::symlink_status(path, ec);
  const std::string where = path.string();
  if (fs::is_directory(st)) return UserError("is a directory; expected a file to write", SourceLoc{where, 0, 0});
  if (fs::exists(st) && !fs::is_regular_file(st)) {
    // A symlink, FIFO or device: write through it, never replace it.
    std::ofstream out(path, std::ios::binary);
    if (!out) return UserError(std::string("cannot write: ") + std::strerror(errno), SourceLoc{where, 0, 0});
    write(out);
    out.flush();
    if (!out) return UserError("write failed", SourceLoc{where, 0, 0});
    return std::nullopt;
  }
  // A new or regular file: a uniquely named temporary beside it, renamed over it once complete,
  // so a reader sees the old file or the whole new one, and concurrent writers do not collide.
  const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
  std::string tmpl = (dir / ("." + path.filename().string() + ".XXXXXX")).string();
  const int fd = ::mkstemp(tmpl.data());
  if (fd < 0) return UserError(std::string("cannot write: ") + std::strerror(errno), SourceLoc{where, 0, 0});
  FILE* f = ::fdopen(fd, "wb");
  bool ok = f != nullptr;
  if (ok) {
    FileBuf buf(f);
    std::ostream out(&buf);
    try {
      write(out);
    } catch (...) {  // no temporary left behind
      std::fclose(f);
      fs::remove(tmpl, ec);
      throw;
    }
    ok = out.good() && std::ferror(f) == 0;
  }
  ok = (f ? std::fclose(f) == 0 : (::close(fd), false)) && ok;
  const mode_t mask = ::umask(0);  // mkstemp makes 0600; give the file what a plain create would
  ::umask(mask);
  if (ok) ok = ::chmod(tmpl.c_str(), 0666 & ~mask) == 0;
  if (ok) {
    fs::rename(tmpl, path, ec);
    ok = !ec;
  }
  if (!ok) {
    const std::string why = ec ? ec.message() : std::strerror(errno);
    fs::remove(tmpl, ec);
    return UserError("write failed: " + why, SourceLoc{where, 0, 0});
  }
  return std::nullopt;
}
}  // namespace

void write_file_atomic(const std::filesystem::path& path, const std::string& text) {
  if (auto err = write_file(path, [&](std::ostream& out) { out << text; })) throw *err;
}

std::string path_component(const std::string& name) {
  std::string s;
  for (const char c : name) s += std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' || c == '+' ? c : '_';
  if (s.empty() || s[0] == '.') s = "_" + s;  // never ".", "..", or a hidden name
  return s;
}

std::optional<UserError> publish_run(const std::filesystem::path& dir,
                                     const std::vector<std::pair<std::string, FileWriter>>& files) {
  // One publisher at a time per directory, so the set on disk always comes from one run.
  const std::string lock_path = (dir / ".tessera.lock").string();
  const int lock = ::open(lock_path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0666);
  if (lock < 0 || ::flock(lock, LOCK_EX) != 0) {
    if (lock >= 0) ::close(lock);
    return UserError(std::string("cannot lock the output directory: ") + std::strerror(errno),
                     SourceLoc{dir.string(), 0, 0}, "--out");
  }
  // The old report goes first: until the new one lands, the set is visibly incomplete.
  std::error_code ec;
  std::filesystem::remove(dir / files.back().first, ec);
  std::optional<UserError> err;
  for (const auto& [name, write] : files)
    if ((err = write_file(dir / name, write))) break;
  ::close(lock);
  return err;
}

// stdio, not fmt::print: nothing is left to report a failed write of the report of a failure to.
void print_error(const UserError& e) { std::fputs(("error: " + e.formatted() + "\n").c_str(), stderr); }

}  // namespace tessera::cli
