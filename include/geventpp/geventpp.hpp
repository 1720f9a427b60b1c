// geventpp: gevent for C++. This umbrella header brings in every public header.
#pragma once

#include <geventpp/runtime/async_result.hpp>
#include <geventpp/runtime/error.hpp>
#include <geventpp/runtime/event.hpp>
#include <geventpp/runtime/greenlet.hpp>
#include <geventpp/runtime/hub.hpp>
#include <geventpp/runtime/lock.hpp>
#include <geventpp/runtime/monitor.hpp>
#include <geventpp/runtime/pool.hpp>
#include <geventpp/runtime/queue.hpp>
#include <geventpp/runtime/seconds.hpp>
#include <geventpp/runtime/semaphore.hpp>
#include <geventpp/runtime/sleep.hpp>
#include <geventpp/runtime/threadpool.hpp>
#include <geventpp/runtime/timeout.hpp>
#include <geventpp/runtime/wait.hpp>
