/* WebSocket echo for bench/ws_bench.py's limit line: a minimal C epoll loop doing what any
   WebSocket echo server must do per message (read, unmask, frame, write) and no more. It answers
   the upgrade with a fixed 101 (echo_load does not check Sec-WebSocket-Accept), so it is a
   measuring stick for this machine's kernel, not a server.
   Usage: ws_epoll <port> */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "epoll_server.h"

enum { MAX_FD = 65536, BUF = 4096 };

struct conn {
    int upgraded;
    size_t have; /* bytes of an unfinished frame (or request head) kept from the last read */
    unsigned char buf[BUF];
};

static struct conn* conns[MAX_FD];

static const char answer[] =
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";

static int admit(int fd) {
    return fd < MAX_FD && (conns[fd] = calloc(1, sizeof(struct conn))) != NULL;
}

static void drop(int fd) {
    free(conns[fd]);
    conns[fd] = NULL;
    close(fd);
}

/* Echoes the whole frames in c->buf; keeps a partial one. Returns -1 to close. */
static int echo_frames(int fd, struct conn* c) {
    unsigned char out[BUF];
    size_t at = 0, o = 0;
    while (c->have - at >= 2) {
        const unsigned char* f = c->buf + at;
        size_t len = f[1] & 0x7f, head = 2;
        if (len == 126) {
            if (c->have - at < 4) break;
            len = (size_t)f[2] << 8 | f[3];
            head = 4;
        } else if (len == 127) {
            return -1; /* not for this benchmark */
        }
        if (!(f[1] & 0x80) || (f[0] & 0x0f) == 8) return -1; /* unmasked, or a close */
        if (c->have - at < head + 4 + len) break;
        if (o + 4 + len > sizeof out) return -1;
        const unsigned char* key = f + head;
        out[o++] = f[0];
        if (len < 126) {
            out[o++] = (unsigned char)len;
        } else {
            out[o++] = 126;
            out[o++] = (unsigned char)(len >> 8);
            out[o++] = (unsigned char)len;
        }
        for (size_t i = 0; i < len; ++i) out[o++] = f[head + 4 + i] ^ key[i & 3];
        at += head + 4 + len;
    }
    memmove(c->buf, c->buf + at, c->have - at);
    c->have -= at;
    for (size_t off = 0; off < o;) {
        ssize_t w = write(fd, out + off, o - off);
        if (w <= 0) return -1; /* a full socket buffer: not with ping-pong echo */
        off += (size_t)w;
    }
    return 0;
}

int main(int argc, char** argv) {
    int ep, ls = epoll_listen(argc > 1 ? atoi(argv[1]) : 9005, &ep);
    if (ls < 0) return 1;
    struct epoll_event evs[256];
    for (;;) {
        int n = epoll_wait(ep, evs, 256, -1);
        for (int i = 0; i < n; ++i) {
            int fd = evs[i].data.fd;
            if (fd == ls) {
                epoll_accept_all(ep, ls, admit);
                continue;
            }
            struct conn* c = conns[fd];
            ssize_t r = read(fd, c->buf + c->have, sizeof c->buf - c->have);
            if (r <= 0) {
                drop(fd);
                continue;
            }
            c->have += (size_t)r;
            if (!c->upgraded) {
                unsigned char* end = memmem(c->buf, c->have, "\r\n\r\n", 4);
                if (!end) continue;
                if (write(fd, answer, sizeof answer - 1) != (ssize_t)(sizeof answer - 1)) {
                    drop(fd);
                    continue;
                }
                c->upgraded = 1;
                size_t rest = c->have - (size_t)(end + 4 - c->buf);
                memmove(c->buf, end + 4, rest);
                c->have = rest;
            }
            if (echo_frames(fd, c) < 0) drop(fd);
        }
    }
}
