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
  std::vector<prometheus::MetricFamily> out = {
      Gauge("router_uptime_seconds", "Seconds since routerd started",
            absl::ToDoubleSeconds(absl::Now() - start_)),
      Gauge("router_rocksdb_size_bytes", "Bytes in the store's live SST files and memtables",
            static_cast<double>(store_size_bytes_())),
  };
  if (storage_health_) {
    const StorageHealth health = storage_health_();
    out.push_back(Gauge("router_storage_full",
                        "1 while the data dir has less free space than storage.min_free_bytes "
                        "(writes are refused, health is NOT_SERVING)",
                        health.full ? 1 : 0));
    prometheus::MetricFamily rejections = Gauge(
        "router_storage_full_rejections_total",
        "Writes refused because the data dir was full (RESOURCE_EXHAUSTED)",
        static_cast<double>(health.full_rejections));
    rejections.type = prometheus::MetricType::Counter;
    rejections.metric.front().gauge = {};
    rejections.metric.front().counter.value = static_cast<double>(health.full_rejections);
    out.push_back(std::move(rejections));
  }
  return out;
}

}  // namespace router::services
