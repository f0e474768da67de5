#ifndef BANDIT_ROUTER_CORE_REGRET_TRACKER_H_
#define BANDIT_ROUTER_CORE_REGRET_TRACKER_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"

namespace router {

struct RegretSnapshot {
  // Σ r_t over rewarded events: the quality the router actually got.
  double realised_quality = 0;
  uint64_t rewarded_events = 0;
  // Per arm: Σ 1[a_t = a]·r_t / p_t, the inverse-propensity estimate of the quality arm a would
  // have got had it been chosen every time (over the same rewarded events).
  std::vector<std::pair<std::string, double>> ips_value;
  // max_a ips_value[a] − realised_quality: estimated regret vs the best fixed arm.
  double estimated_regret = 0;
  // Exact regret from feedback that carried every arm's outcome: Σ (max_a q_a − q_chosen).
  double exact_regret = 0;
  uint64_t exact_regret_events = 0;
};

// Online regret accounting for one router (DESIGN §5), from logged propensities. Unbiased when
// every arm has a positive probability under the logging policy (the ε floor guarantees it; the
// deterministic min-tries and over-budget choices, logged with propensity 1, do not, and bias
// the estimate while they last). Thread-safe.
class RegretTracker {
 public:
  // One quality observation r in [0, 1] for a decision that chose `arm` with `propensity`.
  void Record(const std::string& arm, double propensity, double reward);
  // Counterfactual outcomes of one decision: the quality of every arm evaluated on it.
  void RecordExact(const std::string& chosen, const std::vector<std::pair<std::string, double>>&
                                                  arm_qualities);
  RegretSnapshot Snapshot() const;
  // Checkpoints: replaces the accumulated sums with a snapshot's.
  void Restore(const RegretSnapshot& snapshot);

 private:
  mutable absl::Mutex mu_;
  double realised_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t events_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<std::string, double> ips_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> arm_order_ ABSL_GUARDED_BY(mu_);
  double exact_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t exact_events_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace router

#endif  // BANDIT_ROUTER_CORE_REGRET_TRACKER_H_
