/* Load generator for bench/echo_bench.py and bench/ws_bench.py: N connections, each sending a
   message and waiting for its echo, over and over, for D seconds (one thread, epoll). Prints
   round trips per second and the p99 round-trip time. With idle=1 it opens the connections,
   prints "ready", and holds them until stdin closes. With ws=1 each connection is a WebSocket
   to /echo (handshake first; the message is one masked text frame, under 126 bytes, and the
   echo an unmasked one; permessage-deflate is not offered). With tls=1 every connection is
   TLS 1.3 first (OpenSSL, SNI "localhost", no verification, as wrk): wss:// for ws=1.
   Usage: echo_load <port> <connections> <seconds> <message-bytes> [idle] [ws] [tls] */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
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

/* A connection: its socket, and its TLS session when the run is over TLS. */
struct Conn {
    int fd;
    SSL* ssl;
};

static ssize_t conn_read(struct Conn* c, void* buf, size_t n) {
    return c->ssl ? SSL_read(c->ssl, buf, (int)n) : read(c->fd, buf, n);
}

static ssize_t conn_write(struct Conn* c, const void* buf, size_t n) {
    return c->ssl ? SSL_write(c->ssl, buf, (int)n) : write(c->fd, buf, n);
}

/* Sends a WebSocket upgrade for /echo and reads the answer up to its blank line; 0 on a 101. */
static int upgrade(struct Conn* c, int port) {
    char req[512], head[4096];
    int n = snprintf(req, sizeof req,
                     "GET /echo HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
                     port);
    if (conn_write(c, req, n) != n) return -1;
    size_t got = 0;
    while (got < sizeof head - 1) {
        if (conn_read(c, head + got, 1) != 1) return -1;
        head[++got] = 0;
        if (got >= 4 && memcmp(head + got - 4, "\r\n\r\n", 4) == 0) break;
    }
    return strncmp(head, "HTTP/1.1 101", 12) == 0 ? 0 : -1;
}

int main(int argc, char** argv) {
    if (argc < 5) return 2;
    int port = atoi(argv[1]), conns = atoi(argv[2]), size = atoi(argv[4]), one = 1;
    double seconds = atof(argv[3]);
    int idle = argc > 5 && atoi(argv[5]), ws = argc > 6 && atoi(argv[6]), tls = argc > 7 && atoi(argv[7]);
    if (ws && size >= 126) return 2;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    int ep = epoll_create1(0);
    int* got = calloc(conns, sizeof(int));
    struct Conn* cs = calloc(conns, sizeof *cs);
    SSL_CTX* ctx = tls ? SSL_CTX_new(TLS_client_method()) : NULL;
    if (ctx) SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
    double* sent_at = calloc(conns, sizeof(double));
    size_t cap = 1 << 20, nsamples = 0;
    double* samples = malloc(cap * sizeof(double));
    /* What is sent, and how many bytes make its echo. */
    int msg_len = ws ? 6 + size : size, reply_len = ws ? 2 + size : size;
    unsigned char* msg = malloc(msg_len);
    if (ws) {
        const unsigned char key[4] = {0x37, 0xfa, 0x21, 0x3d};
        msg[0] = 0x81; /* FIN, text */
        msg[1] = 0x80 | size;
        memcpy(msg + 2, key, 4);
        for (int i = 0; i < size; ++i) msg[6 + i] = 'x' ^ key[i % 4];
    } else {
        memset(msg, 'x', size);
    }
    char buf[65536];
    for (int i = 0; i < conns; ++i) {
        struct Conn* c = &cs[i];
        c->fd = socket(AF_INET, SOCK_STREAM, 0);
        int ok = connect(c->fd, (struct sockaddr*)&a, sizeof a) == 0;
        if (ok && tls) {
            c->ssl = SSL_new(ctx);
            SSL_set_fd(c->ssl, c->fd);
            SSL_set_tlsext_host_name(c->ssl, "localhost");
            ok = SSL_connect(c->ssl) == 1;
        }
        if (!ok || (ws && upgrade(c, port))) {
            fprintf(stderr, "connection %d failed\n", i);
            return 1;
        }
        setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (unsigned)i};
        epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
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
    for (int i = 0; i < conns; ++i) {
        sent_at[i] = start;
        if (conn_write(&cs[i], msg, msg_len) != msg_len) return 1;
    }
    struct epoll_event evs[256];
    while (now() < end) {
        int n = epoll_wait(ep, evs, 256, 100);
        for (int k = 0; k < n; ++k) {
            int i = (int)evs[k].data.u32;
            ssize_t r = conn_read(&cs[i], buf, sizeof buf);
            if (r <= 0) return 1;
            got[i] += (int)r;
            if (got[i] >= reply_len) {
                double t = now();
                if (nsamples < cap) samples[nsamples++] = t - sent_at[i];
                ++trips;
                got[i] = 0;
                sent_at[i] = t;
                if (conn_write(&cs[i], msg, msg_len) != msg_len) return 1;
            }
        }
    }
    qsort(samples, nsamples, sizeof(double), cmp);
    printf("%.0f %.3f\n", trips / (now() - start), nsamples ? samples[(size_t)(nsamples * 0.99)] * 1e3 : 0.0);
    return 0;
}
