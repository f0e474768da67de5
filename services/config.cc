#include "services/config.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/router.h"
#include "core/status_macros.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"

namespace router::services {
namespace {

constexpr int kMaxFeatureDim = 4096;
constexpr int kMaxEmbeddingDim = 65536;

class ErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, int column, const std::string& message) override {
    if (first_.empty()) first_ = absl::StrFormat("line %d, column %d: %s", line + 1, column + 1, message);
  }
  const std::string& first() const { return first_; }

 private:
  std::string first_;
};

absl::Status FieldError(const std::string& field, const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", what));
}

// The ranges a configured number may have to lie in.
enum class Range {
  kNonNegative,  // finite, >= 0
  kPositive,     // finite, > 0
  kUnit,         // [0, 1]
  kUnitOpenTop,  // [0, 1)
  kUnitOpenBottom,  // (0, 1]
  kNonPositive,  // finite, <= 0
};

// The one range check: InvalidArgument naming the field, the range and the value.
absl::Status CheckRange(const std::string& field, double value, Range range) {
  const char* expected = "";
  bool ok = false;
  switch (range) {
    case Range::kNonNegative:
      ok = std::isfinite(value) && value >= 0;
      expected = "a finite number >= 0";
      break;
    case Range::kPositive:
      ok = std::isfinite(value) && value > 0;
      expected = "a finite number > 0";
      break;
    case Range::kUnit:
      ok = value >= 0 && value <= 1;
      expected = "in [0, 1]";
      break;
    case Range::kUnitOpenTop:
      ok = value >= 0 && value < 1;
      expected = "in [0, 1)";
      break;
    case Range::kUnitOpenBottom:
      ok = value > 0 && value <= 1;
      expected = "in (0, 1]";
      break;
    case Range::kNonPositive:
      ok = std::isfinite(value) && value <= 0;
      expected = "a finite number <= 0";
      break;
  }
  if (ok) return absl::OkStatus();
  return FieldError(field, absl::StrFormat("must be %s, got %g", expected, value));
}

// Reads an optional field: when set, range-checks it into *out; when unset, *out keeps the
// spec struct's own default (the one place defaults are written, core/specs.h).
absl::Status ReadOptional(bool has, double value, Range range, const std::string& field,
                          double* out) {
  if (!has) return absl::OkStatus();
  RETURN_IF_ERROR(CheckRange(field, value, range));
  *out = value;
  return absl::OkStatus();
}

// READ_OPTIONAL(pc, alpha, Range::kNonNegative, at + ".policy", &spec.alpha): Envoy's
// PROTOBUF_GET_WRAPPED_OR_DEFAULT, with the range check.
#define READ_OPTIONAL(message, field, range, at, out)                                        \
  RETURN_IF_ERROR(ReadOptional((message).has_##field(), (message).field(), range,          \
                               absl::StrCat(at, "." #field), out))

absl::StatusOr<FeatureSpec> ToFeatureSpec(const v1::FeatureConfig& fc, const std::string& at) {
  FeatureSpec spec;
  if (fc.dim() != 0) spec.dim = static_cast<int>(std::min<uint32_t>(fc.dim(), kMaxFeatureDim + 1));
  if (spec.dim < 2 || spec.dim > kMaxFeatureDim) {
    return FieldError(at + ".dim",
                      absl::StrFormat("must be in [2, %d], got %d", kMaxFeatureDim, fc.dim()));
  }
  if (fc.embedding_dim() > static_cast<uint32_t>(kMaxEmbeddingDim)) {
    return FieldError(at + ".embedding_dim", absl::StrFormat("must be at most %d, got %d",
                                                             kMaxEmbeddingDim, fc.embedding_dim()));
  }
  spec.embedding_dim = static_cast<int>(fc.embedding_dim());
  if (fc.embedding_proj_dim() > 0 && fc.embedding_dim() == 0) {
    return FieldError(at + ".embedding_proj_dim",
                      "is set but embedding_dim is 0 (the router takes no embeddings)");
  }
  // Unset: half of what the bias leaves, when there is an embedding to project.
  if (fc.embedding_proj_dim() > 0) {
    spec.embedding_proj_dim =
        static_cast<int>(std::min<uint32_t>(fc.embedding_proj_dim(), kMaxFeatureDim));
  } else if (fc.embedding_dim() > 0) {
    spec.embedding_proj_dim = (spec.dim - 1) / 2;
  }
  if (spec.embedding_proj_dim > spec.dim - 1) {
    return FieldError(at + ".embedding_proj_dim",
                      absl::StrFormat("must be at most dim - 1 = %d, got %d", spec.dim - 1,
                                      fc.embedding_proj_dim()));
  }
  spec.seed = fc.seed();
  switch (fc.text_features()) {
    case v1::FeatureConfig::RICH: spec.text_features = FeatureSpec::TextFeatures::kRich; break;
    case v1::FeatureConfig::STRUCTURED:
      spec.text_features = FeatureSpec::TextFeatures::kStructured;
      break;
    default: break;  // BASIC: the spec's default
  }
  return spec;
}

absl::StatusOr<PolicyKind> ToPolicyKind(v1::PolicyConfig::Kind kind, const std::string& at) {
  switch (kind) {
    case v1::PolicyConfig::LINUCB: return PolicyKind::kLinUcb;
    case v1::PolicyConfig::THOMPSON: return PolicyKind::kThompson;
    case v1::PolicyConfig::EPSILON_GREEDY: return PolicyKind::kEpsilonGreedy;
    case v1::PolicyConfig::UNIFORM: return PolicyKind::kUniform;
    default:
      return FieldError(at + ".kind", absl::StrFormat("unknown policy kind %d; expected LINUCB, "
                                                      "THOMPSON, EPSILON_GREEDY or UNIFORM",
                                                      static_cast<int>(kind)));
  }
}

absl::StatusOr<PolicySpec> ToPolicySpec(const v1::PolicyConfig& pc, const std::string& at) {
  PolicySpec spec;
  ASSIGN_OR_RETURN(spec.kind, ToPolicyKind(pc.kind(), at));
  READ_OPTIONAL(pc, alpha, Range::kNonNegative, at, &spec.alpha);
  READ_OPTIONAL(pc, lambda, Range::kPositive, at, &spec.lambda);
  READ_OPTIONAL(pc, epsilon, Range::kUnitOpenTop, at, &spec.epsilon);
  READ_OPTIONAL(pc, gamma, Range::kUnitOpenBottom, at, &spec.gamma);
  if (pc.has_min_tries()) spec.min_tries = pc.min_tries();
  if (pc.has_seed()) spec.seed = pc.seed();
  if (pc.has_shared_prior()) spec.shared_prior = pc.shared_prior();
  return spec;
}

// The quality source weights live in PolicyConfig (how the policy learns).
absl::StatusOr<QualitySourceWeights> ToQualitySourceWeights(const v1::PolicyConfig& pc,
                                                            const std::string& at) {
  QualitySourceWeights spec;
  READ_OPTIONAL(pc, thumbs_weight, Range::kNonNegative, at, &spec.thumbs);
  READ_OPTIONAL(pc, judge_weight, Range::kNonNegative, at, &spec.judge);
  return spec;
}

absl::StatusOr<SpendSpec> ToSpendSpec(const v1::BudgetConfig& bc, const std::string& at) {
  SpendSpec spec;
  READ_OPTIONAL(bc, target_cost_per_request_usd, Range::kNonNegative, at,
                &spec.target_cost_per_request_usd);
  READ_OPTIONAL(bc, spend_learning_rate, Range::kPositive, at, &spec.learning_rate);
  READ_OPTIONAL(bc, min_multiplier, Range::kNonPositive, at, &spec.min_multiplier);
  return spec;
}

absl::StatusOr<ObjectiveWeights> ToObjectiveWeights(const v1::ObjectiveWeights& wc,
                                                    const std::string& at) {
  ObjectiveWeights spec;
  READ_OPTIONAL(wc, quality, Range::kNonNegative, at, &spec.quality);
  READ_OPTIONAL(wc, cost, Range::kNonNegative, at, &spec.cost);
  READ_OPTIONAL(wc, latency, Range::kNonNegative, at, &spec.latency);
  READ_OPTIONAL(wc, energy, Range::kNonNegative, at, &spec.energy);
  return spec;
}

// Unset cost scale: the highest prior cost per request among the arms, so that a cost weight of
// 1 prices the dearest arm like one quality point (the spec's own default when all are free).
absl::StatusOr<ObjectiveScales> ToObjectiveScales(const v1::ObjectiveWeights& wc,
                                                  const RouterSpec& router,
                                                  const std::string& at) {
  ObjectiveScales spec;
  double max_prior_cost = 0;
  for (const ArmSpec& arm : router.arms) {
    max_prior_cost = std::max(
        max_prior_cost, PriorCostUsd(arm, router.typical_input_tokens, router.typical_output_tokens));
  }
  if (max_prior_cost > 0) spec.cost_usd = max_prior_cost;
  READ_OPTIONAL(wc, cost_scale_usd, Range::kPositive, at, &spec.cost_usd);
  READ_OPTIONAL(wc, latency_scale_ms, Range::kPositive, at, &spec.latency_ms);
  READ_OPTIONAL(wc, energy_scale_j, Range::kPositive, at, &spec.energy_j);
  return spec;
}

absl::StatusOr<CascadeSpec> ToCascadeSpec(const v1::CascadeConfig& cc, const std::string& at) {
  constexpr uint32_t kMaxAttempts = 16;
  CascadeSpec spec;
  if (cc.has_max_attempts()) {
    if (cc.max_attempts() > kMaxAttempts) {
      return FieldError(at + ".max_attempts", absl::StrFormat("must be at most %d, got %d",
                                                              kMaxAttempts, cc.max_attempts()));
    }
    spec.max_attempts = cc.max_attempts();
  }
  READ_OPTIONAL(cc, alpha, Range::kNonNegative, at, &spec.alpha);
  READ_OPTIONAL(cc, epsilon, Range::kUnitOpenTop, at, &spec.epsilon);
  READ_OPTIONAL(cc, lambda, Range::kPositive, at, &spec.lambda);
  return spec;
}

absl::StatusOr<ArmSpec> ToArmSpec(const v1::ArmConfig& ac, double default_quality_prior,
                                  const std::string& at) {
  ArmSpec arm;
  arm.id = ac.id();
  if (arm.id.empty()) return FieldError(at + ".id", "must not be empty");
  arm.input_price_per_mtok = ac.input_price_per_mtok();
  arm.output_price_per_mtok = ac.output_price_per_mtok();
  arm.quality_prior = ac.has_quality_prior() ? ac.quality_prior() : default_quality_prior;
  if (ac.has_latency_prior_ms()) arm.latency_prior_ms = ac.latency_prior_ms();
  if (ac.has_energy_prior_j()) arm.energy_prior_j = ac.energy_prior_j();
  arm.disabled = ac.disabled();
  if (absl::Status s = ValidateArmSpec(arm); !s.ok()) {
    return FieldError(at, std::string(s.message()));
  }
  return arm;
}

absl::StatusOr<RouterSpec> ToRouterSpec(const v1::RouterConfig& rc, const std::string& at) {
  RouterSpec spec;
  if (rc.name().empty()) return FieldError(at + ".name", "must not be empty");
  spec.name = rc.name();
  ASSIGN_OR_RETURN(spec.features, ToFeatureSpec(rc.features(), at + ".features"));
  ASSIGN_OR_RETURN(spec.policy, ToPolicySpec(rc.policy(), at + ".policy"));
  ASSIGN_OR_RETURN(spec.quality_sources, ToQualitySourceWeights(rc.policy(), at + ".policy"));
  ASSIGN_OR_RETURN(spec.spend, ToSpendSpec(rc.budget(), at + ".budget"));
  ASSIGN_OR_RETURN(spec.weights, ToObjectiveWeights(rc.weights(), at + ".weights"));
  if (rc.has_typical_input_tokens()) spec.typical_input_tokens = rc.typical_input_tokens();
  if (rc.has_typical_output_tokens()) spec.typical_output_tokens = rc.typical_output_tokens();
  READ_OPTIONAL(rc, default_quality_prior, Range::kUnit, at, &spec.default_quality_prior);
  // Used by services (metrics), not by core: checked here, read by the server.
  double grid_intensity = 0;
  READ_OPTIONAL(rc, grid_intensity_g_per_kwh, Range::kNonNegative, at, &grid_intensity);
  if (rc.has_default_reward()) {
    double reward = 0;
    READ_OPTIONAL(rc, default_reward, Range::kUnit, at, &reward);
    spec.default_reward = reward;
  }
  ASSIGN_OR_RETURN(spec.cascade, ToCascadeSpec(rc.cascade(), at + ".cascade"));
  if (rc.arms_size() == 0) return FieldError(at + ".arms", "at least one arm is required");
  absl::flat_hash_set<std::string> arm_ids;
  for (int j = 0; j < rc.arms_size(); ++j) {
    const std::string arm_at = absl::StrFormat("%s.arms[%d]", at, j);
    ASSIGN_OR_RETURN(ArmSpec arm, ToArmSpec(rc.arms(j), spec.default_quality_prior, arm_at));
    if (!arm_ids.insert(arm.id).second) {
      return FieldError(arm_at + ".id", absl::StrCat("duplicate arm id '", arm.id, "'"));
    }
    spec.arms.push_back(std::move(arm));
  }
  ASSIGN_OR_RETURN(spec.scales, ToObjectiveScales(rc.weights(), spec, at + ".weights"));
  return spec;
}


}  // namespace

absl::StatusOr<v1::ServerConfig> LoadConfigFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read config file ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  v1::ServerConfig config;
  google::protobuf::TextFormat::Parser parser;
  ErrorCollector errors;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(buffer.str(), &config)) {
    return absl::InvalidArgumentError(
        absl::StrCat("config file ", path, " is not a valid ServerConfig text proto: ",
                     errors.first()));
  }
  return config;
}

v1::ServerConfig DefaultConfig() {
  v1::ServerConfig config;
  v1::RouterConfig* r = config.add_routers();
  r->set_name("default");
  r->mutable_features()->set_dim(64);
  r->mutable_features()->set_embedding_dim(384);
  r->mutable_features()->set_embedding_proj_dim(32);
  r->mutable_weights()->set_quality(1.0);
  r->mutable_weights()->set_cost(0.3);
  struct Demo {
    const char* id;
    double in, out, prior;
  };
  for (const Demo& d : {Demo{"small", 0.15, 0.60, 0.60}, Demo{"medium", 1.00, 4.00, 0.70},
                        Demo{"large", 5.00, 15.00, 0.80}}) {
    v1::ArmConfig* arm = r->add_arms();
    arm->set_id(d.id);
    arm->set_input_price_per_mtok(d.in);
    arm->set_output_price_per_mtok(d.out);
    arm->set_quality_prior(d.prior);
  }
  return config;
}

absl::StatusOr<std::vector<RouterSpec>> ToRouterSpecs(const v1::ServerConfig& config) {
  if (config.routers_size() == 0) {
    return FieldError("routers", "at least one router is required");
  }
  std::vector<RouterSpec> specs;
  absl::flat_hash_set<std::string> names;
  for (int i = 0; i < config.routers_size(); ++i) {
    const v1::RouterConfig& rc = config.routers(i);
    const std::string at = absl::StrFormat("routers[%d]", i);
    if (!rc.name().empty() && !names.insert(rc.name()).second) {
      return FieldError(at + ".name", absl::StrCat("duplicate router name '", rc.name(), "'"));
    }
    ASSIGN_OR_RETURN(RouterSpec spec, ToRouterSpec(rc, at));
    specs.push_back(std::move(spec));
  }
  return specs;
}

absl::StatusOr<StorageSettings> ToStorageSettings(const v1::ServerConfig& config) {
  // Ten years: beyond that a TTL is a typo, and absl::Duration arithmetic stays far from overflow.
  constexpr uint64_t kMaxSeconds = 10ULL * 366 * 24 * 3600;
  const v1::StorageConfig& sc = config.storage();
  StorageSettings out;  // the defaults: DurabilityOptions and MaintenanceOptions
  if (sc.has_decision_ttl_seconds()) {
    const uint64_t ttl = sc.decision_ttl_seconds();
    if (ttl < 1 || ttl > kMaxSeconds) {
      return FieldError("storage.decision_ttl_seconds",
                        absl::StrFormat("must be in [1, %d], got %d", kMaxSeconds, ttl));
    }
    out.durability.decision_ttl = absl::Seconds(ttl);
  }
  if (sc.has_checkpoint_every_events()) {
    out.durability.checkpoint_every_events = sc.checkpoint_every_events();
  }
  if (sc.has_checkpoint_every_seconds()) {
    const uint64_t every = sc.checkpoint_every_seconds();
    if (every > kMaxSeconds) {
      return FieldError("storage.checkpoint_every_seconds",
                        absl::StrFormat("must be at most %d, got %d", kMaxSeconds, every));
    }
    out.durability.checkpoint_every = absl::Seconds(every);
  }
  if (sc.has_sweep_every_seconds()) {
    const uint64_t sweep = sc.sweep_every_seconds();
    if (sweep < 1 || sweep > kMaxSeconds) {
      return FieldError("storage.sweep_every_seconds",
                        absl::StrFormat("must be in [1, %d], got %d", kMaxSeconds, sweep));
    }
    out.maintenance.sweep_every = absl::Seconds(sweep);
  }
  return out;
}

}  // namespace router::services
