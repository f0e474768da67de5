// routerctl: command-line client for routerd.
//
//   routerctl route --text "hello"                  pick an arm for a query
//   routerctl feedback --decision ID --judge 0.9    report how it went
//   routerctl arms                                  routers, arms and their statistics
//   routerctl add-arm --arm NAME --input_price 1 --output_price 2
//   routerctl disable-arm --arm NAME / enable-arm --arm NAME
//   routerctl import FILE [--split train]           warm start from offline evaluations
//   routerctl model                                 learned θ per arm and objective
//   routerctl backup DIR                            consistent copy of the server's store

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/random/random.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "google/protobuf/text_format.h"
#include "grpcpp/grpcpp.h"
#include "router/v1/router.grpc.pb.h"
#include "tools/replay/dataset.h"
#include "tools/replay/dataset_proto.h"

ABSL_FLAG(std::string, addr, "127.0.0.1:50051", "routerd gRPC address");
ABSL_FLAG(std::string, router, "default", "router name");
ABSL_FLAG(std::string, text, "", "route: query text");
ABSL_FLAG(std::string, embedding, "", "route: comma-separated embedding values");
ABSL_FLAG(std::string, allowed, "", "route: comma-separated allowed arms");
ABSL_FLAG(std::string, max_cost_usd, "", "route: per-request cost limit in USD");
ABSL_FLAG(std::string, cost_weight, "", "route: override the router's cost weight");
ABSL_FLAG(std::string, decision, "", "feedback: decision id from route");
ABSL_FLAG(std::string, feedback_id, "", "feedback: idempotency key (default: random)");
ABSL_FLAG(std::string, source, "routerctl", "feedback: source label");
ABSL_FLAG(std::string, thumbs, "", "feedback: up or down");
ABSL_FLAG(std::string, judge, "", "feedback: judge score in [0,1]");
ABSL_FLAG(std::string, verifier, "", "escalate: verifier score of the answer in [0,1]");
ABSL_FLAG(std::string, confidence, "", "escalate: the model's confidence in [0,1]");
ABSL_FLAG(std::string, cost_usd, "", "feedback: cost in USD");
ABSL_FLAG(std::string, latency_ms, "", "feedback: latency in ms");
ABSL_FLAG(std::string, energy_j, "", "feedback: energy in joules");
ABSL_FLAG(std::string, arm, "", "add-arm / disable-arm / enable-arm: arm id");
ABSL_FLAG(double, input_price, 0, "add-arm: USD per 1M input tokens");
ABSL_FLAG(double, output_price, 0, "add-arm: USD per 1M output tokens");
ABSL_FLAG(std::string, quality_prior, "", "add-arm: prior mean quality in [0,1]");
ABSL_FLAG(std::string, split, "", "import: only the queries of this split (default: all)");
ABSL_FLAG(std::string, config, "", "evaluate: candidate RouterConfig as a text proto file");
ABSL_FLAG(std::string, since, "", "evaluate: window, e.g. 24h or 30m (default: the whole log)");
ABSL_FLAG(double, timeout_s, 10, "RPC deadline in seconds (import: per 1000 items)");

namespace {

namespace v1 = ::router::v1;

int Fail(const std::string& message) {
  std::cerr << "routerctl: " << message << std::endl;
  return 2;
}

int RpcFail(const grpc::Status& status) {
  std::cerr << "routerctl: " << status.error_code() << " " << status.error_message() << std::endl;
  return 1;
}

// Parses an optional numeric flag; an empty flag is "not given".
bool ParseOptional(const std::string& flag_name, const std::string& value,
                   std::optional<double>* out, std::string* error) {
  if (value.empty()) return true;
  double v = 0;
  if (!absl::SimpleAtod(value, &v)) {
    *error = absl::StrFormat("--%s: '%s' is not a number", flag_name, value);
    return false;
  }
  *out = v;
  return true;
}

void SetDeadline(grpc::ClientContext* ctx) {
  ctx->set_deadline(std::chrono::system_clock::now() +
                    std::chrono::milliseconds(
                        static_cast<int64_t>(absl::GetFlag(FLAGS_timeout_s) * 1000)));
}

int Route(const std::shared_ptr<grpc::Channel>& channel) {
  v1::RouteRequest request;
  request.set_router(absl::GetFlag(FLAGS_router));
  request.set_text(absl::GetFlag(FLAGS_text));
  for (absl::string_view part : absl::StrSplit(absl::GetFlag(FLAGS_embedding), ',',
                                               absl::SkipWhitespace())) {
    float v = 0;
    if (!absl::SimpleAtof(part, &v)) return Fail(absl::StrCat("--embedding: bad value '", part, "'"));
    request.add_embedding(v);
  }
  for (absl::string_view arm : absl::StrSplit(absl::GetFlag(FLAGS_allowed), ',',
                                              absl::SkipWhitespace())) {
    request.add_allowed_arms(std::string(arm));
  }
  std::string error;
  std::optional<double> max_cost, cost_weight;
  if (!ParseOptional("max_cost_usd", absl::GetFlag(FLAGS_max_cost_usd), &max_cost, &error) ||
      !ParseOptional("cost_weight", absl::GetFlag(FLAGS_cost_weight), &cost_weight, &error)) {
    return Fail(error);
  }
  if (max_cost) request.set_max_cost_usd(*max_cost);
  if (cost_weight) request.mutable_preferences()->set_cost(*cost_weight);

  auto stub = v1::RouterService::NewStub(channel);
  grpc::ClientContext ctx;
  SetDeadline(&ctx);
  v1::RouteResponse response;
  grpc::Status status = stub->Route(&ctx, request, &response);
  if (!status.ok()) return RpcFail(status);
  std::cout << absl::StrFormat("decision   %s\n", response.decision_id());
  std::cout << absl::StrFormat("arm        %s  (propensity %.4f, policy %s%s%s)\n", response.arm(),
                               response.propensity(), response.policy().kind(),
                               response.explored() ? ", explored" : "",
                               response.over_budget() ? ", OVER BUDGET" : "");
  std::cout << "ranking\n";
  for (const v1::ArmScore& s : response.ranking()) {
    std::cout << absl::StrFormat("  %-16s quality %.3f  bonus %.3f  cost $%.6f  score %.4f%s\n",
                                 s.arm(), s.predicted_quality(), s.exploration_bonus(),
                                 s.predicted_cost_usd(), s.score(),
                                 s.within_budget() ? "" : "  (over budget)");
  }
  return 0;
}

int Feedback(const std::shared_ptr<grpc::Channel>& channel) {
  v1::FeedbackRequest request;
  request.set_decision_id(absl::GetFlag(FLAGS_decision));
  if (request.decision_id().empty()) return Fail("feedback needs --decision");
  std::string feedback_id = absl::GetFlag(FLAGS_feedback_id);
  if (feedback_id.empty()) {
    absl::BitGen gen;
    feedback_id = absl::StrFormat("ctl-%016x", absl::Uniform<uint64_t>(gen));
  }
  request.set_feedback_id(feedback_id);
  request.set_source(absl::GetFlag(FLAGS_source));
  const std::string thumbs = absl::GetFlag(FLAGS_thumbs);
  if (thumbs == "up") {
    request.set_thumbs(v1::THUMBS_UP);
  } else if (thumbs == "down") {
    request.set_thumbs(v1::THUMBS_DOWN);
  } else if (!thumbs.empty()) {
    return Fail("--thumbs must be 'up' or 'down'");
  }
  std::string error;
  std::optional<double> judge, cost, latency, energy;
  if (!ParseOptional("judge", absl::GetFlag(FLAGS_judge), &judge, &error) ||
      !ParseOptional("cost_usd", absl::GetFlag(FLAGS_cost_usd), &cost, &error) ||
      !ParseOptional("latency_ms", absl::GetFlag(FLAGS_latency_ms), &latency, &error) ||
      !ParseOptional("energy_j", absl::GetFlag(FLAGS_energy_j), &energy, &error)) {
    return Fail(error);
  }
  if (judge) request.set_judge_score(*judge);
  if (cost) request.set_cost_usd(*cost);
  if (latency) request.set_latency_ms(*latency);
  if (energy) request.set_energy_j(*energy);

  auto stub = v1::FeedbackService::NewStub(channel);
  grpc::ClientContext ctx;
  SetDeadline(&ctx);
  v1::FeedbackResponse response;
  grpc::Status status = stub->Feedback(&ctx, request, &response);
  if (!status.ok()) return RpcFail(status);
  std::cout << (response.duplicate() ? "duplicate (already applied): " : "applied: ")
            << feedback_id << std::endl;
  return 0;
}

// Reports the answer of --arm for --decision (cascades); prints ACCEPT or the next arm.
int Escalate(const std::shared_ptr<grpc::Channel>& channel) {
  v1::EscalateRequest request;
  request.set_decision_id(absl::GetFlag(FLAGS_decision));
  request.set_arm(absl::GetFlag(FLAGS_arm));
  if (request.decision_id().empty() || request.arm().empty()) {
    return Fail("escalate needs --decision and --arm (the arm whose answer this reports)");
  }
  std::string error;
  std::optional<double> verifier, confidence, cost, latency;
  if (!ParseOptional("verifier", absl::GetFlag(FLAGS_verifier), &verifier, &error) ||
      !ParseOptional("confidence", absl::GetFlag(FLAGS_confidence), &confidence, &error) ||
      !ParseOptional("cost_usd", absl::GetFlag(FLAGS_cost_usd), &cost, &error) ||
      !ParseOptional("latency_ms", absl::GetFlag(FLAGS_latency_ms), &latency, &error)) {
    return Fail(error);
  }
  if (verifier) request.set_verifier_score(*verifier);
  if (confidence) request.set_confidence(*confidence);
  if (cost) request.set_cost_usd(*cost);
  if (latency) request.set_latency_ms(*latency);
  auto stub = v1::RouterService::NewStub(channel);
  grpc::ClientContext ctx;
  SetDeadline(&ctx);
  v1::EscalateResponse response;
  grpc::Status status = stub->Escalate(&ctx, request, &response);
  if (!status.ok()) return RpcFail(status);
  std::cout << absl::StrFormat(
      "%s  (propensity %.4f, %d arm(s) tried%s%s)\n",
      response.action() == v1::EscalateResponse::ACCEPT
          ? std::string("ACCEPT")
          : absl::StrCat("ESCALATE to ", response.next_arm()),
      response.propensity(), response.attempts(), response.forced() ? ", forced" : "",
      response.duplicate() ? ", duplicate" : "");
  return 0;
}

void PrintArm(const v1::ArmInfo& a) {
  std::cout << absl::StrFormat(
      "  %-16s %-8s decisions %-8d quality %.3f (n=%d)  prior %.3f  cost $%.6f  price $%g/$%g\n",
      a.id(), a.disabled() ? "disabled" : "active", a.decisions(), a.mean_quality(),
      a.quality_observations(), a.prior_quality(), a.total_cost_usd(), a.input_price_per_mtok(),
      a.output_price_per_mtok());
}

int Arms(const std::shared_ptr<grpc::Channel>& channel) {
  auto stub = v1::AdminService::NewStub(channel);
  grpc::ClientContext ctx;
  SetDeadline(&ctx);
  v1::ListRoutersResponse response;
  grpc::Status status = stub->ListRouters(&ctx, v1::ListRoutersRequest(), &response);
  if (!status.ok()) return RpcFail(status);
  for (const v1::RouterInfo& r : response.routers()) {
    std::cout << absl::StrFormat("router %s  policy %s  d=%d  decisions %d  feedback %d\n",
                                 r.name(), r.policy(), r.feature_dim(), r.decisions(),
                                 r.feedback_events());
    if (r.target_cost_per_request_usd() > 0) {
      std::cout << absl::StrFormat("  spend target %.6f USD/request  multiplier %.4f\n",
                                   r.target_cost_per_request_usd(), r.spend_multiplier());
    }
    for (const v1::ArmInfo& a : r.arms()) PrintArm(a);
  }
  return 0;
}

int AddArm(const std::shared_ptr<grpc::Channel>& channel) {
  v1::AddArmRequest request;
  request.set_router(absl::GetFlag(FLAGS_router));
  request.set_arm(absl::GetFlag(FLAGS_arm));
  request.set_input_price_per_mtok(absl::GetFlag(FLAGS_input_price));
  request.set_output_price_per_mtok(absl::GetFlag(FLAGS_output_price));
  std::string error;
  std::optional<double> prior;
  if (!ParseOptional("quality_prior", absl::GetFlag(FLAGS_quality_prior), &prior, &error)) {
    return Fail(error);
  }
  if (prior) request.set_quality_prior(*prior);
  auto stub = v1::AdminService::NewStub(channel);
  grpc::ClientContext ctx;
  SetDeadline(&ctx);
  v1::AddArmResponse response;
  grpc::Status status = stub->AddArm(&ctx, request, &response);
  if (!status.ok()) return RpcFail(status);
  std::cout << "added\n";
  PrintArm(response.arm());
  return 0;
}

int SetArmState(const std::shared_ptr<grpc::Channel>& channel, bool disabled) {
  v1::SetArmStateRequest request;
  request.set_router(absl::GetFlag(FLAGS_router));
  request.set_arm(absl::GetFlag(FLAGS_arm));
  request.set_disabled(disabled);
  auto stub = v1::AdminService::NewStub(channel);
  grpc::ClientContext ctx;
  SetDeadline(&ctx);
  v1::SetArmStateResponse response;
  grpc::Status status = stub->SetArmState(&ctx, request, &response);
  if (!status.ok()) return RpcFail(status);
  PrintArm(response.arm());
  return 0;
}

// Streams a dataset file (datasets/README.md format) to AdminService.ImportOutcomes.
int Import(const std::shared_ptr<grpc::Channel>& channel, const std::string& path) {
  absl::StatusOr<router::replay::Dataset> data = router::replay::ReadDataset(path);
  if (!data.ok()) return Fail(std::string(data.status().message()));
  const std::vector<int> indices = router::replay::SplitIndices(*data, absl::GetFlag(FLAGS_split));
  if (indices.empty()) return Fail(absl::StrCat("no query of split '", absl::GetFlag(FLAGS_split),
                                                "' in ", path));
  auto stub = v1::AdminService::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() +
                   std::chrono::milliseconds(static_cast<int64_t>(
                       absl::GetFlag(FLAGS_timeout_s) * 1000 * (1 + indices.size() / 1000))));
  v1::ImportOutcomesSummary summary;
  auto writer = stub->ImportOutcomes(&ctx, &summary);
  for (int i : indices) {
    if (!writer->Write(router::replay::ToImportRequest(*data, data->queries[i],
                                                       absl::GetFlag(FLAGS_router)))) {
      break;  // the server ended the call; Finish says why
    }
  }
  writer->WritesDone();
  grpc::Status status = writer->Finish();
  if (!status.ok()) return RpcFail(status);
  std::cout << absl::StrFormat(
      "imported %d of %d queries into router '%s': %d arm outcomes applied, %d already imported, "
      "%d queries rejected\n",
      summary.items() - summary.rejected(), summary.items(), absl::GetFlag(FLAGS_router),
      summary.observations(), summary.duplicate(), summary.rejected());
  for (const std::string& e : summary.errors()) std::cout << "  rejected " << e << "\n";
  if (data->clamped_qualities > 0) {
    std::cout << "note: " << data->clamped_qualities
              << " quality value(s) outside [0, 1] were clamped into it\n";
  }
  return summary.rejected() > 0 ? 1 : 0;
}

int Model(const std::shared_ptr<grpc::Channel>& channel) {
  v1::GetModelRequest request;
  request.set_router(absl::GetFlag(FLAGS_router));
  auto stub = v1::AdminService::NewStub(channel);
  grpc::ClientContext ctx;
  SetDeadline(&ctx);
  v1::GetModelResponse response;
  grpc::Status status = stub->GetModel(&ctx, request, &response);
  if (!status.ok()) return RpcFail(status);
  std::cout << absl::StrFormat("router %s  after event %d  decisions %d  feedback %d\n",
                               response.router(), response.last_event_sequence(),
                               response.decisions(), response.feedback_events());
  for (const v1::ArmModel& arm : response.arms()) {
    std::cout << absl::StrFormat("  %s  decisions %d\n", arm.arm(), arm.decisions());
    for (const v1::ObjectiveModel& m : arm.objectives()) {
      // θ[0] is the bias weight: the prediction for an all-zero context.
      std::cout << absl::StrFormat("    %-8s n=%-8d theta[0] %.6g  A^-1[0,0] %.6g\n",
                                   m.objective(), m.observations(),
                                   m.theta().empty() ? 0.0 : m.theta(0),
                                   m.a_inv_lower().empty() ? 0.0 : m.a_inv_lower(0));
    }
  }
  return 0;
}

int Backup(const std::shared_ptr<grpc::Channel>& channel, const std::string& dir) {
  v1::BackupRequest request;
  // The server resolves the path on its own machine; make a relative one mean "from here".
  request.set_dir(std::filesystem::absolute(dir).lexically_normal().string());
  auto stub = v1::AdminService::NewStub(channel);
  grpc::ClientContext ctx;
  SetDeadline(&ctx);
  v1::BackupResponse response;
  grpc::Status status = stub->Backup(&ctx, request, &response);
  if (!status.ok()) return RpcFail(status);
  std::cout << "backup written to " << response.dir() << " (feedback events up to "
            << response.last_event_sequence() << ")\n"
            << "restore: routerd --data_dir " << response.dir() << "\n";
  return 0;
}

int Evaluate(const std::shared_ptr<grpc::Channel>& channel) {
  const std::string path = absl::GetFlag(FLAGS_config);
  if (path.empty()) return Fail("evaluate: --config candidate.textproto is required");
  std::ifstream in(path);
  if (!in) return Fail(absl::StrCat("evaluate: cannot read --config ", path));
  std::stringstream text;
  text << in.rdbuf();
  v1::EvaluateRequest request;
  request.set_router(absl::GetFlag(FLAGS_router));
  if (!google::protobuf::TextFormat::ParseFromString(text.str(), request.mutable_candidate())) {
    return Fail(absl::StrCat("evaluate: ", path, " is not a router.v1.RouterConfig text proto"));
  }
  if (const std::string since = absl::GetFlag(FLAGS_since); !since.empty()) {
    absl::Duration window;
    if (!absl::ParseDuration(since, &window) || window <= absl::ZeroDuration()) {
      return Fail(absl::StrCat("--since: '", since, "' is not a positive duration like 24h"));
    }
    request.set_since_seconds(absl::ToDoubleSeconds(window));
  }
  auto stub = v1::AdminService::NewStub(channel);
  grpc::ClientContext ctx;  // no deadline: progress shows it is alive
  auto reader = stub->Evaluate(&ctx, request);
  v1::EvaluateResponse message;
  v1::EvaluateResult result;
  while (reader->Read(&message)) {
    if (message.has_progress()) {
      std::cerr << absl::StrFormat("\r%d / %d events, %d decisions evaluated",
                                   message.progress().events_scanned(),
                                   message.progress().events_total(),
                                   message.progress().decisions_evaluated());
    } else {
      result = message.result();
    }
  }
  std::cerr << "\n";
  grpc::Status status = reader->Finish();
  if (!status.ok()) return RpcFail(status);
  std::cout << absl::StrFormat(
      "router %s: %d decisions evaluated (log up to event %d, %.1f s)\n"
      "effective sample size %.1f, mean weight %.3f, max weight %.1f, candidate matched the "
      "logged arm %.1f%%, unsupported mass %.2f%%\n",
      result.router(), result.decisions_evaluated(), result.last_event_sequence(),
      result.seconds(), result.effective_sample_size(), result.mean_weight(), result.max_weight(),
      100 * result.match_rate(), 100 * result.unsupported_mass());
  std::cout << absl::StrFormat("%-10s %8s  %-26s %-26s %-26s %-26s\n", "component", "samples",
                               "logged (95% CI)", "IPS", "SNIPS", "doubly robust");
  auto cell = [](const v1::ValueEstimate& e) {
    return absl::StrFormat("%.4g [%.4g, %.4g]", e.value(), e.ci_low(), e.ci_high());
  };
  for (const v1::ComponentEstimates& c : result.components()) {
    std::cout << absl::StrFormat("%-10s %8d  %-26s %-26s %-26s %-26s\n", c.component(),
                                 c.samples(), cell(c.logged()), cell(c.ips()), cell(c.snips()),
                                 cell(c.doubly_robust()));
  }
  for (const std::string& w : result.warnings()) std::cout << "warning: " << w << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "routerctl COMMAND [flags]\n"
      "commands: route, feedback, arms, add-arm, disable-arm, enable-arm, model, backup DIR,\n"
      "import FILE, evaluate --config candidate.textproto [--router R] [--since 24h]\n"
      "example: routerctl route --text \"hello\"");
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  const std::string first = args.size() >= 2 ? args[1] : "";
  // Commands with one argument: backup DIR, import FILE.
  if (first == "backup" || first == "import") {
    if (args.size() != 3) {
      return Fail(first == "backup" ? "usage: routerctl backup DIR (DIR must not exist)"
                                    : "usage: routerctl import FILE [--split NAME]");
    }
    auto channel =
        grpc::CreateChannel(absl::GetFlag(FLAGS_addr), grpc::InsecureChannelCredentials());
    return first == "backup" ? Backup(channel, args[2]) : Import(channel, args[2]);
  }
  if (args.size() != 2) {
    return Fail("expected exactly one command: route, feedback, escalate, arms, add-arm, "
                "disable-arm, enable-arm, model, evaluate, backup DIR, import FILE (see --help)");
  }
  const std::string command = args[1];
  auto channel =
      grpc::CreateChannel(absl::GetFlag(FLAGS_addr), grpc::InsecureChannelCredentials());
  if (command == "route") return Route(channel);
  if (command == "feedback") return Feedback(channel);
  if (command == "escalate") return Escalate(channel);
  if (command == "arms") return Arms(channel);
  if (command == "add-arm") return AddArm(channel);
  if (command == "disable-arm") return SetArmState(channel, true);
  if (command == "enable-arm") return SetArmState(channel, false);
  if (command == "model") return Model(channel);
  if (command == "evaluate") return Evaluate(channel);
  return Fail(absl::StrCat("unknown command '", command, "'"));
}
