// A real Prometheus server (Debian's `prometheus` package) scrapes a real routerd on loopback;
// the test drives known traffic over gRPC and reads the series back through Prometheus' HTTP API.

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/testing/net.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_server.h"
#include "tests/testing/traffic.h"

extern char** environ;

namespace router {
namespace {

// Start-up plus a few 1 s scrapes normally take seconds; the bound only stops a hung run.
constexpr absl::Duration kPatience = absl::Seconds(120);

class Prometheus {
 public:
  // Starts `prometheus` scraping 127.0.0.1:target_port every second.
  Prometheus(const std::string& dir, int target_port) : port_(testing::FreeLoopbackPort()) {
    const std::string config = dir + "/prometheus.yml";
    std::ofstream(config) << "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                          << "scrape_configs:\n  - job_name: routerd\n    static_configs:\n"
                          << "      - targets: ['127.0.0.1:" << target_port << "']\n";
    const std::string args[] = {
        "prometheus",
        "--config.file=" + config,
        "--storage.tsdb.path=" + dir + "/tsdb",
        absl::StrCat("--web.listen-address=127.0.0.1:", port_),
        "--log.level=warn",
    };
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    const std::string log = dir + "/prometheus.log";
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    const int rc = posix_spawnp(&pid_, "prometheus", &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) pid_ = 0;
  }
  ~Prometheus() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
  }
  bool started() const { return pid_ > 0; }

  // The single value of an instant query, once it equals `want` (within tol), or the last value
  // seen when patience runs out.
  double Await(const std::string& query, double want, double tol = 1e-9) {
    const absl::Time deadline = absl::Now() + kPatience;
    double last = std::nan("");
    while (absl::Now() < deadline) {
      auto body = testing::HttpGet(port_, "/api/v1/query?query=" + testing::UrlEncode(query));
      if (body.ok()) {
        // {"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[t,"v"]}]}}
        const size_t at = body->find("\"value\":[");
        if (at != std::string::npos) {
          const size_t open = body->find('"', body->find(',', at));
          const size_t close = body->find('"', open + 1);
          double v = 0;
          if (absl::SimpleAtod(body->substr(open + 1, close - open - 1), &v)) last = v;
          if (std::abs(last - want) <= tol * std::max(1.0, std::abs(want))) return last;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    return last;
  }

 private:
  pid_t pid_ = 0;
  int port_;
};

TEST(PrometheusIntegrationTest, SeriesInPrometheusEqualTheTrafficSent) {
  testing::TempDir dir;
  v1::ServerConfig config;
  *config.add_routers() = testing::ToyRouter("toy");
  config.mutable_routers(0)->set_grid_intensity_g_per_kwh(360);
  auto server = testing::TestServer::Start(config, dir.Sub("routerd"), /*with_metrics=*/true);
  ASSERT_NE(server, nullptr);
  Prometheus prometheus(dir.path(), server->metrics_port());
  ASSERT_TRUE(prometheus.started())
      << "cannot run `prometheus`: install Debian's prometheus package (tools/install-deps.sh)";

  const testing::TrafficTotals sent = testing::DriveKnownTraffic(*server, "toy", 60);

  EXPECT_EQ(prometheus.Await("sum(router_decisions_total)", sent.decisions), sent.decisions);
  for (const auto& [arm, n] : sent.decisions_per_arm) {
    EXPECT_EQ(prometheus.Await(absl::StrCat("router_decisions_total{arm=\"", arm, "\"}"), n), n)
        << arm;
  }
  EXPECT_NEAR(prometheus.Await("sum(router_cost_usd_total)", sent.cost_usd), sent.cost_usd, 1e-9);
  EXPECT_NEAR(prometheus.Await("sum(router_energy_joules_total)", sent.energy_j), sent.energy_j,
              1e-9);
  const double co2 = sent.energy_j * 360 / 3.6e6;
  EXPECT_NEAR(prometheus.Await("sum(router_co2_grams_total)", co2), co2, 1e-9);
  EXPECT_EQ(prometheus.Await("router_feedback_events_total{outcome=\"applied\"}", sent.applied),
            sent.applied);
  EXPECT_EQ(prometheus.Await("router_feedback_events_total{outcome=\"duplicate\"}",
                             sent.duplicates),
            sent.duplicates);
  EXPECT_EQ(prometheus.Await("router_feedback_events_total{outcome=\"not_found\"}", 1), 1);
  EXPECT_EQ(prometheus.Await("router_decisions_joined_total", sent.decisions), sent.decisions);
  EXPECT_EQ(prometheus.Await("router_pending_decisions", 0), 0);
  EXPECT_EQ(prometheus.Await("router_rpc_errors_total{rpc=\"Route\",code=\"not_found\"}", 1), 1);
  EXPECT_NEAR(prometheus.Await("router_estimated_regret", sent.estimated_regret, 1e-9),
              sent.estimated_regret, 1e-9 * std::max(1.0, std::abs(sent.estimated_regret)));
  EXPECT_NEAR(prometheus.Await("router_exact_regret_total", sent.exact_regret, 1e-9),
              sent.exact_regret, 1e-9);
  EXPECT_EQ(prometheus.Await("router_exact_regret_events_total", sent.exact_events),
            sent.exact_events);
}

}  // namespace
}  // namespace router
