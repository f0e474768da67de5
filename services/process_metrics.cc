#include "services/process_metrics.h"

#include "absl/time/clock.h"

namespace router::services {
namespace {

prometheus::MetricFamily Gauge(const char* name, const char* help, double value) {
  prometheus::MetricFamily family;
  family.name = name;
  family.help = help;
  family.type = prometheus::MetricType::Gauge;
  prometheus::ClientMetric metric;
  metric.gauge.value = value;
  family.metric.push_back(metric);
  return family;
}

}  // namespace

std::vector<prometheus::MetricFamily> ProcessMetrics::Collect() const {
  return {
      Gauge("router_uptime_seconds", "Seconds since routerd started",
            absl::ToDoubleSeconds(absl::Now() - start_)),
      Gauge("router_rocksdb_size_bytes", "Bytes in the store's live SST files and memtables",
            static_cast<double>(store_size_bytes_())),
  };
}

}  // namespace router::services
