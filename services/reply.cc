#include "services/reply.h"

#include "absl/time/clock.h"
#include "services/convert.h"

namespace router::services {

grpc::ServerUnaryReactor* FinishUnary(grpc::CallbackServerContext* context, Engine* engine,
                                      Metrics* metrics, Rpc rpc, absl::Time start,
                                      const absl::Status& status, Reply reply) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto finish = [metrics, reactor, rpc, start](const absl::Status& final_status) {
    metrics->RecordRpc(rpc, final_status.code(), absl::Now() - start);
    reactor->Finish(ToGrpcStatus(final_status));
  };
  if (status.ok() && reply == Reply::kWhenDurable) {
    engine->WhenDurable(std::move(finish));
  } else {
    finish(status);
  }
  return reactor;
}

}  // namespace router::services
