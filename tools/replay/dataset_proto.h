#ifndef BANDIT_ROUTER_TOOLS_REPLAY_DATASET_PROTO_H_
#define BANDIT_ROUTER_TOOLS_REPLAY_DATASET_PROTO_H_

// Dataset records -> router.v1 API messages.

#include <string>

#include "router/v1/router.pb.h"
#include "tools/replay/dataset.h"

namespace router::replay {

// Copies the optional measurements of an outcome (tokens, latency, energy) into a message with
// the same setters (v1::FeedbackRequest, v1::ArmOutcome).
template <typename Message>
void SetMeasurements(const Outcome& o, Message* m) {
  if (o.input_tokens) m->set_input_tokens(*o.input_tokens);
  if (o.output_tokens) m->set_output_tokens(*o.output_tokens);
  if (o.latency_ms) m->set_latency_ms(*o.latency_ms);
  if (o.energy_j) m->set_energy_j(*o.energy_j);
}

// One query with every arm's outcome, for AdminService.ImportOutcomes.
v1::ImportOutcomesRequest ToImportRequest(const Dataset& data, const Query& query,
                                          const std::string& router);

}  // namespace router::replay

#endif  // BANDIT_ROUTER_TOOLS_REPLAY_DATASET_PROTO_H_
