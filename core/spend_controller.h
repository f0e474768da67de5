#ifndef BANDIT_ROUTER_CORE_SPEND_CONTROLLER_H_
#define BANDIT_ROUTER_CORE_SPEND_CONTROLLER_H_

#include <cstdint>

#include "core/specs.h"

namespace router {

// Holds a router's mean cost per request near a target with an online Lagrange multiplier μ
// (bandits with knapsacks): the policy's utility charges cost with weight w_cost + μ, and every
// realised cost c moves μ ← max(0, μ + η(c − target)/target).
//
// μ moves on the *realised* cost reported by feedback, not on the predicted cost at decision time:
// the target is about money actually spent, a biased cost model would otherwise bias the spend,
// and feedback events are replayed in log order at recovery, so μ is rebuilt exactly (decisions
// are not replayed in their original interleaving with feedback). The price is a reaction delayed
// by the feedback lag; requests that never report a cost do not count toward the mean.
// Not thread-safe: the owning Router serialises access.
class SpendController {
 public:
  explicit SpendController(const SpendSpec& spec) : spec_(spec) {}

  bool active() const { return spec_.target_cost_per_request_usd > 0; }
  double target_usd() const { return spec_.target_cost_per_request_usd; }
  // Added to the cost weight of the utility; 0 without a target.
  double multiplier() const { return multiplier_; }

  // One realised request cost (USD, >= 0). No-op without a target, and refused (false, nothing
  // changes) when the multiplier or the running sum would not be finite.
  [[nodiscard]] bool ObserveCost(double cost_usd);

  uint64_t observations() const { return observations_; }
  double cost_sum_usd() const { return cost_sum_usd_; }
  double learning_rate() const { return spec_.learning_rate; }

  // Checkpoints: restores what ObserveCost accumulated.
  void Restore(double multiplier, uint64_t observations, double cost_sum_usd) {
    multiplier_ = multiplier;
    observations_ = observations;
    cost_sum_usd_ = cost_sum_usd;
  }

 private:
  const SpendSpec spec_;
  double multiplier_ = 0;
  uint64_t observations_ = 0;
  double cost_sum_usd_ = 0;
};

}  // namespace router

#endif  // BANDIT_ROUTER_CORE_SPEND_CONTROLLER_H_
