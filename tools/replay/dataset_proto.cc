#include "tools/replay/dataset_proto.h"

namespace router::replay {

v1::ImportOutcomesRequest ToImportRequest(const Dataset& data, const Query& query,
                                          const std::string& router) {
  v1::ImportOutcomesRequest item;
  item.set_router(router);
  item.set_id(query.id);
  item.set_text(query.text);
  for (size_t a = 0; a < data.arms.size(); ++a) {
    if (!query.outcomes[a]) continue;
    const Outcome& o = *query.outcomes[a];
    v1::ArmOutcome* out = item.add_outcomes();
    out->set_arm(data.arms[a]);
    out->set_quality(o.quality);
    out->set_cost_usd(o.cost_usd);
    SetMeasurements(o, out);
  }
  return item;
}

}  // namespace router::replay
