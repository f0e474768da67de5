#ifndef BANDIT_ROUTER_SERVICES_PROCESS_METRICS_H_
#define BANDIT_ROUTER_SERVICES_PROCESS_METRICS_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/time/time.h"
#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"

namespace router::services {

// Gauges computed when scraped rather than kept up to date: process uptime and the store's size.
class ProcessMetrics final : public prometheus::Collectable {
 public:
  ProcessMetrics(absl::Time start, std::function<uint64_t()> store_size_bytes)
      : start_(start), store_size_bytes_(std::move(store_size_bytes)) {}

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  const absl::Time start_;
  const std::function<uint64_t()> store_size_bytes_;
};

}  // namespace router::services

#endif  // BANDIT_ROUTER_SERVICES_PROCESS_METRICS_H_
