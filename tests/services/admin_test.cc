// Runtime arm changes through AdminService.

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_server.h"

namespace router {
namespace {

using testing::TempDir;
using testing::TestServer;

class AdminTest : public ::testing::Test {
 protected:
  void SetUp() override {
    v1::ServerConfig config;
    *config.add_routers() = testing::ToyRouter("toy");
    server_ = TestServer::Start(config, dir_.path());
    ASSERT_NE(server_, nullptr);
  }

  grpc::Status SetDisabled(const std::string& arm, bool disabled) {
    grpc::ClientContext ctx;
    v1::SetArmStateRequest request;
    request.set_router("toy");
    request.set_arm(arm);
    request.set_disabled(disabled);
    v1::SetArmStateResponse response;
    return server_->admin().SetArmState(&ctx, request, &response);
  }

  std::string RouteArm(int i, const std::string& only = "") {
    v1::RouteRequest request;
    request.set_router("toy");
    request.set_text(absl::StrCat("query ", i));
    if (!only.empty()) request.add_allowed_arms(only);
    v1::RouteResponse response;
    const grpc::Status status = server_->Route(request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.arm();
  }

  TempDir dir_;
  std::unique_ptr<TestServer> server_;
};

TEST_F(AdminTest, AddedArmIsRoutableWithItsPrior) {
  grpc::ClientContext ctx;
  v1::AddArmRequest request;
  request.set_router("toy");
  request.set_arm("d");
  request.set_input_price_per_mtok(0.5);
  request.set_output_price_per_mtok(1.5);
  request.set_quality_prior(0.95);
  v1::AddArmResponse response;
  ASSERT_TRUE(server_->admin().AddArm(&ctx, request, &response).ok());
  EXPECT_EQ(response.arm().id(), "d");
  EXPECT_DOUBLE_EQ(response.arm().prior_quality(), 0.95);
  EXPECT_EQ(RouteArm(0, "d"), "d");
  EXPECT_EQ(server_->Info("toy").arms_size(), 4);

  grpc::ClientContext again;
  const grpc::Status dup = server_->admin().AddArm(&again, request, &response);
  EXPECT_EQ(dup.error_code(), grpc::StatusCode::ALREADY_EXISTS);

  grpc::ClientContext bad_ctx;
  request.set_arm("e");
  request.set_quality_prior(2);
  const grpc::Status bad = server_->admin().AddArm(&bad_ctx, request, &response);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(bad.error_message().find("quality_prior"), std::string::npos);
}

TEST_F(AdminTest, DisabledArmIsNeverChosenAndComesBack) {
  ASSERT_TRUE(SetDisabled("a", true).ok());
  ASSERT_TRUE(SetDisabled("b", true).ok());
  for (int i = 0; i < 60; ++i) EXPECT_EQ(RouteArm(i), "c");

  // Asking only for a disabled arm is a precondition failure, not a silent substitute.
  v1::RouteRequest request;
  request.set_router("toy");
  request.set_text("x");
  request.add_allowed_arms("a");
  v1::RouteResponse response;
  EXPECT_EQ(server_->Route(request, &response).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);

  ASSERT_TRUE(SetDisabled("a", false).ok());
  EXPECT_EQ(RouteArm(0, "a"), "a");
  EXPECT_EQ(SetDisabled("zzz", true).error_code(), grpc::StatusCode::NOT_FOUND);
}

}  // namespace
}  // namespace router
