#ifndef BANDIT_ROUTER_SERVICES_ITEM_STREAM_REACTOR_H_
#define BANDIT_ROUTER_SERVICES_ITEM_STREAM_REACTOR_H_

#include <functional>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/engine.h"
#include "grpcpp/support/server_callback.h"
#include "services/convert.h"
#include "services/metrics.h"

namespace router::services {

// A client-streaming call whose items are applied one by one (StreamFeedback, ImportOutcomes):
// a bad item is counted as rejected with its reason and the stream goes on; the summary is sent
// once everything applied is durable (in sync mode, fsync'd). `Summary` has the `rejected` and
// `errors` fields both summaries share. Deletes itself when the call is done.
template <typename Request, typename Summary>
class ItemStreamReactor final : public grpc::ServerReadReactor<Request> {
 public:
  // Applies one item and counts what it did in the summary; a non-OK status rejects the item.
  using ApplyFn = std::function<absl::Status(const Request&, Summary*)>;

  ItemStreamReactor(Engine* engine, Metrics* metrics, Rpc rpc, Summary* summary, ApplyFn apply)
      : engine_(engine),
        metrics_(metrics),
        rpc_(rpc),
        summary_(summary),
        apply_(std::move(apply)),
        start_(absl::Now()) {
    this->StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // client finished writing (or the call broke)
      engine_->WhenDurable([this](absl::Status durable) {
        metrics_->RecordRpc(rpc_, durable.code(), absl::Now() - start_);
        this->Finish(ToGrpcStatus(durable));
      });
      return;
    }
    const absl::Status status = apply_(request_, summary_);
    if (!status.ok()) {
      summary_->set_rejected(summary_->rejected() + 1);
      // Enough reasons to debug a pipeline without letting a bad stream grow the summary.
      if (summary_->errors_size() < kMaxReportedErrors) {
        summary_->add_errors(absl::StrCat(index_, ": ", status.message()));
      }
    }
    ++index_;
    this->StartRead(&request_);
  }

  void OnDone() override { delete this; }

 private:
  static constexpr int kMaxReportedErrors = 10;

  Engine* const engine_;
  Metrics* const metrics_;
  const Rpc rpc_;
  Summary* const summary_;
  const ApplyFn apply_;
  const absl::Time start_;
  Request request_;
  uint64_t index_ = 0;
};

}  // namespace router::services

#endif  // BANDIT_ROUTER_SERVICES_ITEM_STREAM_REACTOR_H_
