#include "services/feedback_service.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "services/convert.h"
#include "services/item_stream_reactor.h"

namespace router::services {
absl::StatusOr<FeedbackResult> FeedbackService::Apply(const v1::FeedbackRequest& request) {
  FeedbackEvent event = ToFeedbackEvent(request);
  const Signals signals = event.signals;
  absl::StatusOr<FeedbackResult> result = engine_->Feedback(std::move(event));
  if (result.ok()) {
    metrics_->RecordFeedback(signals, *result);
  } else if (IsDecisionExpired(result.status())) {
    metrics_->RecordFeedbackExpired();
  } else {
    metrics_->RecordFeedbackRejected(result.status().code());
  }
  return result;
}

grpc::ServerUnaryReactor* FeedbackService::Feedback(grpc::CallbackServerContext* context,
                                                    const v1::FeedbackRequest* request,
                                                    v1::FeedbackResponse* response) {
  const absl::Time start = absl::Now();
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (auth_ != nullptr) {
    if (absl::Status denied = auth_->Check(*context, Role::kFeedback, "Feedback"); !denied.ok()) {
      metrics_->RecordRpc(Rpc::kFeedback, denied.code(), absl::Now() - start);
      reactor->Finish(ToGrpcStatus(denied));
      return reactor;
    }
  }
  absl::StatusOr<FeedbackResult> result = Apply(*request);
  if (result.ok()) response->set_duplicate(result->duplicate);
  // Acknowledged only once durable: at once (WAL) or after the next group fsync (sync mode),
  // which runs on the store's thread, not this one.
  engine_->WhenDurable([this, reactor, start, status = result.status()](absl::Status durable) {
    const absl::Status final_status = status.ok() ? durable : status;
    metrics_->RecordRpc(Rpc::kFeedback, final_status.code(), absl::Now() - start);
    reactor->Finish(ToGrpcStatus(final_status));
  });
  return reactor;
}

grpc::ServerReadReactor<v1::FeedbackRequest>* FeedbackService::StreamFeedback(
    grpc::CallbackServerContext* context, v1::FeedbackSummary* summary) {
  if (auth_ != nullptr) {
    if (absl::Status denied = auth_->Check(*context, Role::kFeedback, "StreamFeedback");
        !denied.ok()) {
      metrics_->RecordRpc(Rpc::kStreamFeedback, denied.code(), absl::ZeroDuration());
      return new RefusedReadReactor<v1::FeedbackRequest>(ToGrpcStatus(denied));
    }
  }
  return new ItemStreamReactor<v1::FeedbackRequest, v1::FeedbackSummary>(
      engine_, metrics_, Rpc::kStreamFeedback, summary,
      [this](const v1::FeedbackRequest& request, v1::FeedbackSummary* out) {
        absl::StatusOr<FeedbackResult> result = Apply(request);
        if (!result.ok()) return result.status();
        if (result->duplicate) {
          out->set_duplicate(out->duplicate() + 1);
        } else {
          out->set_accepted(out->accepted() + 1);
        }
        return absl::OkStatus();
      });
}

}  // namespace router::services
