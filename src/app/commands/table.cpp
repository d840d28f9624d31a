#include "commands.hpp"

namespace flex {

const std::vector<Command>& command_table() {
  // In the order of the pipeline (DNS -> train -> infer -> analyze), then tools.
  static const std::vector<Command> table = {commands::dns(),      commands::train(), commands::infer(),
                                             commands::analyze(),  commands::validate(), commands::model(),
                                             commands::inspect(),  commands::info()};
  return table;
}

}  // namespace flex
