#pragma once
// A small mixed-integer program and its solution by CBC (coinor-libcbc, C API).
//
// The model is kept here, not in CBC: each solve builds a fresh CBC model from it, so rows may
// be added between solves (outer-approximation cuts) and no CBC state outlives a call. What the
// wrapper guards against (CBC 2.10's C API): Cbc_addRow with a repeated column silently corrupts
// the row, so coefficients are merged per column first; the time limit is set as "sec" with
// timeMode elapsed (Cbc_setMaximumSeconds is not reliable); a missing solution is reported,
// never read through a null pointer. CBC keeps process-wide state, and CBC 2.10 can crash or
// abort on an assertion on some models (seen: CglPreProcess::postProcess after a MIP start,
// ClpNonLinearCost's lowerValue <= upperValue): callers run solves through `run_isolated`.
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tessera {

class Mip {
 public:
  // A column: bounds, objective coefficient (minimised), integer or not. Returns its index.
  int add_col(double lb, double ub, double obj, bool integer);
  int add_binary(double obj = 0) { return add_col(0, 1, obj, true); }
  // lo <= sum(coef * col) <= hi; repeated columns are summed.
  void add_row(std::vector<std::pair<int, double>> terms, double lo, double hi);
  void set_objective(int col, double coef) { obj_.at(static_cast<size_t>(col)) = coef; }
  double objective(int col) const { return obj_.at(static_cast<size_t>(col)); }
  bool is_integer(int col) const { return integer_.at(static_cast<size_t>(col)) != 0; }
  size_t cols() const { return lb_.size(); }
  size_t rows() const { return row_lo_.size(); }

  struct Result {
    bool found = false;          // an integer-feasible solution exists in `x`
    bool proven_optimal = false; // CBC proved it optimal (within its gap tolerance)
    bool infeasible = false;     // CBC proved no solution exists
    bool timed_out = false;
    bool broken = false;         // CBC returned a solution that breaks a row (not `found`)
    double objective = 0, bound = 0;
    std::vector<double> x;
  };
  // `start`: values of the integer columns (all columns' size; the others are ignored) for CBC
  // to complete into its first incumbent, e.g. the previous solve's solution.
  // `cutoff`: only solutions whose objective is below it are wanted (none: infeasible).
  // A solution that breaks a row is solved again once without LP scaling (see mip.cpp).
  Result solve(double seconds, const std::vector<double>& start = {}, double cutoff = 1e300) const;
  // The LP relaxation (integer columns continuous), by Clp's dual simplex: `found` when optimal.
  Result solve_relaxation() const;

 private:
  struct ColumnMajor {  // the rows as Clp/Cbc load them
    std::vector<int> start, index;
    std::vector<double> value, lb, ub, row_lo, row_hi;
  };
  ColumnMajor column_major() const;
  Result solve_once(double seconds, const std::vector<double>& start, double cutoff, bool scaling) const;
  std::vector<double> lb_, ub_, obj_;
  std::vector<char> integer_;
  std::vector<std::vector<std::pair<int, double>>> row_terms_;
  std::vector<double> row_lo_, row_hi_;
};

// Runs `work` in a forked child process and returns what it returned, or nullopt when the child
// died (a crash or abort inside CBC) or could not be started. The child leaves with _exit:
// nothing of the parent's (open files, atexit handlers) runs twice.
std::optional<std::vector<double>> run_isolated(const std::function<std::vector<double>()>& work);

}  // namespace tessera
