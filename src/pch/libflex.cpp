// libflex is assembled from the subsystem archives; this unit only gives the
// shared library a source of its own and records the version it was built as.
#include "flex/config.hpp"

extern "C" const char* flex_version_string() { return FLEX_VERSION_STRING; }
