#include "sim/mapper/mip.h"

#include <Cbc_C_Interface.h>
#include <Clp_C_Interface.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>

namespace tessera {

int Mip::add_col(double lb, double ub, double obj, bool integer) {
  lb_.push_back(lb);
  ub_.push_back(ub);
  obj_.push_back(obj);
  integer_.push_back(integer ? 1 : 0);
  return static_cast<int>(lb_.size() - 1);
}

void Mip::add_row(std::vector<std::pair<int, double>> terms, double lo, double hi) {
  std::map<int, double> merged;
  for (const auto& [c, v] : terms) {
    if (c < 0 || static_cast<size_t>(c) >= lb_.size()) throw std::logic_error("Mip::add_row: no column " + std::to_string(c));
    merged[c] += v;
  }
  std::vector<std::pair<int, double>> row;
  for (const auto& [c, v] : merged)
    if (v != 0) row.emplace_back(c, v);
  row_terms_.push_back(std::move(row));
  row_lo_.push_back(lo);
  row_hi_.push_back(hi);
}

namespace {
bool write_all(int fd, const void* p, size_t n) {
  const char* c = static_cast<const char*>(p);
  while (n > 0) {
    const ssize_t w = ::write(fd, c, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    c += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}
bool read_all(int fd, void* p, size_t n) {
  char* c = static_cast<char*>(p);
  while (n > 0) {
    const ssize_t r = ::read(fd, c, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    c += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}
}  // namespace

std::optional<std::vector<double>> run_isolated(const std::function<std::vector<double>()>& work) {
  int fds[2];
  if (::pipe(fds) != 0) return std::nullopt;
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return std::nullopt;
  }
  if (pid == 0) {
    ::close(fds[0]);
    const std::vector<double> v = work();
    const uint64_t n = v.size();
    const bool ok = write_all(fds[1], &n, sizeof n) && write_all(fds[1], v.data(), n * sizeof(double));
    ::_exit(ok ? 0 : 1);
  }
  ::close(fds[1]);
  uint64_t n = 0;
  std::vector<double> v;
  bool ok = read_all(fds[0], &n, sizeof n) && n < (uint64_t{1} << 32);
  if (ok) {
    v.resize(n);
    ok = read_all(fds[0], v.data(), n * sizeof(double));
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!ok || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return std::nullopt;
  return v;
}

Mip::ColumnMajor Mip::column_major() const {
  // Ranged rows stay one row with both bounds; infinite bounds become COIN's (1e30).
  const size_t nc = lb_.size(), nr = row_terms_.size();
  ColumnMajor cm;
  cm.start.assign(nc + 1, 0);
  for (const auto& row : row_terms_)
    for (const auto& [c, _] : row) ++cm.start[static_cast<size_t>(c) + 1];
  for (size_t c = 0; c < nc; ++c) cm.start[c + 1] += cm.start[c];
  cm.index.resize(static_cast<size_t>(cm.start[nc]));
  cm.value.resize(cm.index.size());
  std::vector<int> fill(cm.start.begin(), cm.start.end() - 1);
  for (size_t r = 0; r < nr; ++r)
    for (const auto& [c, v] : row_terms_[r]) {
      const auto at = static_cast<size_t>(fill[static_cast<size_t>(c)]++);
      cm.index[at] = static_cast<int>(r);
      cm.value[at] = v;
    }
  cm.lb = lb_;
  cm.ub = ub_;
  cm.row_lo = row_lo_;
  cm.row_hi = row_hi_;
  for (auto* v : {&cm.lb, &cm.ub, &cm.row_lo, &cm.row_hi})
    for (double& d : *v) d = std::max(-1e30, std::min(1e30, d));
  return cm;
}

Mip::Result Mip::solve_relaxation() const {
  const size_t nc = lb_.size(), nr = row_terms_.size();
  ColumnMajor cm = column_major();
  std::unique_ptr<Clp_Simplex, void (*)(Clp_Simplex*)> m(Clp_newModel(), Clp_deleteModel);
  Clp_setLogLevel(m.get(), 0);
  Clp_loadProblem(m.get(), static_cast<int>(nc), static_cast<int>(nr), cm.start.data(), cm.index.data(), cm.value.data(), cm.lb.data(),
                  cm.ub.data(), obj_.data(), cm.row_lo.data(), cm.row_hi.data());
  Clp_scaling(m.get(), 0);
  Clp_dual(m.get(), 0);
  Result r;
  r.found = Clp_status(m.get()) == 0;
  r.infeasible = Clp_status(m.get()) == 1;
  if (r.found) {
    const double* x = Clp_primalColumnSolution(m.get());
    r.x.assign(x, x + nc);
    r.objective = r.bound = Clp_objectiveValue(m.get());
  }
  return r;
}

Mip::Result Mip::solve(double seconds, const std::vector<double>& start, double cutoff) const {
  const auto t0 = std::chrono::steady_clock::now();
  // No LP scaling first: on these models (tangent rows on one argument column each) it is
  // faster (edge_small ResNet-50: median MIP time per layer 0.22 -> 0.19 s), and CBC 2.10 with
  // scaling once called "optimal" a solution 0.12 below a row's lower bound of 0.137 (a
  // 285x93x130 GEMM, os, 15x5 array, 5 KiB buffer: tests/slow/mapper_exhaustive_test). A
  // solution that breaks a row is solved again once with scaling.
  Result r = solve_once(seconds, start, cutoff, false);
  if (!r.broken) return r;
  const double used = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  Result again = solve_once(std::max(0.01, seconds - used), start, cutoff, true);
  return again;
}

Mip::Result Mip::solve_once(double seconds, const std::vector<double>& start, double cutoff, bool scaling) const {
  std::unique_ptr<Cbc_Model, void (*)(Cbc_Model*)> m(Cbc_newModel(), Cbc_deleteModel);
  // One load of the whole matrix: Cbc_addRow appends row by row, quadratic in the rows.
  ColumnMajor cm = column_major();
  Cbc_loadProblem(m.get(), static_cast<int>(lb_.size()), static_cast<int>(row_terms_.size()), cm.start.data(), cm.index.data(),
                  cm.value.data(), cm.lb.data(), cm.ub.data(), obj_.data(), cm.row_lo.data(), cm.row_hi.data());
  for (size_t c = 0; c < lb_.size(); ++c)
    if (integer_[c]) Cbc_setInteger(m.get(), static_cast<int>(c));
  Cbc_setObjSense(m.get(), 1);
  Cbc_setLogLevel(m.get(), 0);
  Cbc_setParameter(m.get(), "timeMode", "elapsed");
  Cbc_setParameter(m.get(), "sec", std::to_string(std::max(0.01, seconds)).c_str());
  // No LP presolve: on these models (one-hot columns, tangent rows whose coefficients span
  // 1e-13..1e2) CBC 2.10's presolve returned "optimal" solutions that broke a row by 0.8 (a
  // random 33x28x47 GEMM, ws) or missed the optimum by 0.7% (edge_small ResNet-50
  // layer3.1.conv1); the solutions are checked in tests/unit/mapper_test.cpp.
  Cbc_setParameter(m.get(), "presolve", "off");
  // No cuts, no heuristics, no strong branching: 2x faster on these models, same optima; the
  // caller's warm start supplies the incumbent the heuristics would look for.
  Cbc_setParameter(m.get(), "cuts", "off");
  Cbc_setParameter(m.get(), "heur", "off");
  Cbc_setParameter(m.get(), "strong", "0");
  Cbc_setParameter(m.get(), "trust", "0");
  Cbc_setParameter(m.get(), "threads", "0");
  // CBC 2.10 crashes in CglPreProcess::postProcess on some of these models after a MIP start
  // (edge_small ResNet-50); they are small enough not to need preprocessing.
  Cbc_setParameter(m.get(), "preprocess", "off");
  if (!scaling) Cbc_setParameter(m.get(), "scaling", "off");
  std::vector<int> start_idx;
  std::vector<double> start_val;
  for (size_t i = 0; i < start.size() && i < integer_.size(); ++i)
    if (integer_[i]) {
      start_idx.push_back(static_cast<int>(i));
      start_val.push_back(start[i]);
    }
  if (cutoff < 1e300) Cbc_setCutoff(m.get(), cutoff);
  if (!start_idx.empty()) Cbc_setMIPStartI(m.get(), static_cast<int>(start_idx.size()), start_idx.data(), start_val.data());
  Cbc_solve(m.get());
  Result r;
  const double* x = Cbc_bestSolution(m.get());
  r.infeasible = Cbc_isProvenInfeasible(m.get()) != 0;
  if (x && !r.infeasible) {
    r.found = true;
    r.x.assign(x, x + lb_.size());
    r.objective = Cbc_getObjValue(m.get());
    // CBC's word is checked: a solution that breaks a row is no solution (see "presolve").
    for (size_t ri = 0; ri < row_terms_.size() && r.found; ++ri) {
      double lhs = 0, scale = 1;
      for (const auto& [c, v] : row_terms_[ri]) {
        lhs += v * r.x[static_cast<size_t>(c)];
        scale += std::abs(v * r.x[static_cast<size_t>(c)]);
      }
      if (lhs < row_lo_[ri] - 1e-4 * scale || lhs > row_hi_[ri] + 1e-4 * scale) r.found = false;
    }
  }
  r.proven_optimal = r.found && Cbc_isProvenOptimal(m.get()) != 0;
  r.broken = x && !r.infeasible && !r.found;
  r.bound = Cbc_getBestPossibleObjValue(m.get());
  // Status 1: stopped on a limit; the only one set here is the time (CBC 2.10 reports its
  // secondary status as 2 or 4 for it, so that is not relied on).
  r.timed_out = Cbc_status(m.get()) == 1;
  return r;
}

}  // namespace tessera
