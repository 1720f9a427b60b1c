/* The limit for bench/http_bench.py: a minimal C epoll HTTP/1.1 keep-alive server that answers
   every request (counted by its blank line) with a fixed "Hello, World!". No parsing beyond
   that, no Date header: nothing a real server could skip. Usage: hello_epoll <port> */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "epoll_server.h"

static const char reply[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!";

int main(int argc, char** argv) {
    int ep, ls = epoll_listen(argc > 1 ? atoi(argv[1]) : 9004, &ep);
    if (ls < 0) return 1;
    struct epoll_event evs[256];
    char buf[16384], out[64 * sizeof reply];
    for (;;) {
        int n = epoll_wait(ep, evs, 256, -1);
        for (int i = 0; i < n; ++i) {
            int fd = evs[i].data.fd;
            if (fd == ls) {
                epoll_accept_all(ep, ls, NULL);
                continue;
            }
            ssize_t r = read(fd, buf, sizeof buf - 1);
            if (r <= 0) {
                close(fd);
                continue;
            }
            buf[r] = 0;
            size_t len = 0;
            for (char* p = buf; (p = strstr(p, "\r\n\r\n")) && len + sizeof reply < sizeof out; p += 4) {
                memcpy(out + len, reply, sizeof reply - 1);
                len += sizeof reply - 1;
            }
            if (len && write(fd, out, len) < 0) close(fd);
        }
    }
}
