#ifndef BANDIT_ROUTER_STORAGE_CHECKPOINT_CODEC_H_
#define BANDIT_ROUTER_STORAGE_CHECKPOINT_CODEC_H_

// Checkpoints of learned state <-> their on-disk records (storage.proto, `state` family).
// Decoding checks the record's shape only; the numbers are checked by the core on import.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/model_state.h"

namespace router::storage {

std::string EncodeRouterCheckpoint(const RouterCheckpoint& c);
absl::StatusOr<RouterCheckpoint> DecodeRouterCheckpoint(absl::string_view bytes);

// The header: markers, decision counter, creation time and the routers written with it.
std::string EncodeCheckpointHeader(const EngineCheckpoint& c);
// Fills everything but `routers`; `names` gets the routers written with it.
absl::StatusOr<EngineCheckpoint> DecodeCheckpointHeader(absl::string_view bytes,
                                                        std::vector<std::string>* names);

}  // namespace router::storage

#endif  // BANDIT_ROUTER_STORAGE_CHECKPOINT_CODEC_H_
