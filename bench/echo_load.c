/* Load generator for bench/echo_bench.py: N connections, each sending a message and waiting
   for its echo, over and over, for D seconds (one thread, epoll). Prints round trips per
   second and the p99 round-trip time. With idle=1 it opens the connections, prints "ready",
   and holds them until stdin closes.
   Usage: echo_load <port> <connections> <seconds> <message-bytes> [idle] */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
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

static int cmp(const void* a, const void* b) {
    double x = *(const double*)a, y = *(const double*)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char** argv) {
    if (argc < 5) return 2;
    int port = atoi(argv[1]), conns = atoi(argv[2]), size = atoi(argv[4]), one = 1;
    double seconds = atof(argv[3]);
    int idle = argc > 5 && atoi(argv[5]);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    int ep = epoll_create1(0);
    int* got = calloc(conns, sizeof(int));
    double* sent_at = calloc(conns, sizeof(double));
    size_t cap = 1 << 20, nsamples = 0;
    double* samples = malloc(cap * sizeof(double));
    char* msg = malloc(size);
    char buf[65536];
    memset(msg, 'x', size);
    for (int i = 0; i < conns; ++i) {
        int s = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(s, (struct sockaddr*)&a, sizeof a)) {
            perror("connect");
            return 1;
        }
        setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (unsigned)i};
        ev.data.u64 = ((unsigned long long)s << 32) | (unsigned)i;
        epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev);
        if (!idle) {
            sent_at[i] = now();
            if (write(s, msg, size) != size) return 1;
        }
    }
    if (idle) {
        printf("ready\n");
        fflush(stdout);
        while (read(0, buf, sizeof buf) > 0) {
        }
        return 0;
    }
    long trips = 0;
    double start = now(), end = start + seconds;
    struct epoll_event evs[256];
    while (now() < end) {
        int n = epoll_wait(ep, evs, 256, 100);
        for (int k = 0; k < n; ++k) {
            int i = (int)(evs[k].data.u64 & 0xffffffffu), s = (int)(evs[k].data.u64 >> 32);
            ssize_t r = read(s, buf, sizeof buf);
            if (r <= 0) return 1;
            got[i] += (int)r;
            if (got[i] >= size) {
                double t = now();
                if (nsamples < cap) samples[nsamples++] = t - sent_at[i];
                ++trips;
                got[i] = 0;
                sent_at[i] = t;
                if (write(s, msg, size) != size) return 1;
            }
        }
    }
    qsort(samples, nsamples, sizeof(double), cmp);
    printf("%.0f %.3f\n", trips / (now() - start), nsamples ? samples[(size_t)(nsamples * 0.99)] * 1e3 : 0.0);
    return 0;
}
