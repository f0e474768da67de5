#include "tools/replay/replay.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "core/random.h"
#include "google/protobuf/text_format.h"
#include "grpcpp/grpcpp.h"
#include "router/v1/router.grpc.pb.h"
#include "services/server.h"
#include "tools/replay/cascade.h"
#include "tools/replay/dataset_proto.h"

namespace router::replay {
namespace {

constexpr auto kRpcTimeout = std::chrono::seconds(30);

absl::Status FromGrpc(const grpc::Status& s, absl::string_view what) {
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                      absl::StrCat(what, ": ", s.error_message()));
}

void SetDeadline(grpc::ClientContext* ctx) {
  ctx->set_deadline(std::chrono::system_clock::now() + kRpcTimeout);
}

// Per-arm prices in USD per 1M tokens from the data: least squares of cost on (input, output)
// tokens; with too little variation for two prices, one price per token of either kind.
struct Prices {
  double input = 0;
  double output = 0;
  bool fitted = false;
};

Prices FitPrices(const Dataset& data, int arm) {
  double sii = 0, soo = 0, sio = 0, sic = 0, soc = 0, tokens = 0, cost = 0;
  for (const Query& q : data.queries) {
    const auto& o = q.outcomes[arm];
    if (!o || !o->input_tokens || !o->output_tokens) continue;
    const double in = static_cast<double>(*o->input_tokens) / 1e6;
    const double out = static_cast<double>(*o->output_tokens) / 1e6;
    sii += in * in;
    soo += out * out;
    sio += in * out;
    sic += in * o->cost_usd;
    soc += out * o->cost_usd;
    tokens += in + out;
    cost += o->cost_usd;
  }
  Prices p;
  if (tokens <= 0) return p;
  p.fitted = true;
  const double det = sii * soo - sio * sio;
  if (det > 1e-9 * sii * soo) {
    p.input = (sic * soo - soc * sio) / det;
    p.output = (soc * sii - sic * sio) / det;
  }
  if (!(p.input >= 0 && p.output >= 0) || det <= 1e-9 * sii * soo) {
    p.input = p.output = cost / tokens;
  }
  return p;
}

}  // namespace

v1::RouterConfig BuildRouterConfig(const Dataset& data, const std::string& name) {
  v1::RouterConfig config;
  config.set_name(name);
  double in_sum = 0, out_sum = 0, token_rows = 0;
  for (const Query& q : data.queries) {
    for (const auto& o : q.outcomes) {
      if (!o || !o->input_tokens || !o->output_tokens) continue;
      in_sum += static_cast<double>(*o->input_tokens);
      out_sum += static_cast<double>(*o->output_tokens);
      ++token_rows;
    }
  }
  const uint32_t typical_in = token_rows > 0 ? static_cast<uint32_t>(in_sum / token_rows) : 500;
  const uint32_t typical_out = token_rows > 0 ? static_cast<uint32_t>(out_sum / token_rows) : 300;
  config.set_typical_input_tokens(std::max<uint32_t>(1, typical_in));
  config.set_typical_output_tokens(typical_out);

  double max_mean_cost = 0;
  for (int a = 0; a < static_cast<int>(data.arms.size()); ++a) {
    double cost = 0, n = 0;
    for (const Query& q : data.queries) {
      if (q.outcomes[a]) {
        cost += q.outcomes[a]->cost_usd;
        ++n;
      }
    }
    const double mean_cost = n > 0 ? cost / n : 0;
    max_mean_cost = std::max(max_mean_cost, mean_cost);
    v1::ArmConfig* arm = config.add_arms();
    arm->set_id(data.arms[a]);
    Prices p = FitPrices(data, a);
    if (!p.fitted) p.input = mean_cost * 1e6 / config.typical_input_tokens();
    arm->set_input_price_per_mtok(p.input);
    arm->set_output_price_per_mtok(p.output);
  }
  if (max_mean_cost > 0) config.mutable_weights()->set_cost_scale_usd(max_mean_cost);
  return config;
}

absl::Status ApplySetting(const std::string& path, const std::string& value,
                          v1::RouterConfig* config) {
  std::vector<std::string> parts = absl::StrSplit(path, '.');
  if (path.empty() || value.empty()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("setting '%s=%s': expected field.path=value", path, value));
  }
  // "a.b.c" = v  ->  "a { b { c: v } }", merged into the config by the text-proto parser.
  std::string text;
  for (size_t i = 0; i + 1 < parts.size(); ++i) absl::StrAppend(&text, parts[i], " { ");
  absl::StrAppend(&text, parts.back(), ": ", value);
  for (size_t i = 0; i + 1 < parts.size(); ++i) absl::StrAppend(&text, " }");
  google::protobuf::TextFormat::Parser parser;
  if (!parser.MergeFromString(text, config)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "setting '%s=%s' does not fit router.v1.RouterConfig (unknown field or bad value)", path,
        value));
  }
  return absl::OkStatus();
}

std::vector<int> ShuffledOrder(std::vector<int> indices, uint64_t seed) {
  Rng rng(Mix64(seed ^ 0x6f72646572ULL));
  for (size_t i = indices.size(); i > 1; --i) {
    std::swap(indices[i - 1], indices[rng.UniformInt(i)]);
  }
  return indices;
}

absl::StatusOr<ReplayRun> RunReplay(const Dataset& data, const ReplayOptions& options) {
  std::unique_ptr<services::Server> server;
  std::string data_dir;
  std::string addr = options.addr;
  if (addr.empty()) {
    static std::atomic<int> run_counter{0};
    data_dir = absl::StrFormat("%s/router-replay-%d-%d", options.work_dir, getpid(),
                               run_counter.fetch_add(1));
    std::filesystem::remove_all(data_dir);
    services::ServerOptions server_options;
    v1::RouterConfig router = options.router_config;
    router.set_name(options.router);
    *server_options.config.add_routers() = router;
    server_options.data_dir = data_dir;
    server_options.grpc_addr = "127.0.0.1:0";
    server_options.metrics_addr = "";
    absl::StatusOr<std::unique_ptr<services::Server>> started =
        services::Server::Start(server_options);
    if (!started.ok()) return started.status();
    server = *std::move(started);
    addr = absl::StrCat("127.0.0.1:", server->grpc_port());
  }
  struct Cleanup {
    std::string dir;
    std::unique_ptr<services::Server>* server;
    ~Cleanup() {
      server->reset();
      if (!dir.empty()) std::filesystem::remove_all(dir);
    }
  } cleanup{data_dir, &server};

  auto channel = grpc::CreateChannel(addr, grpc::InsecureChannelCredentials());
  auto route_stub = v1::RouterService::NewStub(channel);
  auto feedback_stub = v1::FeedbackService::NewStub(channel);
  auto admin_stub = v1::AdminService::NewStub(channel);
  const int total = static_cast<int>(options.warm.size() + options.stream.size());
  int done = 0;
  auto tick = [&] {
    ++done;
    if (options.progress && (done % 64 == 0 || done == total)) options.progress(done, total);
  };

  ReplayRun run;
  if (!options.warm.empty()) {
    const absl::Time start = absl::Now();
    grpc::ClientContext ctx;
    v1::ImportOutcomesSummary summary;
    auto writer = admin_stub->ImportOutcomes(&ctx, &summary);
    for (int i : options.warm) {
      if (!writer->Write(ToImportRequest(data, data.queries[i], options.router))) break;  // the server ended the call; Finish says why
      tick();
    }
    writer->WritesDone();
    grpc::Status status = writer->Finish();
    if (!status.ok()) return FromGrpc(status, "ImportOutcomes");
    if (summary.rejected() > 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "ImportOutcomes rejected ", summary.rejected(), " items, first: ",
          summary.errors_size() > 0 ? summary.errors(0) : "?"));
    }
    run.imported_observations = summary.observations();
    run.import_seconds = absl::ToDoubleSeconds(absl::Now() - start);
  }

  const absl::Time start = absl::Now();
  const bool cascade = options.router_config.cascade().max_attempts() >= 2;
  run.chosen.reserve(options.stream.size());
  for (int i : options.stream) {
    const Query& q = data.queries[i];
    v1::RouteRequest request;
    request.set_router(options.router);
    request.set_request_id(q.id);
    request.set_text(q.text);
    bool complete = true;
    for (const auto& o : q.outcomes) complete = complete && o.has_value();
    if (!complete) {
      for (size_t a = 0; a < data.arms.size(); ++a) {
        if (q.outcomes[a]) request.add_allowed_arms(data.arms[a]);
      }
    }
    v1::RouteResponse response;
    grpc::ClientContext route_ctx;
    SetDeadline(&route_ctx);
    grpc::Status status = route_stub->Route(&route_ctx, request, &response);
    if (!status.ok()) return FromGrpc(status, absl::StrCat("Route of query ", q.id));
    const int arm = data.ArmIndex(response.arm());
    if (arm < 0 || !q.outcomes[arm]) {
      return absl::FailedPreconditionError(absl::StrFormat(
          "router chose arm '%s' for query %s, which the dataset has no outcome for",
          response.arm(), q.id));
    }
    int accepted = arm;
    if (cascade) {
      std::vector<int> tried = {arm};
      for (;;) {
        const Outcome& o = *q.outcomes[accepted];
        v1::EscalateRequest report;
        report.set_decision_id(response.decision_id());
        report.set_arm(data.arms[accepted]);
        report.set_verifier_score(VerifierScore(q, accepted, data.arms[accepted],
                                                options.verifier_auroc, options.verifier_seed));
        report.set_cost_usd(o.cost_usd);
        if (o.output_tokens) report.set_output_tokens(*o.output_tokens);
        if (o.latency_ms) report.set_latency_ms(*o.latency_ms);
        v1::EscalateResponse answer;
        grpc::ClientContext escalate_ctx;
        SetDeadline(&escalate_ctx);
        status = route_stub->Escalate(&escalate_ctx, report, &answer);
        if (!status.ok()) return FromGrpc(status, absl::StrCat("Escalate of query ", q.id));
        if (answer.action() == v1::EscalateResponse::ACCEPT) break;
        accepted = data.ArmIndex(answer.next_arm());
        if (accepted < 0 || !q.outcomes[accepted]) {
          return absl::FailedPreconditionError(absl::StrFormat(
              "router escalated to arm '%s' for query %s, which the dataset has no outcome for",
              answer.next_arm(), q.id));
        }
        tried.push_back(accepted);
      }
      run.tried.push_back(std::move(tried));
    }
    const Outcome& o = *q.outcomes[accepted];
    v1::FeedbackRequest feedback;
    feedback.set_decision_id(response.decision_id());
    feedback.set_feedback_id(response.decision_id());
    feedback.set_source("replay");
    feedback.set_judge_score(o.quality);
    // In a cascade every attempt's cost was reported with it.
    if (!cascade) feedback.set_cost_usd(o.cost_usd);
    SetMeasurements(o, &feedback);
    if (options.full_info) {
      for (size_t a = 0; a < data.arms.size(); ++a) {
        if (q.outcomes[a]) (*feedback.mutable_arm_qualities())[data.arms[a]] = q.outcomes[a]->quality;
      }
    }
    v1::FeedbackResponse feedback_response;
    grpc::ClientContext feedback_ctx;
    SetDeadline(&feedback_ctx);
    status = feedback_stub->Feedback(&feedback_ctx, feedback, &feedback_response);
    if (!status.ok()) return FromGrpc(status, absl::StrCat("Feedback of query ", q.id));
    run.chosen.push_back(accepted);
    if (response.explored()) ++run.explored;
    tick();
  }
  run.stream_seconds = absl::ToDoubleSeconds(absl::Now() - start);
  return run;
}

}  // namespace router::replay
