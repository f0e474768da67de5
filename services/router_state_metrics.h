#ifndef BANDIT_ROUTER_SERVICES_ROUTER_STATE_METRICS_H_
#define BANDIT_ROUTER_SERVICES_ROUTER_STATE_METRICS_H_

#include <vector>

#include "core/engine.h"
#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"

namespace router::services {

// Per-router series read from the engine's own state when scraped: regret (IPS and exact),
// joined and pending decisions, spend target and multiplier. Reading them rather than mirroring
// them keeps them right whatever changed the state: feedback, the TTL sweep's default rewards and
// expiries, recovery after a restart.
class RouterStateMetrics final : public prometheus::Collectable {
 public:
  explicit RouterStateMetrics(const Engine* engine) : engine_(engine) {}

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  const Engine* const engine_;
};

}  // namespace router::services

#endif  // BANDIT_ROUTER_SERVICES_ROUTER_STATE_METRICS_H_
