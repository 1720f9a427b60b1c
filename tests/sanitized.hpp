// Whether this test binary is a sanitizer build (make test runs the ASan+UBSan one, make test-tsan
// the ThreadSanitizer one). Memory budgets (RSS per greenlet) do not hold there: ASan adds shadow
// memory and redzones to everything; and TSan allows at most 8,128 live fibers.
#pragma once

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)  // the sanitizer builds use g++
inline constexpr bool sanitized = true;
#else
inline constexpr bool sanitized = false;
#endif
