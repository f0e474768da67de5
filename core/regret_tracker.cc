#include "core/regret_tracker.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace router {

void RegretTracker::Record(const std::string& arm, double propensity, double reward) {
  absl::MutexLock lock(&mu_);
  realised_ += reward;
  ++events_;
  auto [it, inserted] = ips_.try_emplace(arm, 0.0);
  if (inserted) arm_order_.push_back(arm);
  if (propensity > 0) it->second += reward / propensity;
}

void RegretTracker::RecordExact(const std::string& chosen,
                                const std::vector<std::pair<std::string, double>>& arm_qualities) {
  double best = -std::numeric_limits<double>::infinity();
  double got = std::numeric_limits<double>::quiet_NaN();
  for (const auto& [arm, quality] : arm_qualities) {
    best = std::max(best, quality);
    if (arm == chosen) got = quality;
  }
  if (std::isnan(got)) return;  // the chosen arm's outcome is needed for an exact difference
  absl::MutexLock lock(&mu_);
  exact_ += best - got;
  ++exact_events_;
}

void RegretTracker::Restore(const RegretSnapshot& s) {
  absl::MutexLock lock(&mu_);
  realised_ = s.realised_quality;
  events_ = s.rewarded_events;
  ips_.clear();
  arm_order_.clear();
  for (const auto& [arm, value] : s.ips_value) {
    ips_[arm] = value;
    arm_order_.push_back(arm);
  }
  exact_ = s.exact_regret;
  exact_events_ = s.exact_regret_events;
}

RegretSnapshot RegretTracker::Snapshot() const {
  absl::MutexLock lock(&mu_);
  RegretSnapshot s;
  s.realised_quality = realised_;
  s.rewarded_events = events_;
  double best = 0;
  for (const std::string& arm : arm_order_) {
    const double v = ips_.at(arm);
    s.ips_value.emplace_back(arm, v);
    best = std::max(best, v);
  }
  s.estimated_regret = events_ > 0 ? best - realised_ : 0;
  s.exact_regret = exact_;
  s.exact_regret_events = exact_events_;
  return s;
}

}  // namespace router
