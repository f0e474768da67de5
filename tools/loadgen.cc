// router-loadgen: closed-loop load against routerd over gRPC, Route then (optionally) Feedback,
// reporting throughput and latency percentiles. Bounded in requests and time.
//
//   router-loadgen                          in-process routerd on a temp dir, 20,000 requests
//   router-loadgen --addr 127.0.0.1:50051   an external routerd (router "default")
//   router-loadgen --query embedding --feedback_ratio 0   Route only, with 384-float embeddings

#include <algorithm>
#include <cmath>
#include <atomic>
#include <filesystem>
#include <iostream>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "grpcpp/grpcpp.h"
#include "router/v1/router.grpc.pb.h"
#include "services/config.h"
#include "services/server.h"

ABSL_FLAG(std::string, addr, "", "routerd address; empty: start one in-process");
ABSL_FLAG(std::string, router, "default", "router to load");
ABSL_FLAG(int, requests, 20000, "Route calls in total (the run stops at this or --max_seconds)");
ABSL_FLAG(double, max_seconds, 60, "upper bound on the run's duration");
ABSL_FLAG(int, concurrency, 4, "client threads, each with one call in flight");
ABSL_FLAG(double, feedback_ratio, 1.0, "share of decisions that get a Feedback call");
ABSL_FLAG(bool, sync, false, "in-process routerd: fsync every write");
ABSL_FLAG(std::string, query, "text",
          "what each Route carries: 'text' (a ~75-character query) or 'embedding' (a unit vector of "
          "--embedding_dim floats)");
ABSL_FLAG(int, embedding_dim, 384, "embedding length for --query embedding (the default router's)");

namespace {

namespace v1 = ::router::v1;

struct Worker {
  std::vector<double> route_us;
  std::vector<double> feedback_us;
  int errors = 0;
};

double Percentile(std::vector<double>& v, double q) {
  if (v.empty()) return 0;
  const size_t k = std::min(v.size() - 1, static_cast<size_t>(q * v.size()));
  std::nth_element(v.begin(), v.begin() + k, v.end());
  return v[k];
}

void Report(const char* what, std::vector<double> all, double seconds) {
  std::cout << absl::StrFormat("%-9s %8d calls  %9.0f /s  p50 %7.1f us  p95 %7.1f us  p99 %7.1f us\n",
                               what, all.size(), all.size() / seconds, Percentile(all, 0.50),
                               Percentile(all, 0.95), Percentile(all, 0.99));
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("closed-loop gRPC load generator for routerd");
  absl::ParseCommandLine(argc, argv);
  router::services::ConfigureServingProcess();

  std::unique_ptr<router::services::Server> server;
  std::string addr = absl::GetFlag(FLAGS_addr);
  std::string data_dir;
  if (addr.empty()) {
    data_dir = (std::filesystem::temp_directory_path() /
                absl::StrCat("router-loadgen-", getpid())).string();
    router::services::ServerOptions options;
    options.config = router::services::DefaultConfig();
    options.data_dir = data_dir;
    options.grpc_addr = "127.0.0.1:0";
    options.metrics_addr = "";
    options.store.sync = absl::GetFlag(FLAGS_sync);
    auto started = router::services::Server::Start(options);
    if (!started.ok()) {
      std::cerr << "router-loadgen: " << started.status() << std::endl;
      return 1;
    }
    server = *std::move(started);
    addr = absl::StrCat("127.0.0.1:", server->grpc_port());
  }

  const std::string query = absl::GetFlag(FLAGS_query);
  if (query != "text" && query != "embedding") {
    std::cerr << "router-loadgen: --query must be 'text' or 'embedding', got '" << query << "'"
              << std::endl;
    return 2;
  }
  const bool use_embedding = query == "embedding";
  // A few fixed unit vectors, cycled, so every call costs the same to serialise.
  std::vector<std::vector<float>> embeddings(8);
  for (size_t e = 0; e < embeddings.size(); ++e) {
    const int dim = absl::GetFlag(FLAGS_embedding_dim);
    double norm = 0;
    for (int j = 0; j < dim; ++j) {
      const float v = static_cast<float>(std::sin(0.37 * (j + 1) * (e + 1)));
      embeddings[e].push_back(v);
      norm += v * v;
    }
    for (float& v : embeddings[e]) v = static_cast<float>(v / std::sqrt(norm));
  }

  const int threads = std::max(1, absl::GetFlag(FLAGS_concurrency));
  const int total = absl::GetFlag(FLAGS_requests);
  const double feedback_ratio = absl::GetFlag(FLAGS_feedback_ratio);
  const absl::Time deadline = absl::Now() + absl::Seconds(absl::GetFlag(FLAGS_max_seconds));
  const char* topics[] = {"python code", "a poem", "tax law", "calculus", "travel tips", "SQL"};
  std::atomic<int> next{0};
  std::vector<Worker> workers(threads);
  std::vector<std::thread> pool;
  const absl::Time start = absl::Now();
  for (int w = 0; w < threads; ++w) {
    pool.emplace_back([&, w] {
      // One channel per thread: gRPC multiplexes, but separate channels avoid one connection's
      // lock becoming the bottleneck of a load test.
      grpc::ChannelArguments args;
      args.SetInt("grpc.channel_id", w);
      auto channel = grpc::CreateCustomChannel(addr, grpc::InsecureChannelCredentials(), args);
      auto route = v1::RouterService::NewStub(channel);
      auto feedback = v1::FeedbackService::NewStub(channel);
      Worker& me = workers[w];
      for (int i = next++; i < total && absl::Now() < deadline; i = next++) {
        v1::RouteRequest request;
        request.set_router(absl::GetFlag(FLAGS_router));
        if (use_embedding) {
          const std::vector<float>& e = embeddings[i % embeddings.size()];
          request.mutable_embedding()->Add(e.begin(), e.end());
        } else {
          request.set_text(absl::StrCat("request ", i, " about ", topics[i % 6],
                                        ": please explain it briefly and give one example"));
        }
        v1::RouteResponse response;
        grpc::ClientContext ctx;
        absl::Time t0 = absl::Now();
        if (!route->Route(&ctx, request, &response).ok()) {
          ++me.errors;
          continue;
        }
        me.route_us.push_back(absl::ToDoubleMicroseconds(absl::Now() - t0));
        if ((i % 1000) >= feedback_ratio * 1000) continue;
        v1::FeedbackRequest f;
        f.set_decision_id(response.decision_id());
        f.set_feedback_id(absl::StrCat("load-", i));
        f.set_judge_score((i % 10) / 10.0);
        f.set_cost_usd(0.001);
        v1::FeedbackResponse fr;
        grpc::ClientContext fctx;
        t0 = absl::Now();
        if (!feedback->Feedback(&fctx, f, &fr).ok()) {
          ++me.errors;
          continue;
        }
        me.feedback_us.push_back(absl::ToDoubleMicroseconds(absl::Now() - t0));
      }
    });
  }
  for (auto& t : pool) t.join();
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);

  std::vector<double> route, feedback;
  int errors = 0;
  for (const Worker& w : workers) {
    route.insert(route.end(), w.route_us.begin(), w.route_us.end());
    feedback.insert(feedback.end(), w.feedback_us.begin(), w.feedback_us.end());
    errors += w.errors;
  }
  std::cout << absl::StrFormat("router-loadgen: %s, %d threads, %.1f s, %d errors%s\n", addr,
                               threads, seconds, errors,
                               absl::GetFlag(FLAGS_sync) ? ", sync writes" : "");
  Report("Route", route, seconds);
  Report("Feedback", feedback, seconds);
  std::cout << absl::StrFormat("%-9s %8d pairs  %9.0f /s\n", "Total", route.size(),
                               route.size() / seconds);
  if (server != nullptr) {
    server->Shutdown();
    server.reset();
    std::filesystem::remove_all(data_dir);
  }
  return errors == 0 ? 0 : 1;
}
