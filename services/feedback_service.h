#ifndef BANDIT_ROUTER_SERVICES_FEEDBACK_SERVICE_H_
#define BANDIT_ROUTER_SERVICES_FEEDBACK_SERVICE_H_

#include "core/engine.h"
#include "services/auth.h"
#include "router/v1/router.grpc.pb.h"
#include "services/metrics.h"

namespace router::services {

// router.v1.FeedbackService. A duplicate feedback_id is OK with duplicate=true (idempotent);
// in a stream, a bad item is counted as rejected and the stream goes on.
class FeedbackService final : public v1::FeedbackService::CallbackService {
 public:
  // `auth` (must outlive the service; null: no access control) checks the 'feedback' role.
  FeedbackService(Engine* engine, Metrics* metrics, const Authorizer* auth = nullptr)
      : engine_(engine), metrics_(metrics), auth_(auth) {}

  grpc::ServerUnaryReactor* Feedback(grpc::CallbackServerContext* context,
                                     const v1::FeedbackRequest* request,
                                     v1::FeedbackResponse* response) override;
  grpc::ServerReadReactor<v1::FeedbackRequest>* StreamFeedback(
      grpc::CallbackServerContext* context, v1::FeedbackSummary* summary) override;

  // Applies one request and records its outcome; shared by the unary and the streaming call.
  absl::StatusOr<FeedbackResult> Apply(const v1::FeedbackRequest& request);

 private:
  Engine* const engine_;
  Metrics* const metrics_;
  const Authorizer* const auth_;
};

}  // namespace router::services

#endif  // BANDIT_ROUTER_SERVICES_FEEDBACK_SERVICE_H_
