#include "core/spend_controller.h"

#include <algorithm>
#include <cmath>

namespace router {

bool SpendController::ObserveCost(double cost_usd) {
  if (!active()) return true;
  const double target = spec_.target_cost_per_request_usd;
  // Dividing by the target makes η unit-free: the same rate works for cents and for dollars.
  const double multiplier =
      std::max(0.0, multiplier_ + spec_.learning_rate * (cost_usd - target) / target);
  const double sum = cost_sum_usd_ + cost_usd;
  if (!std::isfinite(multiplier) || !std::isfinite(sum)) return false;
  ++observations_;
  cost_sum_usd_ = sum;
  multiplier_ = multiplier;
  return true;
}

}  // namespace router
