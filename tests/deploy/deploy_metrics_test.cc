// Every metric the Grafana dashboard and the Prometheus rules use is exported by routerd.

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/testing/net.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_server.h"
#include "tests/testing/traffic.h"

namespace router {
namespace {

std::string ReadSourceFile(const std::string& relative) {
  const char* source_dir = std::getenv("ROUTER_SOURCE_DIR");
  EXPECT_NE(source_dir, nullptr);
  std::ifstream in(std::string(source_dir) + "/" + relative);
  EXPECT_TRUE(in.good()) << relative;
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Metric names (router_*) referenced by a PromQL-bearing file. Recording rules are named
// router:..., so they do not match.
std::set<std::string> ReferencedMetrics(const std::string& text) {
  std::set<std::string> names;
  const std::regex name(R"(\brouter_[a-z0-9_]+)");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), name);
       it != std::sregex_iterator(); ++it) {
    names.insert(it->str());
  }
  return names;
}

std::set<std::string> ExportedMetrics(const std::string& exposition) {
  std::set<std::string> names;
  for (absl::string_view line : absl::StrSplit(exposition, '\n')) {
    if (line.empty() || line[0] == '#') continue;
    names.insert(std::string(line.substr(0, line.find_first_of("{ "))));
  }
  return names;
}

TEST(DeployMetricsTest, DashboardAndRulesUseOnlyExportedMetrics) {
  testing::TempDir dir;
  v1::ServerConfig config;
  *config.add_routers() = testing::ToyRouter("toy");
  auto server = testing::TestServer::Start(config, dir.path(), /*with_metrics=*/true);
  ASSERT_NE(server, nullptr);
  testing::DriveKnownTraffic(*server, "toy", 12);
  auto body = testing::HttpGet(server->metrics_port(), "/metrics");
  ASSERT_TRUE(body.ok()) << body.status();
  const std::set<std::string> exported = ExportedMetrics(*body);

  for (const char* file : {"deploy/grafana/dashboards/routerd.json",
                           "deploy/prometheus/rules.yml"}) {
    const std::set<std::string> used = ReferencedMetrics(ReadSourceFile(file));
    EXPECT_GT(used.size(), 5u) << file;
    for (const std::string& name : used) {
      EXPECT_TRUE(exported.count(name)) << file << " uses " << name << ", which routerd does not export";
    }
  }
}

}  // namespace
}  // namespace router
