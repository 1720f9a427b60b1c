// Exceptions of the runtime layer.
//
// GreenletExit is what kill() raises inside a greenlet by default; a greenlet that ends with it
// counts as successful, as in gevent. UsageError is thrown for misuse of the API (calling a
// blocking function outside a hub, joining yourself, releasing an unlocked Lock...) and its
// message says what to do instead.
#pragma once

#include <stdexcept>
#include <string>

namespace gev {

// Raised in a greenlet by Greenlet::kill(); catching it is allowed (for clean-up), swallowing it
// makes the greenlet live on, as in gevent.
class GreenletExit : public std::exception {
public:
    const char* what() const noexcept override { return "GreenletExit: the greenlet was killed"; }
};

// Misuse of the API. The message names the call, what went wrong and the fix.
class UsageError : public std::logic_error {
public:
    using std::logic_error::logic_error;
};

namespace detail {
// Human-readable type name of the exception held by `e` ("std::runtime_error").
std::string exception_type_name(const std::exception_ptr& e);
// "type: what()" of `e`, for reports.
std::string describe(const std::exception_ptr& e);
}  // namespace detail

}  // namespace gev
