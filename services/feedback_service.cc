#include "services/feedback_service.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "services/convert.h"

namespace router::services {
namespace {

// Enough reasons to debug a pipeline without letting a bad stream grow the summary unbounded.
constexpr int kMaxReportedErrors = 10;

class StreamReactor final : public grpc::ServerReadReactor<v1::FeedbackRequest> {
 public:
  StreamReactor(FeedbackService* service, Metrics* metrics, v1::FeedbackSummary* summary)
      : service_(service), metrics_(metrics), summary_(summary), start_(absl::Now()) {
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // client finished writing (or the call broke)
      // The summary acknowledges the accepted events: in sync mode, only once they are fsync'd.
      service_->engine()->WhenDurable([this](absl::Status durable) {
        metrics_->RecordRpc(Rpc::kStreamFeedback, durable.code(), absl::Now() - start_);
        Finish(ToGrpcStatus(durable));
      });
      return;
    }
    absl::StatusOr<FeedbackResult> result = service_->Apply(request_);
    if (!result.ok()) {
      summary_->set_rejected(summary_->rejected() + 1);
      if (summary_->errors_size() < kMaxReportedErrors) {
        summary_->add_errors(absl::StrCat(index_, ": ", result.status().message()));
      }
    } else if (result->duplicate) {
      summary_->set_duplicate(summary_->duplicate() + 1);
    } else {
      summary_->set_accepted(summary_->accepted() + 1);
    }
    ++index_;
    StartRead(&request_);
  }

  void OnDone() override { delete this; }

 private:
  FeedbackService* const service_;
  Metrics* const metrics_;
  v1::FeedbackSummary* const summary_;
  const absl::Time start_;
  v1::FeedbackRequest request_;
  uint64_t index_ = 0;
};

}  // namespace

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
  return new StreamReactor(this, metrics_, summary);
}

}  // namespace router::services
