#include "tests/testing/test_server.h"

#include "gtest/gtest.h"

namespace router::testing {
namespace {

void SetDeadline(grpc::ClientContext* ctx) {
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
}

}  // namespace

absl::StatusOr<std::unique_ptr<TestServer>> TestServer::StartOrStatus(
    const v1::ServerConfig& config, const std::string& data_dir, bool with_metrics) {
  services::ServerOptions options;
  options.config = config;
  options.data_dir = data_dir;
  return StartOrStatus(options, with_metrics);
}

absl::StatusOr<std::unique_ptr<TestServer>> TestServer::StartOrStatus(
    services::ServerOptions options, bool with_metrics) {
  options.grpc_addr = "127.0.0.1:0";
  // Off unless asked for: stopping civetweb takes ~2 s (its poll quantum), per server.
  options.metrics_addr = with_metrics ? "127.0.0.1:0" : "";
  auto server = services::Server::Start(options);
  if (!server.ok()) return server.status();
  auto t = std::unique_ptr<TestServer>(new TestServer());
  t->server_ = *std::move(server);
  t->channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", t->server_->grpc_port()),
                                    grpc::InsecureChannelCredentials());
  t->router_ = v1::RouterService::NewStub(t->channel_);
  t->feedback_ = v1::FeedbackService::NewStub(t->channel_);
  t->admin_ = v1::AdminService::NewStub(t->channel_);
  return t;
}

std::unique_ptr<TestServer> TestServer::Start(const v1::ServerConfig& config,
                                              const std::string& data_dir, bool with_metrics) {
  auto server = StartOrStatus(config, data_dir, with_metrics);
  if (!server.ok()) {
    ADD_FAILURE() << "server did not start: " << server.status();
    return nullptr;
  }
  return *std::move(server);
}

grpc::Status TestServer::Route(const v1::RouteRequest& request, v1::RouteResponse* response) {
  grpc::ClientContext ctx;
  SetDeadline(&ctx);
  return router_->Route(&ctx, request, response);
}

grpc::Status TestServer::Feedback(const v1::FeedbackRequest& request,
                                  v1::FeedbackResponse* response) {
  grpc::ClientContext ctx;
  SetDeadline(&ctx);
  return feedback_->Feedback(&ctx, request, response);
}

v1::RouterInfo TestServer::Info(const std::string& router) {
  grpc::ClientContext ctx;
  SetDeadline(&ctx);
  v1::ListRoutersResponse response;
  const grpc::Status status = admin_->ListRouters(&ctx, v1::ListRoutersRequest(), &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  for (const v1::RouterInfo& info : response.routers()) {
    if (info.name() == router) return info;
  }
  ADD_FAILURE() << "router " << router << " not listed";
  return {};
}

v1::GetModelResponse TestServer::Model(const std::string& router) {
  grpc::ClientContext ctx;
  SetDeadline(&ctx);
  v1::GetModelRequest request;
  request.set_router(router);
  v1::GetModelResponse response;
  const grpc::Status status = admin_->GetModel(&ctx, request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response;
}

v1::RouterConfig ToyRouter(const std::string& name, int embedding_dim) {
  v1::RouterConfig r;
  r.set_name(name);
  r.mutable_features()->set_dim(32);
  r.mutable_features()->set_embedding_dim(embedding_dim);
  r.mutable_policy()->set_epsilon(0.02);
  for (const char* id : {"a", "b", "c"}) {
    v1::ArmConfig* arm = r.add_arms();
    arm->set_id(id);
    arm->set_input_price_per_mtok(1.0);
    arm->set_output_price_per_mtok(2.0);
  }
  return r;
}

}  // namespace router::testing
