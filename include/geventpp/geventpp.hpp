// geventpp: gevent for C++. This umbrella header brings in every public header.
#pragma once

#include <geventpp/runtime/error.hpp>
#include <geventpp/runtime/greenlet.hpp>
#include <geventpp/runtime/hub.hpp>
#include <geventpp/runtime/monitor.hpp>
#include <geventpp/runtime/seconds.hpp>
#include <geventpp/runtime/sleep.hpp>
#include <geventpp/runtime/timeout.hpp>
