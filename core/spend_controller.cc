#include "core/spend_controller.h"

#include <algorithm>

namespace router {

void SpendController::ObserveCost(double cost_usd) {
  if (!active()) return;
  ++observations_;
  cost_sum_usd_ += cost_usd;
  const double target = spec_.target_cost_per_request_usd;
  // Dividing by the target makes η unit-free: the same rate works for cents and for dollars.
  multiplier_ = std::max(spec_.min_multiplier,
                         multiplier_ + spec_.learning_rate * (cost_usd - target) / target);
}

}  // namespace router
