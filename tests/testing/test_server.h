#ifndef BANDIT_ROUTER_TESTS_TESTING_TEST_SERVER_H_
#define BANDIT_ROUTER_TESTS_TESTING_TEST_SERVER_H_

#include <memory>
#include <string>

#include "grpcpp/grpcpp.h"
#include "router/v1/router.grpc.pb.h"
#include "services/server.h"

namespace router::testing {

// A real routerd (services::Server) on free loopback ports, with one client channel and stubs.
class TestServer {
 public:
  // Aborts the test (ADD_FAILURE + null) if the server does not start; see StartOrStatus.
  // with_metrics: also serve /metrics on a free port (metrics_port()).
  static std::unique_ptr<TestServer> Start(const v1::ServerConfig& config,
                                           const std::string& data_dir,
                                           bool with_metrics = false);
  static absl::StatusOr<std::unique_ptr<TestServer>> StartOrStatus(
      const v1::ServerConfig& config, const std::string& data_dir, bool with_metrics = false);
  // With every option given (clock, sync, rebuild_state...); addresses as above.
  static absl::StatusOr<std::unique_ptr<TestServer>> StartOrStatus(
      services::ServerOptions options, bool with_metrics = false);

  v1::RouterService::Stub& router() { return *router_; }
  v1::FeedbackService::Stub& feedback() { return *feedback_; }
  v1::AdminService::Stub& admin() { return *admin_; }
  int metrics_port() const { return server_->metrics_port(); }
  services::Server& server() { return *server_; }

  // Convenience wrappers with a deadline.
  grpc::Status Route(const v1::RouteRequest& request, v1::RouteResponse* response);
  grpc::Status Feedback(const v1::FeedbackRequest& request, v1::FeedbackResponse* response);
  v1::RouterInfo Info(const std::string& router);
  v1::GetModelResponse Model(const std::string& router);

 private:
  std::unique_ptr<services::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::RouterService::Stub> router_;
  std::unique_ptr<v1::FeedbackService::Stub> feedback_;
  std::unique_ptr<v1::AdminService::Stub> admin_;
};

// A router config with three text-only arms "a", "b", "c" (equal priors), ε = 0.02, d = 32,
// plus an embedding dimension when embedding_dim > 0.
v1::RouterConfig ToyRouter(const std::string& name, int embedding_dim = 0);

}  // namespace router::testing

#endif  // BANDIT_ROUTER_TESTS_TESTING_TEST_SERVER_H_
