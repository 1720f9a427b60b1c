/* WebSocket echo for bench/ws_bench.py's limit line: a minimal C epoll loop doing what any
   WebSocket echo server must do per message (read, unmask, frame, write) and no more. It answers
   the upgrade with a fixed 101 (echo_load does not check Sec-WebSocket-Accept), so it is a
   measuring stick for this machine's kernel, not a server. Given a certificate and key it
   speaks TLS (wss://, for bench/tls_bench.py): then it is the floor OpenSSL sets.
   Usage: ws_epoll <port> [<cert> <key>] */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "epoll_server.h"
#include "epoll_tls.h"

enum { MAX_FD = 65536, BUF = 4096 };

struct conn {
    SSL* ssl; /* NULL for plain TCP */
    int upgraded;
    size_t have; /* bytes of an unfinished frame (or request head) kept from the last read */
    unsigned char buf[BUF];
};

static struct conn* conns[MAX_FD];
static SSL_CTX* ctx;

static const char answer[] =
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";

static int admit(int fd) {
    if (fd >= MAX_FD || !(conns[fd] = calloc(1, sizeof(struct conn)))) return 0;
    if (ctx) conns[fd]->ssl = epoll_tls_accept(ctx, fd);
    return 1;
}

static void drop(int fd) {
    SSL_free(conns[fd]->ssl);
    free(conns[fd]);
    conns[fd] = NULL;
    close(fd);
}

/* One read or write, over TLS when c has it. A TLS read that needs more bytes (or one that ran
   the handshake) returns -2: wait for the socket. */
static ssize_t conn_io(int fd, struct conn* c, void* p, size_t n, int writing) {
    if (!c->ssl) return writing ? write(fd, p, n) : read(fd, p, n);
    int r = writing ? SSL_write(c->ssl, p, (int)n) : SSL_read(c->ssl, p, (int)n);
    if (r > 0) return r;
    int e = SSL_get_error(c->ssl, r);
    return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE ? -2 : -1;
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
        ssize_t w = conn_io(fd, c, out + off, o - off, 1);
        if (w <= 0) return -1; /* a full socket buffer: not with ping-pong echo */
        off += (size_t)w;
    }
    return 0;
}

/* Reads what fd has (a TLS connection: until OpenSSL holds nothing more) and answers it. */
static void serve(int fd) {
    struct conn* c = conns[fd];
    do {
        ssize_t r = conn_io(fd, c, c->buf + c->have, sizeof c->buf - c->have, 0);
        if (r == -2) return;
        if (r <= 0) {
            drop(fd);
            return;
        }
        c->have += (size_t)r;
        if (!c->upgraded) {
            unsigned char* end = memmem(c->buf, c->have, "\r\n\r\n", 4);
            if (!end) continue;
            if (conn_io(fd, c, (void*)answer, sizeof answer - 1, 1) != (ssize_t)(sizeof answer - 1)) {
                drop(fd);
                return;
            }
            c->upgraded = 1;
            size_t rest = c->have - (size_t)(end + 4 - c->buf);
            memmove(c->buf, end + 4, rest);
            c->have = rest;
        }
        if (echo_frames(fd, c) < 0) {
            drop(fd);
            return;
        }
    } while (c->ssl);
}

int main(int argc, char** argv) {
    if (argc > 3 && !(ctx = epoll_tls_context(argv[2], argv[3]))) return 1;
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
            serve(fd);
        }
    }
}
