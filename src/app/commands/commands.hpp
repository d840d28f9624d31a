// One function per subcommand, each in its own file beside this one, and the
// table (table.cpp) that lists them in pipeline order. A command only parses:
// it reads its deck into the subsystem's config struct and calls the
// subsystem's run().
#pragma once

#include "flex/app/command.hpp"

namespace flex::commands {

Command dns();
Command train();
Command infer();
Command analyze();
Command validate();
Command model();
Command inspect();
Command info();

}  // namespace flex::commands
