/* Client for bench/http_bench.py's /stream run: N connections each send GET /stream (Connection:
   close) at once and read until the server closes; one thread, epoll. Prints the seconds from
   the first request sent to the last response ended, and the longest any one client waited
   from sending its request to the end of its response. Exits 1 if a response does not end with
   the final END chunk, or after 60 s.
   Usage: stream_load <port> <clients> */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static const char tail[] = "3\r\nEND\r\n0\r\n\r\n";
enum { TAIL = sizeof tail - 1 };

int main(int argc, char** argv) {
    if (argc < 3) return 2;
    int port = atoi(argv[1]), n = atoi(argv[2]);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    const char req[] = "GET /stream HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    int ep = epoll_create1(0);
    double* sent = calloc(n, sizeof(double));
    char(*last)[TAIL] = calloc(n, TAIL); /* the last bytes each response sent */
    double first = 0, end = 0, longest = 0;
    for (int i = 0; i < n; ++i) {
        int s = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(s, (struct sockaddr*)&a, sizeof a)) {
            perror("connect");
            return 1;
        }
        sent[i] = now();
        if (i == 0) first = sent[i];
        if (write(s, req, sizeof req - 1) != (ssize_t)(sizeof req - 1)) return 1;
        struct epoll_event ev = {.events = EPOLLIN};
        ev.data.u64 = ((unsigned long long)s << 32) | (unsigned)i;
        epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev);
    }
    char buf[4096];
    struct epoll_event evs[256];
    for (int open = n; open > 0;) {
        if (now() - first > 60) return 1;
        int k = epoll_wait(ep, evs, 256, 1000);
        for (int e = 0; e < k; ++e) {
            int i = (int)(evs[e].data.u64 & 0xffffffffu), s = (int)(evs[e].data.u64 >> 32);
            ssize_t r = read(s, buf, sizeof buf);
            if (r > 0) {
                /* keep the last TAIL bytes seen */
                if (r >= TAIL) {
                    memcpy(last[i], buf + r - TAIL, TAIL);
                } else {
                    memmove(last[i], last[i] + r, TAIL - r);
                    memcpy(last[i] + TAIL - r, buf, r);
                }
                continue;
            }
            double t = now();
            if (r < 0 || memcmp(last[i], tail, TAIL) != 0) return 1;
            if (t - sent[i] > longest) longest = t - sent[i];
            if (t > end) end = t;
            close(s);
            --open;
        }
    }
    printf("%.3f %.3f\n", end - first, longest);
    return 0;
}
