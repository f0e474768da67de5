// router-echo: a bare gRPC server built from the same proto as routerd, answering
// RouterService.Route with one fixed response of the size routerd sends for the default router
// (3 arms). It does no work per call beyond gRPC's own, so routerd's throughput divided by
// this server's, under the same client and concurrency, is the share of the transport's speed
// that routerd keeps (bench/compare_echo.sh, docs/benchmarks.md).
//
//   router-echo --grpc_addr 127.0.0.1:0      prints "router-echo: serving gRPC on 127.0.0.1:PORT"

#include <csignal>
#include <iostream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_format.h"
#include "grpcpp/grpcpp.h"
#include "router/v1/router.grpc.pb.h"

ABSL_FLAG(std::string, grpc_addr, "127.0.0.1:0", "gRPC listen address (port 0: any free port)");
ABSL_FLAG(int, response_bytes, 245,
          "serialized size of the fixed RouteResponse (routerd's default router sends about 245)");

namespace {

namespace v1 = ::router::v1;

// A response shaped like routerd's for the default router: a decision id, the arm, a propensity,
// a ranking of three arms and the policy info; the policy version is padded to the requested size.
v1::RouteResponse FixedResponse(int response_bytes) {
  v1::RouteResponse r;
  r.set_decision_id("default-0123456789abcdef-0000000000000001");
  r.set_arm("small");
  r.set_propensity(0.9866666666666667);
  for (const char* arm : {"small", "medium", "large"}) {
    v1::ArmScore* s = r.add_ranking();
    s->set_arm(arm);
    s->set_predicted_quality(0.61234567);
    s->set_predicted_cost_usd(0.00012345);
    s->set_exploration_bonus(0.0321);
    s->set_score(0.5912345);
    s->set_within_budget(true);
    s->set_posterior_sd(0.107);
  }
  r.mutable_policy()->set_kind("linucb");
  std::string version = "echo";
  r.mutable_policy()->set_version(version);
  while (static_cast<int>(r.ByteSizeLong()) < response_bytes) {
    version.push_back('.');
    r.mutable_policy()->set_version(version);
  }
  return r;
}

class EchoRouteService final : public v1::RouterService::CallbackService {
 public:
  explicit EchoRouteService(v1::RouteResponse response) : response_(std::move(response)) {}

  grpc::ServerUnaryReactor* Route(grpc::CallbackServerContext* context,
                                  const v1::RouteRequest* /*request*/,
                                  v1::RouteResponse* response) override {
    *response = response_;
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

 private:
  const v1::RouteResponse response_;
};

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "bare gRPC RouterService.Route server with a fixed response, the baseline of "
      "bench/compare_echo.sh. Example: router-echo --grpc_addr 127.0.0.1:0");
  absl::ParseCommandLine(argc, argv);

  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  const v1::RouteResponse response = FixedResponse(absl::GetFlag(FLAGS_response_bytes));
  EchoRouteService service(response);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(absl::GetFlag(FLAGS_grpc_addr), grpc::InsecureServerCredentials(),
                           &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::cerr << "router-echo: cannot listen on " << absl::GetFlag(FLAGS_grpc_addr) << std::endl;
    return 1;
  }
  std::cout << absl::StrFormat("router-echo: serving gRPC on 127.0.0.1:%d (response %d bytes)",
                               port, response.ByteSizeLong())
            << std::endl;

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  server->Shutdown();
  return 0;
}
