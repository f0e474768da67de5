#include "storage/codec.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "router/v1/storage.pb.h"

namespace router::storage {
namespace {

namespace pb = ::router::v1::storage;

int64_t ToMillis(absl::Time t) { return absl::ToUnixMillis(t); }
absl::Time FromMillis(int64_t ms) { return absl::FromUnixMillis(ms); }

template <typename Proto>
absl::StatusOr<Proto> Parse(absl::string_view bytes, absl::string_view what) {
  Proto proto;
  if (!proto.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::DataLossError(absl::StrCat("stored ", what, " record does not parse"));
  }
  return proto;
}

void ToRecord(const Attempt& a, pb::AttemptRecord* r) {
  r->set_arm(a.arm);
  if (a.verifier_score) r->set_verifier_score(*a.verifier_score);
  if (a.confidence) r->set_confidence(*a.confidence);
  if (a.output_tokens) r->set_output_tokens(*a.output_tokens);
  if (a.latency_ms) r->set_latency_ms(*a.latency_ms);
  if (a.cost_usd) r->set_cost_usd(*a.cost_usd);
  r->set_next_arm(a.next_arm);
  r->set_propensity(a.propensity);
  r->set_forced(a.forced);
  r->set_explored(a.explored);
  r->mutable_context()->Assign(a.context.begin(), a.context.end());
}

Attempt FromRecord(const pb::AttemptRecord& r) {
  Attempt a;
  a.arm = r.arm();
  if (r.has_verifier_score()) a.verifier_score = r.verifier_score();
  if (r.has_confidence()) a.confidence = r.confidence();
  if (r.has_output_tokens()) a.output_tokens = r.output_tokens();
  if (r.has_latency_ms()) a.latency_ms = r.latency_ms();
  if (r.has_cost_usd()) a.cost_usd = r.cost_usd();
  a.next_arm = r.next_arm();
  a.propensity = r.propensity();
  a.forced = r.forced();
  a.explored = r.explored();
  a.context.assign(r.context().begin(), r.context().end());
  return a;
}

}  // namespace

std::string EncodeDecision(const Decision& d) {
  pb::DecisionRecord r;
  r.set_decision_id(d.decision_id);
  r.set_router(d.router);
  r.set_arm(d.arm);
  r.set_propensity(d.propensity);
  r.mutable_features()->Assign(d.features.begin(), d.features.end());
  r.set_timestamp_ms(ToMillis(d.timestamp));
  r.set_request_id(d.request_id);
  r.set_predicted_quality(d.predicted_quality);
  r.set_predicted_cost_usd(d.predicted_cost_usd);
  r.set_explored(d.explored);
  r.set_imported(d.imported);
  r.set_sequence(d.sequence);
  r.set_feedback_events(d.feedback_events);
  r.set_quality_signals(d.quality_signals);
  for (const Attempt& a : d.attempts) ToRecord(a, r.add_attempts());
  return r.SerializeAsString();
}

absl::StatusOr<Decision> DecodeDecision(absl::string_view bytes) {
  auto r = Parse<pb::DecisionRecord>(bytes, "decision");
  if (!r.ok()) return r.status();
  Decision d;
  d.decision_id = r->decision_id();
  d.router = r->router();
  d.arm = r->arm();
  d.propensity = r->propensity();
  d.features.assign(r->features().begin(), r->features().end());
  d.timestamp = FromMillis(r->timestamp_ms());
  d.request_id = r->request_id();
  d.predicted_quality = r->predicted_quality();
  d.predicted_cost_usd = r->predicted_cost_usd();
  d.explored = r->explored();
  d.imported = r->imported();
  d.sequence = r->sequence();
  d.feedback_events = r->feedback_events();
  d.quality_signals = r->quality_signals();
  for (const pb::AttemptRecord& a : r->attempts()) d.attempts.push_back(FromRecord(a));
  return d;
}

std::string EncodeFeedback(const FeedbackEvent& e) {
  pb::FeedbackRecord r;
  r.set_sequence(e.sequence);
  r.set_decision_id(e.decision_id);
  r.set_feedback_id(e.feedback_id);
  r.set_source(e.source);
  r.set_received_ms(ToMillis(e.received));
  pb::SignalsRecord* s = r.mutable_signals();
  const Signals& in = e.signals;
  s->set_thumbs(static_cast<int>(in.thumbs));
  if (in.judge_score) s->set_judge_score(*in.judge_score);
  if (in.latency_ms) s->set_latency_ms(*in.latency_ms);
  if (in.energy_j) s->set_energy_j(*in.energy_j);
  if (in.cost_usd) s->set_cost_usd(*in.cost_usd);
  if (in.input_tokens) s->set_input_tokens(*in.input_tokens);
  if (in.output_tokens) s->set_output_tokens(*in.output_tokens);
  for (const auto& [arm, quality] : in.arm_qualities) (*s->mutable_arm_qualities())[arm] = quality;
  r.set_first_for_decision(e.first_for_decision);
  r.set_propensity(e.propensity);
  r.set_imported(e.imported);
  r.set_router(e.router);
  r.set_arm(e.arm);
  r.mutable_features()->Assign(e.features.begin(), e.features.end());
  if (e.attempt) ToRecord(*e.attempt, r.mutable_attempt());
  for (const Attempt& a : e.attempts) ToRecord(a, r.add_attempts());
  return r.SerializeAsString();
}

absl::StatusOr<FeedbackEvent> DecodeFeedback(absl::string_view bytes) {
  auto r = Parse<pb::FeedbackRecord>(bytes, "feedback");
  if (!r.ok()) return r.status();
  FeedbackEvent e;
  e.sequence = r->sequence();
  e.decision_id = r->decision_id();
  e.feedback_id = r->feedback_id();
  e.source = r->source();
  e.received = FromMillis(r->received_ms());
  const pb::SignalsRecord& s = r->signals();
  Signals& out = e.signals;
  if (s.thumbs() < 0 || s.thumbs() > 2) {
    return absl::DataLossError(absl::StrCat("stored feedback has invalid thumbs ", s.thumbs()));
  }
  out.thumbs = static_cast<ThumbsSignal>(s.thumbs());
  if (s.has_judge_score()) out.judge_score = s.judge_score();
  if (s.has_latency_ms()) out.latency_ms = s.latency_ms();
  if (s.has_energy_j()) out.energy_j = s.energy_j();
  if (s.has_cost_usd()) out.cost_usd = s.cost_usd();
  if (s.has_input_tokens()) out.input_tokens = s.input_tokens();
  if (s.has_output_tokens()) out.output_tokens = s.output_tokens();
  // Protobuf map order is unspecified; core wants them sorted by arm.
  out.arm_qualities.assign(s.arm_qualities().begin(), s.arm_qualities().end());
  std::sort(out.arm_qualities.begin(), out.arm_qualities.end());
  e.first_for_decision = r->first_for_decision();
  e.propensity = r->propensity();
  e.imported = r->imported();
  e.router = r->router();
  e.arm = r->arm();
  e.features.assign(r->features().begin(), r->features().end());
  if (r->has_attempt()) e.attempt = FromRecord(r->attempt());
  for (const pb::AttemptRecord& a : r->attempts()) e.attempts.push_back(FromRecord(a));
  return e;
}

std::string EncodeArmChange(const ArmChange& c, uint64_t sequence) {
  pb::ArmChangeRecord r;
  r.set_router(c.router);
  r.set_arm(c.arm);
  r.set_kind(c.kind == ArmChange::Kind::kAdd ? pb::ArmChangeRecord::ADD
                                              : pb::ArmChangeRecord::SET_DISABLED);
  r.set_input_price_per_mtok(c.input_price_per_mtok);
  r.set_output_price_per_mtok(c.output_price_per_mtok);
  if (c.quality_prior) r.set_quality_prior(*c.quality_prior);
  r.set_disabled(c.disabled);
  r.set_sequence(sequence);
  return r.SerializeAsString();
}

absl::StatusOr<ArmChange> DecodeArmChange(absl::string_view bytes) {
  auto r = Parse<pb::ArmChangeRecord>(bytes, "arm change");
  if (!r.ok()) return r.status();
  ArmChange c;
  c.router = r->router();
  c.arm = r->arm();
  c.kind = r->kind() == pb::ArmChangeRecord::ADD ? ArmChange::Kind::kAdd
                                                 : ArmChange::Kind::kSetDisabled;
  c.input_price_per_mtok = r->input_price_per_mtok();
  c.output_price_per_mtok = r->output_price_per_mtok();
  if (r->has_quality_prior()) c.quality_prior = r->quality_prior();
  c.disabled = r->disabled();
  return c;
}

std::string EncodeLayout(const RouterLayout& l) {
  pb::RouterLayoutRecord r;
  r.set_router(l.router);
  r.set_feature_dim(l.feature_dim);
  r.set_embedding_dim(l.embedding_dim);
  r.set_embedding_proj_dim(l.embedding_proj_dim);
  r.set_seed(l.seed);
  r.set_text_features(l.text_features);
  return r.SerializeAsString();
}

absl::StatusOr<RouterLayout> DecodeLayout(absl::string_view bytes) {
  auto r = Parse<pb::RouterLayoutRecord>(bytes, "router layout");
  if (!r.ok()) return r.status();
  return RouterLayout{r->router(), static_cast<int>(r->feature_dim()),
                      static_cast<int>(r->embedding_dim()),
                      static_cast<int>(r->embedding_proj_dim()), r->seed(),
                      static_cast<int>(r->text_features())};
}

std::string EncodeDecisionLog(const Decision& d) {
  pb::DecisionLogRecord r;
  r.set_decision_id(d.decision_id);
  r.set_router(d.router);
  r.set_arm(d.arm);
  r.set_timestamp_ms(ToMillis(d.timestamp));
  r.set_imported(d.imported);
  return r.SerializeAsString();
}

absl::StatusOr<Decision> DecodeDecisionLog(absl::string_view key, absl::string_view bytes) {
  auto r = Parse<pb::DecisionLogRecord>(bytes, "decision log");
  if (!r.ok()) return r.status();
  Decision d;
  d.decision_id = r->decision_id();
  d.router = r->router();
  d.arm = r->arm();
  d.timestamp = FromMillis(r->timestamp_ms());
  d.imported = r->imported();
  d.sequence = DecodeSequence(key);
  return d;
}

std::string EncodeSequence(uint64_t seq) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(seq & 0xff);
    seq >>= 8;
  }
  return out;
}

uint64_t DecodeSequence(absl::string_view key) {
  uint64_t seq = 0;
  for (size_t i = 0; i < 8 && i < key.size(); ++i) {
    seq = (seq << 8) | static_cast<unsigned char>(key[i]);
  }
  return seq;
}

}  // namespace router::storage
