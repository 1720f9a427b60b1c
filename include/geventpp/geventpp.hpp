// geventpp: gevent for C++. This umbrella header brings in every public header.
#pragma once

#include <geventpp/net/address.hpp>
#include <geventpp/net/base_server.hpp>
#include <geventpp/net/datagram_server.hpp>
#include <geventpp/net/error.hpp>
#include <geventpp/net/reader.hpp>
#include <geventpp/net/resolve.hpp>
#include <geventpp/net/serve.hpp>
#include <geventpp/net/socket.hpp>
#include <geventpp/net/stream_server.hpp>
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
#include <geventpp/runtime/signal.hpp>
#include <geventpp/runtime/sleep.hpp>
#include <geventpp/runtime/threadpool.hpp>
#include <geventpp/runtime/timeout.hpp>
#include <geventpp/runtime/wait.hpp>
