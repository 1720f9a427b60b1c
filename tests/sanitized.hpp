// Whether this test binary is the AddressSanitizer build (make test runs both). Memory budgets
// (RSS per greenlet) do not hold there: ASan adds shadow memory and redzones to everything.
#pragma once

#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool sanitized = true;
#else
inline constexpr bool sanitized = false;
#endif
