#ifndef BANDIT_ROUTER_SERVICES_REPLY_H_
#define BANDIT_ROUTER_SERVICES_REPLY_H_

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "core/engine.h"
#include "grpcpp/support/server_callback.h"
#include "services/metrics.h"

namespace router::services {

// Whether an OK reply waits for the call's writes to be durable.
enum class Reply { kAtOnce, kWhenDurable };

// The one ending of every unary handler: records the RPC's code and latency, then finishes
// `context`'s default reactor with `status`. With Reply::kWhenDurable an OK reply goes out once
// every write made before this call is durable (Engine::WhenDurable: at once with the WAL, after
// the next group fsync under --sync), and the fsync's error replaces OK; an error goes out at
// once, since a refused call wrote nothing worth waiting for. Never blocks.
grpc::ServerUnaryReactor* FinishUnary(grpc::CallbackServerContext* context, Engine* engine,
                                      Metrics* metrics, Rpc rpc, absl::Time start,
                                      const absl::Status& status, Reply reply = Reply::kAtOnce);

}  // namespace router::services

#endif  // BANDIT_ROUTER_SERVICES_REPLY_H_
