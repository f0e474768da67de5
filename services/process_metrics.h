#ifndef BANDIT_ROUTER_SERVICES_PROCESS_METRICS_H_
#define BANDIT_ROUTER_SERVICES_PROCESS_METRICS_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/time/time.h"
#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"

namespace router::services {

struct StorageHealth {
  bool full = false;            // the data dir is below storage.min_free_bytes
  uint64_t full_rejections = 0;  // writes refused for want of space
};

// Gauges computed when scraped rather than kept up to date: process uptime, the store's size and
// whether its disk is full.
class ProcessMetrics final : public prometheus::Collectable {
 public:
  ProcessMetrics(absl::Time start, std::function<uint64_t()> store_size_bytes,
                 std::function<StorageHealth()> storage_health = nullptr)
      : start_(start),
        store_size_bytes_(std::move(store_size_bytes)),
        storage_health_(std::move(storage_health)) {}

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  const absl::Time start_;
  const std::function<uint64_t()> store_size_bytes_;
  const std::function<StorageHealth()> storage_health_;
};

}  // namespace router::services

#endif  // BANDIT_ROUTER_SERVICES_PROCESS_METRICS_H_
