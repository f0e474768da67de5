#include "tools/replay/report.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace router::replay {
namespace {

double Utility1(const Utility& u, const Outcome& o) {
  return u.quality_weight * o.quality - u.cost_weight * o.cost_usd / u.cost_scale_usd;
}

// The runs of one config (all seeds), averaged.
struct ConfigMean {
  std::string config;
  std::string series;
  int seeds = 0;
  double quality = 0, cost = 0, rel_quality = 0, rel_cost = 0;
  double rel_quality_min = std::numeric_limits<double>::infinity(), rel_quality_max = -rel_quality_min;
  double rel_cost_min = rel_quality_min, rel_cost_max = -rel_quality_min;
  double mixture_rel_quality = 0, mixture_rel_cost = 0;
  double regret_first = 0, regret_second = 0, regret_best = 0;
  double explored = 0, qps = 0, stream_seconds = 0, import_seconds = 0;
  std::vector<double> trace_steps, trace_oracle, trace_best;
};

std::vector<ConfigMean> MeanByConfig(const Report& report) {
  std::vector<ConfigMean> out;
  std::map<std::string, size_t> index;
  for (const RunRecord& r : report.runs) {
    auto [it, inserted] = index.emplace(r.config, out.size());
    if (inserted) {
      out.emplace_back();
      out.back().config = r.config;
      out.back().series = r.series;
    }
    ConfigMean& c = out[it->second];
    const RunMetrics& m = r.metrics;
    ++c.seeds;
    c.quality += m.quality;
    c.cost += m.cost;
    c.rel_quality += m.rel_quality;
    c.rel_cost += m.rel_cost;
    c.rel_quality_min = std::min(c.rel_quality_min, m.rel_quality);
    c.rel_quality_max = std::max(c.rel_quality_max, m.rel_quality);
    c.rel_cost_min = std::min(c.rel_cost_min, m.rel_cost);
    c.rel_cost_max = std::max(c.rel_cost_max, m.rel_cost);
    c.mixture_rel_quality += m.mixture_rel_quality;
    c.mixture_rel_cost += m.mixture_rel_cost;
    c.regret_first += m.regret_oracle_first_half;
    c.regret_second += m.regret_oracle_second_half;
    c.regret_best += m.regret_best_single;
    c.explored += static_cast<double>(r.run.explored) / std::max(1, m.queries);
    c.qps += r.run.stream_seconds > 0 ? m.queries / r.run.stream_seconds : 0;
    c.stream_seconds += r.run.stream_seconds;
    c.import_seconds += r.run.import_seconds;
    if (c.trace_oracle.empty()) {
      c.trace_steps = m.trace_steps;
      c.trace_oracle.assign(m.trace_oracle.size(), 0);
      c.trace_best.assign(m.trace_best_single.size(), 0);
    }
    for (size_t i = 0; i < c.trace_oracle.size() && i < m.trace_oracle.size(); ++i) {
      c.trace_oracle[i] += m.trace_oracle[i];
      c.trace_best[i] += m.trace_best_single[i];
    }
  }
  for (ConfigMean& c : out) {
    const double n = c.seeds;
    for (double* v : {&c.quality, &c.cost, &c.rel_quality, &c.rel_cost, &c.mixture_rel_quality,
                      &c.mixture_rel_cost, &c.regret_first, &c.regret_second, &c.regret_best,
                      &c.explored, &c.qps, &c.stream_seconds, &c.import_seconds}) {
      *v /= n;
    }
    for (double& v : c.trace_oracle) v /= n;
    for (double& v : c.trace_best) v /= n;
  }
  return out;
}

std::string Pct(double v) {
  if (std::isnan(v)) return "n/a";
  if (std::isinf(v)) return "unreachable";
  return absl::StrFormat("%.1f%%", 100 * v);
}

struct NamedPoint {
  std::string name;
  CostQuality point;
};

std::vector<NamedPoint> BaselinePoints(const Report& r) {
  const Baselines& b = r.baselines;
  std::vector<NamedPoint> out;
  for (size_t a = 0; a < b.single.size(); ++a) out.push_back({r.data->arms[a], b.single[a]});
  out.push_back({"random (uniform)", b.random});
  out.push_back({"oracle", b.oracle});
  out.push_back({absl::StrFormat("cheapest correct (q >= %g)", b.correct_threshold),
                 b.cheapest_correct});
  return out;
}

// ---- SVG ---------------------------------------------------------------------------------

constexpr const char* kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e",
                                   "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"};

struct Frame {
  double x0, y0, w, h;  // plot area in pixels
  double xmin, xmax, ymin, ymax;
  double X(double v) const { return x0 + (v - xmin) / (xmax - xmin) * w; }
  double Y(double v) const { return y0 + h - (v - ymin) / (ymax - ymin) * h; }
};

double NiceStep(double range, int ticks) {
  const double raw = range / ticks;
  const double mag = std::pow(10, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    if (m * mag >= raw) return m * mag;
  }
  return 10 * mag;
}

std::string Axes(const Frame& f, const std::string& xlabel, const std::string& ylabel,
                 bool percent) {
  std::string s = absl::StrFormat(
      "<rect x='%.1f' y='%.1f' width='%.1f' height='%.1f' fill='none' stroke='#333'/>\n", f.x0,
      f.y0, f.w, f.h);
  auto label = [&](double v) {
    return percent ? absl::StrFormat("%.0f%%", 100 * v) : absl::StrFormat("%g", v);
  };
  const double xs = NiceStep(f.xmax - f.xmin, 6), ys = NiceStep(f.ymax - f.ymin, 6);
  for (double v = std::ceil(f.xmin / xs) * xs; v <= f.xmax + 1e-12; v += xs) {
    absl::StrAppendFormat(&s,
                          "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='#ddd'/>"
                          "<text x='%.1f' y='%.1f' font-size='11' text-anchor='middle'>%s</text>\n",
                          f.X(v), f.y0, f.X(v), f.y0 + f.h, f.X(v), f.y0 + f.h + 14, label(v));
  }
  for (double v = std::ceil(f.ymin / ys) * ys; v <= f.ymax + 1e-12; v += ys) {
    absl::StrAppendFormat(&s,
                          "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='#ddd'/>"
                          "<text x='%.1f' y='%.1f' font-size='11' text-anchor='end'>%s</text>\n",
                          f.x0, f.Y(v), f.x0 + f.w, f.Y(v), f.x0 - 4, f.Y(v) + 4,
                          percent ? label(v) : absl::StrFormat("%g", v));
  }
  absl::StrAppendFormat(&s, "<text x='%.1f' y='%.1f' font-size='12' text-anchor='middle'>%s</text>\n",
                        f.x0 + f.w / 2, f.y0 + f.h + 32, xlabel);
  absl::StrAppendFormat(&s,
                        "<text x='%.1f' y='%.1f' font-size='12' text-anchor='middle' "
                        "transform='rotate(-90 %.1f %.1f)'>%s</text>\n",
                        f.x0 - 44, f.y0 + f.h / 2, f.x0 - 44, f.y0 + f.h / 2, ylabel);
  return s;
}

std::string Escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '&') out += "&amp;";
    else if (c == '\'') out += "&apos;";
    else out += c;
  }
  return out;
}

std::string FrontierSvg(const Report& r, const std::vector<ConfigMean>& configs) {
  const Baselines& b = r.baselines;
  const CostQuality best = b.single[b.best_single];
  auto rel = [&](CostQuality p) { return CostQuality{p.cost / best.cost, p.quality / best.quality}; };
  double xmax = 1.05, ymin = 1.0, ymax = 1.0;
  std::vector<NamedPoint> points = BaselinePoints(r);
  for (const NamedPoint& p : points) {
    const CostQuality q = rel(p.point);
    xmax = std::max(xmax, q.cost);
    ymin = std::min(ymin, q.quality);
    ymax = std::max(ymax, q.quality);
  }
  for (const ConfigMean& c : configs) {
    xmax = std::max(xmax, c.rel_cost);
    ymin = std::min(ymin, c.rel_quality);
    ymax = std::max(ymax, c.rel_quality);
  }
  Frame f{70, 40, 560, 400, 0, xmax * 1.05, std::max(0.0, ymin - 0.05), ymax + 0.05};
  std::string s = absl::StrFormat(
      "<svg xmlns='http://www.w3.org/2000/svg' width='900' height='500' "
      "font-family='sans-serif'>\n<rect width='900' height='500' fill='white'/>\n"
      "<text x='350' y='22' font-size='14' text-anchor='middle'>%s: cost–quality, relative to "
      "the best single model</text>\n",
      Escape(r.title));
  s += Axes(f, "mean cost per query (relative to the best single model)",
            "mean quality (relative)", true);
  // The mixture frontier, flat beyond the best single model.
  std::string poly;
  for (const CostQuality& v : b.frontier) {
    const CostQuality q = rel(v);
    absl::StrAppendFormat(&poly, "%.1f,%.1f ", f.X(q.cost), f.Y(q.quality));
  }
  absl::StrAppendFormat(&poly, "%.1f,%.1f", f.X(f.xmax), f.Y(rel(b.frontier.back()).quality));
  absl::StrAppendFormat(&s,
                        "<polyline points='%s' fill='none' stroke='#555' stroke-width='1.5' "
                        "stroke-dasharray='6,4'/>\n",
                        poly);
  for (size_t i = 0; i < points.size(); ++i) {
    const CostQuality q = rel(points[i].point);
    const bool single = i < b.single.size();
    absl::StrAppendFormat(&s,
                          "<circle cx='%.1f' cy='%.1f' r='4' fill='%s'/>"
                          "<text x='%.1f' y='%.1f' font-size='9' fill='#444'>%s</text>\n",
                          f.X(q.cost), f.Y(q.quality), single ? "#888" : "#000",
                          f.X(q.cost) + 6, f.Y(q.quality) - 4, Escape(points[i].name));
  }
  // Router configs: one polyline per series, by increasing cost.
  std::vector<std::string> series;
  for (const ConfigMean& c : configs) {
    if (std::find(series.begin(), series.end(), c.series) == series.end()) series.push_back(c.series);
  }
  double legend_y = 60;
  absl::StrAppendFormat(&s,
                        "<line x1='650' y1='%.1f' x2='680' y2='%.1f' stroke='#555' "
                        "stroke-dasharray='6,4'/><text x='686' y='%.1f' font-size='11'>mixtures "
                        "of single models</text>\n",
                        legend_y - 4, legend_y - 4, legend_y);
  for (size_t k = 0; k < series.size(); ++k) {
    const char* color = kColors[k % (sizeof(kColors) / sizeof(kColors[0]))];
    std::vector<const ConfigMean*> members;
    for (const ConfigMean& c : configs) {
      if (c.series == series[k]) members.push_back(&c);
    }
    std::sort(members.begin(), members.end(),
              [](const ConfigMean* a, const ConfigMean* b) { return a->rel_cost < b->rel_cost; });
    std::string line;
    for (const ConfigMean* c : members) {
      absl::StrAppendFormat(&line, "%.1f,%.1f ", f.X(c->rel_cost), f.Y(c->rel_quality));
      absl::StrAppendFormat(&s, "<circle cx='%.1f' cy='%.1f' r='3.5' fill='%s'><title>%s</title></circle>\n",
                            f.X(c->rel_cost), f.Y(c->rel_quality), color, Escape(c->config));
    }
    absl::StrAppendFormat(&s, "<polyline points='%s' fill='none' stroke='%s' stroke-width='1.5'/>\n",
                          line, color);
    legend_y += 18;
    absl::StrAppendFormat(&s,
                          "<line x1='650' y1='%.1f' x2='680' y2='%.1f' stroke='%s' "
                          "stroke-width='2'/><text x='686' y='%.1f' font-size='11'>%s</text>\n",
                          legend_y - 4, legend_y - 4, color, legend_y,
                          Escape(series[k].empty() ? "router" : series[k]));
  }
  s += "</svg>\n";
  return s;
}

std::string RegretSvg(const Report& r, const std::vector<ConfigMean>& configs) {
  double ymax_o = 1e-9, ymax_b = 1e-9, ymin_b = 0;
  double n = 1;
  for (const ConfigMean& c : configs) {
    for (double v : c.trace_oracle) ymax_o = std::max(ymax_o, v);
    for (double v : c.trace_best) {
      ymax_b = std::max(ymax_b, v);
      ymin_b = std::min(ymin_b, v);
    }
    if (!c.trace_steps.empty()) n = std::max(n, c.trace_steps.back());
  }
  const int rows = static_cast<int>(configs.size());
  const int height = std::max(480, 430 + 16 * rows);  // room for one legend row per config
  std::string s = absl::StrFormat(
      "<svg xmlns='http://www.w3.org/2000/svg' width='1000' height='%d' "
      "font-family='sans-serif'>\n<rect width='1000' height='%d' fill='white'/>\n"
      "<text x='500' y='22' font-size='14' text-anchor='middle'>%s: cumulative regret (mean "
      "over seeds, in the router's utility)</text>\n",
      height, height, Escape(r.title));
  Frame left{70, 50, 380, 300, 0, n, 0, ymax_o * 1.05};
  Frame right{580, 50, 380, 300, 0, n, ymin_b * 1.05, ymax_b * 1.05 + 1e-9};
  s += Axes(left, "queries", "regret vs the per-query oracle", false);
  s += Axes(right, "queries", "regret vs the best single model", false);
  for (size_t k = 0; k < configs.size(); ++k) {
    const char* color = kColors[k % (sizeof(kColors) / sizeof(kColors[0]))];
    const ConfigMean& c = configs[k];
    for (const auto& [frame, trace] : {std::make_pair(&left, &c.trace_oracle),
                                        std::make_pair(&right, &c.trace_best)}) {
      std::string line;
      for (size_t i = 0; i < trace->size(); ++i) {
        absl::StrAppendFormat(&line, "%.1f,%.1f ", frame->X(c.trace_steps[i]),
                              frame->Y((*trace)[i]));
      }
      absl::StrAppendFormat(&s,
                            "<polyline points='%s' fill='none' stroke='%s' stroke-width='1.3'/>\n",
                            line, color);
    }
    const double y = 410 + 16 * k;
    absl::StrAppendFormat(&s,
                          "<line x1='70' y1='%.1f' x2='100' y2='%.1f' stroke='%s' "
                          "stroke-width='2'/><text x='106' y='%.1f' font-size='11'>%s</text>\n",
                          y - 4, y - 4, color, y, Escape(c.config));
  }
  s += "</svg>\n";
  return s;
}

// Quality at a spend target: per config with a target, the realised cost against the target and
// the margin over the mixture frontier at the realised cost, each with its range over seeds.
std::string SpendTargetTable(const Report& r) {
  struct Row {
    std::string config;
    double target = 0;
    std::vector<const RunMetrics*> runs;
  };
  std::vector<Row> rows;
  std::map<std::string, size_t> index;
  for (const RunRecord& rec : r.runs) {
    if (!rec.spend_target) continue;
    auto [it, inserted] = index.emplace(rec.config, rows.size());
    if (inserted) rows.push_back(Row{rec.config, *rec.spend_target, {}});
    rows[it->second].runs.push_back(&rec.metrics);
  }
  if (rows.empty()) return "";
  const Baselines& b = r.baselines;
  const CostQuality best = b.single[b.best_single];
  double cheapest = std::numeric_limits<double>::infinity();
  for (const CostQuality& p : b.single) cheapest = std::min(cheapest, p.cost / best.cost);
  std::string s =
      "### Quality at a spend target\n\n"
      "Target = share of the best single model's mean cost (`budget.target_cost_per_request_usd`). "
      "Margin = quality minus the mixture frontier at the run's realised cost, per seed, in "
      "points of the best model's quality. \"on target\" = seeds whose realised cost is within "
      "±2 points of the target.\n\n"
      "| config | target | rel. quality (min–max) | rel. cost (min–max) | mixture at that cost | "
      "margin (min–max) | seeds ≥ mixture | on target |\n|---|---|---|---|---|---|---|---|\n";
  bool infeasible = false;
  constexpr double kInf = std::numeric_limits<double>::infinity();
  for (const Row& row : rows) {
    double q = 0, c = 0, mix = 0, margin = 0;
    double qmin = kInf, qmax = -kInf, cmin = kInf, cmax = -kInf, mmin = kInf, mmax = -kInf;
    int above = 0, on_target = 0;
    for (const RunMetrics* m : row.runs) {
      // Cheaper than every model: no mixture reaches that cost at all.
      const double mixture = std::isnan(m->mixture_rel_quality) ? 0.0 : m->mixture_rel_quality;
      const double gap = m->rel_quality - mixture;
      q += m->rel_quality;
      c += m->rel_cost;
      mix += mixture;
      margin += gap;
      qmin = std::min(qmin, m->rel_quality);
      qmax = std::max(qmax, m->rel_quality);
      cmin = std::min(cmin, m->rel_cost);
      cmax = std::max(cmax, m->rel_cost);
      mmin = std::min(mmin, gap);
      mmax = std::max(mmax, gap);
      above += gap >= 0;
      on_target += std::abs(m->rel_cost - row.target) <= 0.02;
    }
    const double n = static_cast<double>(row.runs.size());
    const bool feasible = row.target >= cheapest;
    infeasible |= !feasible;
    absl::StrAppendFormat(
        &s, "| %s | %s%s | %s (%s–%s) | %s (%s–%s) | %s | %+.1f (%+.1f…%+.1f) | %d/%d | %d/%d |\n",
        row.config, Pct(row.target), feasible ? "" : " (below every arm)", Pct(q / n), Pct(qmin),
        Pct(qmax), Pct(c / n), Pct(cmin), Pct(cmax), Pct(mix / n), 100 * margin / n, 100 * mmin,
        100 * mmax, above, static_cast<int>(n), on_target, static_cast<int>(n));
  }
  if (infeasible) {
    absl::StrAppendFormat(&s,
                          "\nA target below the cheapest arm's cost (%s of the best model's) "
                          "cannot be met by any router: the controller then holds the cheapest "
                          "arms, and the margin is measured at the cost actually spent.\n",
                          Pct(cheapest));
  }
  s += "\n";
  return s;
}

absl::Status WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path);
  out << content;
  out.close();
  if (!out) return absl::UnavailableError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

}  // namespace

RunMetrics Analyze(const Dataset& data, const Baselines& baselines, const std::vector<int>& order,
                   const std::vector<int>& chosen, const Utility& utility, int trace_points) {
  RunMetrics m;
  const int n = static_cast<int>(chosen.size());
  const int arms = static_cast<int>(data.arms.size());
  m.queries = n;
  // The best fixed arm in hindsight under this utility, over the streamed queries.
  std::vector<double> arm_utility(arms, 0);
  for (int t = 0; t < n; ++t) {
    const Query& q = data.queries[order[t]];
    for (int a = 0; a < arms; ++a) arm_utility[a] += Utility1(utility, *q.outcomes[a]);
  }
  const int best_fixed =
      static_cast<int>(std::max_element(arm_utility.begin(), arm_utility.end()) - arm_utility.begin());
  trace_points = std::max(1, std::min(trace_points, std::max(1, n)));
  double oracle_sum = 0, best_sum = 0;
  m.trace_steps.push_back(0);
  m.trace_oracle.push_back(0);
  m.trace_best_single.push_back(0);
  int next_trace = 1;
  for (int t = 0; t < n; ++t) {
    const Query& q = data.queries[order[t]];
    const Outcome& o = *q.outcomes[chosen[t]];
    m.quality += o.quality;
    m.cost += o.cost_usd;
    const double u = Utility1(utility, o);
    double best_here = -std::numeric_limits<double>::infinity();
    for (int a = 0; a < arms; ++a) best_here = std::max(best_here, Utility1(utility, *q.outcomes[a]));
    const double step = best_here - u;
    oracle_sum += step;
    (2 * t < n ? m.regret_oracle_first_half : m.regret_oracle_second_half) += step;
    best_sum += Utility1(utility, *q.outcomes[best_fixed]) - u;
    while (next_trace <= trace_points &&
           t + 1 >= static_cast<int>(std::llround(static_cast<double>(next_trace) * n / trace_points))) {
      m.trace_steps.push_back(t + 1);
      m.trace_oracle.push_back(oracle_sum);
      m.trace_best_single.push_back(best_sum);
      ++next_trace;
    }
  }
  m.regret_oracle = oracle_sum;
  m.regret_best_single = best_sum;
  if (n > 0) {
    m.quality /= n;
    m.cost /= n;
  }
  const CostQuality best = baselines.single[baselines.best_single];
  m.rel_quality = m.quality / best.quality;
  m.rel_cost = m.cost / best.cost;
  m.mixture_rel_quality = FrontierQualityAt(baselines.frontier, m.cost) / best.quality;
  m.mixture_rel_cost = FrontierCostFor(baselines.frontier, m.quality) / best.cost;
  return m;
}

std::string SummaryMarkdown(const Report& r) {
  const Baselines& b = r.baselines;
  const CostQuality best = b.single[b.best_single];
  std::string s = absl::StrFormat("## %s\n\n", r.title);
  absl::StrAppendFormat(&s,
                        "%d queries streamed%s. Best single model: **%s** (quality %.4f, $%.3g "
                        "per query); percentages are relative to it.\n\n",
                        b.queries,
                        r.warm_queries > 0
                            ? absl::StrFormat(" after a warm start from %d queries", r.warm_queries)
                            : "",
                        r.data->arms[b.best_single], best.quality, best.cost);
  s += "| baseline | quality | cost $/query | rel. quality | rel. cost |\n|---|---|---|---|---|\n";
  for (const NamedPoint& p : BaselinePoints(r)) {
    absl::StrAppendFormat(&s, "| %s | %.4f | %.3g | %s | %s |\n", p.name, p.point.quality,
                          p.point.cost, Pct(p.point.quality / best.quality),
                          Pct(p.point.cost / best.cost));
  }
  s += "\nMixture frontier (upper-left hull of the single models): ";
  std::vector<std::string> vertices;
  for (const CostQuality& v : b.frontier) {
    vertices.push_back(absl::StrFormat("(%s cost, %s quality)", Pct(v.cost / best.cost),
                                       Pct(v.quality / best.quality)));
  }
  s += absl::StrJoin(vertices, " → ") + "\n\n";
  const std::vector<ConfigMean> configs = MeanByConfig(r);
  if (configs.empty()) return s;
  s += SpendTargetTable(r);
  s += "| config | seeds | rel. quality (min–max) | rel. cost (min–max) | mixture quality at "
       "that cost | mixture cost for that quality | regret vs oracle 1st / 2nd half | regret vs "
       "best single | explored | queries/s |\n|---|---|---|---|---|---|---|---|---|---|\n";
  for (const ConfigMean& c : configs) {
    absl::StrAppendFormat(
        &s, "| %s | %d | %s (%s–%s) | %s (%s–%s) | %s | %s | %.1f / %.1f | %.1f | %.1f%% | %.0f |\n",
        c.config, c.seeds, Pct(c.rel_quality), Pct(c.rel_quality_min), Pct(c.rel_quality_max),
        Pct(c.rel_cost), Pct(c.rel_cost_min), Pct(c.rel_cost_max), Pct(c.mixture_rel_quality),
        Pct(c.mixture_rel_cost), c.regret_first, c.regret_second, c.regret_best,
        100 * c.explored, c.qps);
  }
  // The longest single run, not the longest per-config mean over seeds.
  double stream = 0, import = 0;
  for (const RunRecord& run : r.runs) {
    stream = std::max(stream, run.run.stream_seconds);
    import = std::max(import, run.run.import_seconds);
  }
  absl::StrAppendFormat(&s, "\nLongest stream pass (Route + Feedback over gRPC): %.1f s", stream);
  if (import > 0) absl::StrAppendFormat(&s, "; longest warm-start import: %.1f s", import);
  s += ".\n";
  if (!r.command.empty()) absl::StrAppendFormat(&s, "\nReproduce: `%s`\n", r.command);
  return s;
}

absl::Status WriteReport(const Report& r, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("cannot create ", dir, ": ", ec.message()));
  const Baselines& b = r.baselines;
  const CostQuality best = b.single[b.best_single];

  std::string baselines = "baseline,cost_usd,quality,rel_cost,rel_quality\n";
  for (const NamedPoint& p : BaselinePoints(r)) {
    absl::StrAppendFormat(&baselines, "%s,%.10g,%.10g,%.10g,%.10g\n", p.name, p.point.cost,
                          p.point.quality, p.point.cost / best.cost,
                          p.point.quality / best.quality);
  }
  for (size_t i = 0; i < b.frontier.size(); ++i) {
    const CostQuality& v = b.frontier[i];
    absl::StrAppendFormat(&baselines, "frontier_vertex_%d,%.10g,%.10g,%.10g,%.10g\n", i, v.cost,
                          v.quality, v.cost / best.cost, v.quality / best.quality);
  }
  absl::StrAppendFormat(&baselines, "best_single:%s,%.10g,%.10g,1,1\n",
                        r.data->arms[b.best_single], best.cost, best.quality);

  std::string runs =
      "config,seed,queries,warm_queries,quality,cost_usd,rel_quality,rel_cost,"
      "mixture_rel_quality,mixture_rel_cost,regret_oracle,regret_oracle_first_half,"
      "regret_oracle_second_half,regret_best_single,explored,cost_weight,cost_scale_usd,"
      "import_seconds,stream_seconds,queries_per_second,spend_target\n";
  std::string regret = "config,seed,step,regret_oracle,regret_best_single\n";
  for (const RunRecord& rec : r.runs) {
    const RunMetrics& m = rec.metrics;
    absl::StrAppendFormat(
        &runs, "\"%s\",%d,%d,%d,%.10g,%.10g,%.10g,%.10g,%.10g,%.10g,%.10g,%.10g,%.10g,%.10g,%d,%.10g,%.10g,%.3f,%.3f,%.1f,%s\n",
        rec.config, rec.seed, m.queries, r.warm_queries, m.quality, m.cost, m.rel_quality,
        m.rel_cost, m.mixture_rel_quality, m.mixture_rel_cost, m.regret_oracle,
        m.regret_oracle_first_half, m.regret_oracle_second_half, m.regret_best_single,
        rec.run.explored, rec.utility.cost_weight, rec.utility.cost_scale_usd,
        rec.run.import_seconds, rec.run.stream_seconds,
        rec.run.stream_seconds > 0 ? m.queries / rec.run.stream_seconds : 0.0,
        rec.spend_target ? absl::StrFormat("%.4g", *rec.spend_target) : "");
    for (size_t i = 0; i < m.trace_steps.size(); ++i) {
      absl::StrAppendFormat(&regret, "\"%s\",%d,%d,%.6g,%.6g\n", rec.config, rec.seed,
                            static_cast<int>(m.trace_steps[i]), m.trace_oracle[i],
                            m.trace_best_single[i]);
    }
  }
  if (r.write_decisions) {
    std::string decisions = "config,seed,step,query_id,arm,quality,cost_usd\n";
    for (const RunRecord& rec : r.runs) {
      for (size_t t = 0; t < rec.run.chosen.size(); ++t) {
        const Query& q = r.data->queries[rec.order[t]];
        const Outcome& o = *q.outcomes[rec.run.chosen[t]];
        absl::StrAppendFormat(&decisions, "\"%s\",%d,%d,%s,%s,%.10g,%.10g\n", rec.config, rec.seed,
                              t, q.id, r.data->arms[rec.run.chosen[t]], o.quality, o.cost_usd);
      }
    }
    if (auto s = WriteFile(absl::StrCat(dir, "/decisions.csv"), decisions); !s.ok()) return s;
  }
  const std::vector<ConfigMean> configs = MeanByConfig(r);
  for (const auto& [name, content] :
       {std::make_pair("baselines.csv", baselines), std::make_pair("runs.csv", runs),
        std::make_pair("regret.csv", regret), std::make_pair("summary.md", SummaryMarkdown(r)),
        std::make_pair("frontier.svg", FrontierSvg(r, configs)),
        std::make_pair("regret.svg", RegretSvg(r, configs))}) {
    if (auto s = WriteFile(absl::StrCat(dir, "/", name), content); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace router::replay
