/* Echo server for bench/echo_bench.py: a minimal C epoll loop, the limit on this machine.
   Usage: echo_epoll <port> */
#define _GNU_SOURCE
#include <stdlib.h>

#include "epoll_server.h"

int main(int argc, char** argv) {
    int ep, ls = epoll_listen(argc > 1 ? atoi(argv[1]) : 9003, &ep);
    if (ls < 0) return 1;
    struct epoll_event evs[256];
    char buf[16384];
    for (;;) {
        int n = epoll_wait(ep, evs, 256, -1);
        for (int i = 0; i < n; ++i) {
            int fd = evs[i].data.fd;
            if (fd == ls) {
                epoll_accept_all(ep, ls, NULL);
                continue;
            }
            ssize_t r = read(fd, buf, sizeof buf);
            if (r <= 0) {
                close(fd);
                continue;
            }
            for (ssize_t off = 0; off < r;) {
                ssize_t w = write(fd, buf + off, (size_t)(r - off));
                if (w <= 0) break; /* a full socket buffer: not with ping-pong echo */
                off += w;
            }
        }
    }
}
