// The hubs the monitor watches: one entry per hub inside gev::run.
#pragma once

#include <geventpp/runtime/hub.hpp>

namespace gev::detail {

void monitor_attach(Hub& hub);
void monitor_detach(Hub& hub);

}  // namespace gev::detail
