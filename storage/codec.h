#ifndef BANDIT_ROUTER_STORAGE_CODEC_H_
#define BANDIT_ROUTER_STORAGE_CODEC_H_

// Core records <-> their on-disk protobuf encoding (proto/router/v1/storage.proto).

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/records.h"

namespace router::storage {

std::string EncodeDecision(const Decision& d);
absl::StatusOr<Decision> DecodeDecision(absl::string_view bytes);

std::string EncodeFeedback(const FeedbackEvent& e);
absl::StatusOr<FeedbackEvent> DecodeFeedback(absl::string_view bytes);

std::string EncodeArmChange(const ArmChange& c, uint64_t sequence);
absl::StatusOr<ArmChange> DecodeArmChange(absl::string_view bytes);

// The decision log entry (decision_log family); decoding sets id, router, arm, timestamp and
// the sequence from the key.
std::string EncodeDecisionLog(const Decision& d);
absl::StatusOr<Decision> DecodeDecisionLog(absl::string_view key, absl::string_view bytes);

std::string EncodeLayout(const RouterLayout& l);
absl::StatusOr<RouterLayout> DecodeLayout(absl::string_view bytes);

// Big-endian so that RocksDB's bytewise order is numeric order.
std::string EncodeSequence(uint64_t seq);
uint64_t DecodeSequence(absl::string_view key);

}  // namespace router::storage

#endif  // BANDIT_ROUTER_STORAGE_CODEC_H_
