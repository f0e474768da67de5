#include "services/config.h"

#include <cmath>
#include <fstream>
#include <sstream>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/router.h"
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

bool Finite(double v) { return std::isfinite(v); }


// cascade { ... } -> CascadeSpec; defaults live in CascadeSpec (core/specs.h).
absl::Status ConvertCascade(const v1::CascadeConfig& cc, const std::string& at,
                            CascadeSpec* out) {
  constexpr uint32_t kMaxAttempts = 16;
  if (cc.has_max_attempts()) {
    if (cc.max_attempts() > kMaxAttempts) {
      return FieldError(at + ".max_attempts",
                        absl::StrFormat("must be at most %d, got %d", kMaxAttempts,
                                        cc.max_attempts()));
    }
    out->max_attempts = cc.max_attempts();
  }
  if (cc.has_alpha()) {
    if (!(Finite(cc.alpha()) && cc.alpha() >= 0)) {
      return FieldError(at + ".alpha",
                        absl::StrFormat("must be a finite number >= 0, got %g", cc.alpha()));
    }
    out->alpha = cc.alpha();
  }
  if (cc.has_epsilon()) {
    if (!(cc.epsilon() >= 0 && cc.epsilon() < 1)) {
      return FieldError(at + ".epsilon",
                        absl::StrFormat("must be in [0, 1), got %g", cc.epsilon()));
    }
    out->epsilon = cc.epsilon();
  }
  if (cc.has_lambda()) {
    if (!(Finite(cc.lambda()) && cc.lambda() > 0)) {
      return FieldError(at + ".lambda",
                        absl::StrFormat("must be a finite number > 0, got %g", cc.lambda()));
    }
    out->lambda = cc.lambda();
  }
  return absl::OkStatus();
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
    RouterSpec spec;
    if (rc.name().empty()) return FieldError(at + ".name", "must not be empty");
    if (!names.insert(rc.name()).second) {
      return FieldError(at + ".name", absl::StrCat("duplicate router name '", rc.name(), "'"));
    }
    spec.name = rc.name();

    const v1::FeatureConfig& fc = rc.features();
    spec.features.dim = fc.dim() == 0 ? 64 : static_cast<int>(fc.dim());
    if (spec.features.dim < 2 || spec.features.dim > kMaxFeatureDim) {
      return FieldError(at + ".features.dim",
                        absl::StrFormat("must be in [2, %d], got %d", kMaxFeatureDim, fc.dim()));
    }
    if (fc.embedding_dim() > static_cast<uint32_t>(kMaxEmbeddingDim)) {
      return FieldError(at + ".features.embedding_dim",
                        absl::StrFormat("must be at most %d, got %d", kMaxEmbeddingDim,
                                        fc.embedding_dim()));
    }
    spec.features.embedding_dim = static_cast<int>(fc.embedding_dim());
    if (fc.embedding_proj_dim() > 0 && fc.embedding_dim() == 0) {
      return FieldError(at + ".features.embedding_proj_dim",
                        "is set but embedding_dim is 0 (the router takes no embeddings)");
    }
    spec.features.embedding_proj_dim =
        fc.embedding_proj_dim() > 0 ? static_cast<int>(fc.embedding_proj_dim())
        : fc.embedding_dim() > 0    ? (spec.features.dim - 1) / 2
                                    : 0;
    if (spec.features.embedding_proj_dim > spec.features.dim - 1) {
      return FieldError(at + ".features.embedding_proj_dim",
                        absl::StrFormat("must be at most dim - 1 = %d, got %d",
                                        spec.features.dim - 1, spec.features.embedding_proj_dim));
    }
    spec.features.seed = fc.seed();
    switch (fc.text_features()) {
      case v1::FeatureConfig::RICH:
        spec.features.text_features = FeatureSpec::TextFeatures::kRich;
        break;
      case v1::FeatureConfig::STRUCTURED:
        spec.features.text_features = FeatureSpec::TextFeatures::kStructured;
        break;
      default: spec.features.text_features = FeatureSpec::TextFeatures::kBasic; break;
    }

    const v1::PolicyConfig& pc = rc.policy();
    switch (pc.kind()) {
      case v1::PolicyConfig::LINUCB: spec.policy.kind = PolicyKind::kLinUcb; break;
      case v1::PolicyConfig::THOMPSON: spec.policy.kind = PolicyKind::kThompson; break;
      case v1::PolicyConfig::EPSILON_GREEDY: spec.policy.kind = PolicyKind::kEpsilonGreedy; break;
      case v1::PolicyConfig::UNIFORM: spec.policy.kind = PolicyKind::kUniform; break;
      default:
        return FieldError(at + ".policy.kind",
                          absl::StrFormat("unknown policy kind %d; expected LINUCB, THOMPSON, "
                                          "EPSILON_GREEDY or UNIFORM",
                                          static_cast<int>(pc.kind())));
    }
    spec.policy.alpha = pc.has_alpha() ? pc.alpha() : PolicySpec{}.alpha;
    if (!Finite(spec.policy.alpha) || spec.policy.alpha < 0) {
      return FieldError(at + ".policy.alpha", absl::StrFormat("must be >= 0, got %g", pc.alpha()));
    }
    spec.policy.lambda = pc.has_lambda() ? pc.lambda() : PolicySpec{}.lambda;
    if (!Finite(spec.policy.lambda) || spec.policy.lambda <= 0) {
      return FieldError(at + ".policy.lambda", absl::StrFormat("must be > 0, got %g", pc.lambda()));
    }
    spec.policy.epsilon = pc.has_epsilon() ? pc.epsilon() : 0.02;
    if (!(spec.policy.epsilon >= 0 && spec.policy.epsilon < 1)) {
      return FieldError(at + ".policy.epsilon",
                        absl::StrFormat("must be in [0, 1), got %g", pc.epsilon()));
    }
    spec.policy.gamma = pc.has_gamma() ? pc.gamma() : 1.0;
    if (!(spec.policy.gamma > 0 && spec.policy.gamma <= 1)) {
      return FieldError(at + ".policy.gamma",
                        absl::StrFormat("must be in (0, 1], got %g", pc.gamma()));
    }
    spec.policy.min_tries = pc.has_min_tries() ? pc.min_tries() : 0;
    spec.policy.seed = pc.has_seed() ? pc.seed() : 1;
    spec.policy.shared_prior = pc.has_shared_prior() ? pc.shared_prior() : PolicySpec{}.shared_prior;
    const std::pair<const char*, std::pair<bool, double>> source_weights[] = {
        {"thumbs_weight", {pc.has_thumbs_weight(), pc.thumbs_weight()}},
        {"judge_weight", {pc.has_judge_weight(), pc.judge_weight()}}};
    for (const auto& [name, value] : source_weights) {
      if (value.first && !(Finite(value.second) && value.second >= 0)) {
        return FieldError(absl::StrCat(at, ".policy.", name),
                          absl::StrFormat("must be a finite number >= 0, got %g", value.second));
      }
    }
    spec.quality_sources.thumbs = pc.has_thumbs_weight() ? pc.thumbs_weight() : 1.0;
    spec.quality_sources.judge = pc.has_judge_weight() ? pc.judge_weight() : 1.0;

    const v1::BudgetConfig& bc = rc.budget();
    spec.spend.target_cost_per_request_usd = bc.target_cost_per_request_usd();
    if (!(Finite(bc.target_cost_per_request_usd()) && bc.target_cost_per_request_usd() >= 0)) {
      return FieldError(at + ".budget.target_cost_per_request_usd",
                        absl::StrFormat("must be a finite number >= 0 (0: no target), got %g",
                                        bc.target_cost_per_request_usd()));
    }
    spec.spend.learning_rate = bc.has_spend_learning_rate() ? bc.spend_learning_rate() : 0.05;
    if (!(Finite(spec.spend.learning_rate) && spec.spend.learning_rate > 0)) {
      return FieldError(at + ".budget.spend_learning_rate",
                        absl::StrFormat("must be a finite number > 0, got %g",
                                        bc.spend_learning_rate()));
    }
    spec.spend.min_multiplier =
        bc.has_min_multiplier() ? bc.min_multiplier() : SpendSpec{}.min_multiplier;
    if (!(Finite(spec.spend.min_multiplier) && spec.spend.min_multiplier <= 0)) {
      return FieldError(at + ".budget.min_multiplier",
                        absl::StrFormat("must be a finite number <= 0, got %g",
                                        bc.min_multiplier()));
    }

    const v1::ObjectiveWeights& wc = rc.weights();
    const std::pair<const char*, std::pair<bool, double>> weights[] = {
        {"quality", {wc.has_quality(), wc.quality()}},
        {"cost", {wc.has_cost(), wc.cost()}},
        {"latency", {wc.has_latency(), wc.latency()}},
        {"energy", {wc.has_energy(), wc.energy()}}};
    for (const auto& [name, value] : weights) {
      if (value.first && !(Finite(value.second) && value.second >= 0)) {
        return FieldError(absl::StrCat(at, ".weights.", name),
                          absl::StrFormat("must be a finite number >= 0, got %g", value.second));
      }
    }
    spec.weights.quality = wc.has_quality() ? wc.quality() : 1.0;
    spec.weights.cost = wc.cost();
    spec.weights.latency = wc.latency();
    spec.weights.energy = wc.energy();

    spec.typical_input_tokens = rc.has_typical_input_tokens() ? rc.typical_input_tokens() : 500;
    spec.typical_output_tokens = rc.has_typical_output_tokens() ? rc.typical_output_tokens() : 300;
    spec.default_quality_prior = rc.has_default_quality_prior() ? rc.default_quality_prior() : 0.5;
    if (!(spec.default_quality_prior >= 0 && spec.default_quality_prior <= 1)) {
      return FieldError(at + ".default_quality_prior",
                        absl::StrFormat("must be in [0, 1], got %g", rc.default_quality_prior()));
    }

    if (rc.has_grid_intensity_g_per_kwh() &&
        !(Finite(rc.grid_intensity_g_per_kwh()) && rc.grid_intensity_g_per_kwh() >= 0)) {
      return FieldError(at + ".grid_intensity_g_per_kwh",
                        absl::StrFormat("must be a finite number >= 0, got %g",
                                        rc.grid_intensity_g_per_kwh()));
    }
    if (rc.has_default_reward()) {
      if (!(rc.default_reward() >= 0 && rc.default_reward() <= 1)) {
        return FieldError(at + ".default_reward",
                          absl::StrFormat("must be in [0, 1], got %g", rc.default_reward()));
      }
      spec.default_reward = rc.default_reward();
    }
    if (auto s = ConvertCascade(rc.cascade(), at + ".cascade", &spec.cascade); !s.ok()) return s;

    if (rc.arms_size() == 0) return FieldError(at + ".arms", "at least one arm is required");
    absl::flat_hash_set<std::string> arm_ids;
    double max_prior_cost = 0;
    for (int j = 0; j < rc.arms_size(); ++j) {
      const v1::ArmConfig& ac = rc.arms(j);
      const std::string arm_at = absl::StrFormat("%s.arms[%d]", at, j);
      ArmSpec arm;
      arm.id = ac.id();
      if (arm.id.empty()) return FieldError(arm_at + ".id", "must not be empty");
      if (!arm_ids.insert(arm.id).second) {
        return FieldError(arm_at + ".id", absl::StrCat("duplicate arm id '", arm.id, "'"));
      }
      arm.input_price_per_mtok = ac.input_price_per_mtok();
      arm.output_price_per_mtok = ac.output_price_per_mtok();
      arm.quality_prior = ac.has_quality_prior() ? ac.quality_prior() : spec.default_quality_prior;
      if (ac.has_latency_prior_ms()) arm.latency_prior_ms = ac.latency_prior_ms();
      if (ac.has_energy_prior_j()) arm.energy_prior_j = ac.energy_prior_j();
      arm.disabled = ac.disabled();
      if (auto s = ValidateArmSpec(arm); !s.ok()) {
        return FieldError(arm_at, std::string(s.message()));
      }
      max_prior_cost = std::max(
          max_prior_cost, PriorCostUsd(arm, spec.typical_input_tokens, spec.typical_output_tokens));
      spec.arms.push_back(arm);
    }

    const std::pair<const char*, std::pair<bool, double>> scales[] = {
        {"cost_scale_usd", {wc.has_cost_scale_usd(), wc.cost_scale_usd()}},
        {"latency_scale_ms", {wc.has_latency_scale_ms(), wc.latency_scale_ms()}},
        {"energy_scale_j", {wc.has_energy_scale_j(), wc.energy_scale_j()}}};
    for (const auto& [name, value] : scales) {
      if (value.first && !(Finite(value.second) && value.second > 0)) {
        return FieldError(absl::StrCat(at, ".weights.", name),
                          absl::StrFormat("must be a finite number > 0, got %g", value.second));
      }
    }
    spec.scales.cost_usd = wc.has_cost_scale_usd() ? wc.cost_scale_usd()
                           : max_prior_cost > 0    ? max_prior_cost
                                                   : 1.0;
    spec.scales.latency_ms = wc.has_latency_scale_ms() ? wc.latency_scale_ms() : 1000.0;
    spec.scales.energy_j = wc.has_energy_scale_j() ? wc.energy_scale_j() : 100.0;
    specs.push_back(std::move(spec));
  }
  return specs;
}

absl::StatusOr<StorageSettings> ToStorageSettings(const v1::ServerConfig& config) {
  // Ten years: beyond that a TTL is a typo, and absl::Duration arithmetic stays far from overflow.
  constexpr uint64_t kMaxSeconds = 10ULL * 366 * 24 * 3600;
  const v1::StorageConfig& sc = config.storage();
  StorageSettings out;
  const uint64_t ttl = sc.has_decision_ttl_seconds() ? sc.decision_ttl_seconds() : 7 * 24 * 3600;
  if (ttl < 1 || ttl > kMaxSeconds) {
    return FieldError("storage.decision_ttl_seconds",
                      absl::StrFormat("must be in [1, %d], got %d", kMaxSeconds, ttl));
  }
  out.durability.decision_ttl = absl::Seconds(ttl);
  out.durability.checkpoint_every_events =
      sc.has_checkpoint_every_events() ? sc.checkpoint_every_events() : 10000;
  const uint64_t every = sc.has_checkpoint_every_seconds() ? sc.checkpoint_every_seconds() : 300;
  if (every > kMaxSeconds) {
    return FieldError("storage.checkpoint_every_seconds",
                      absl::StrFormat("must be at most %d, got %d", kMaxSeconds, every));
  }
  out.durability.checkpoint_every = absl::Seconds(every);
  const uint64_t sweep = sc.has_sweep_every_seconds() ? sc.sweep_every_seconds() : 60;
  if (sweep < 1 || sweep > kMaxSeconds) {
    return FieldError("storage.sweep_every_seconds",
                      absl::StrFormat("must be in [1, %d], got %d", kMaxSeconds, sweep));
  }
  out.maintenance.sweep_every = absl::Seconds(sweep);
  return out;
}

}  // namespace router::services
