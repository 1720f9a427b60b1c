/* A plain blocking-socket client in C, knowing nothing of geventpp: the kind of third-party
   code the monkey library makes cooperative. */
#pragma once
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Connects to 127.0.0.1:port, sends `request`, reads the reply until the server closes.
   Returns the reply's length, or -1 with errno set. */
long blocking_exchange(int port, const char* request, char* reply, size_t capacity);

#ifdef __cplusplus
}
#endif
