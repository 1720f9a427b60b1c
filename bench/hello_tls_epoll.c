/* The floor for bench/tls_bench.py: hello_epoll.c over OpenSSL. A minimal C epoll HTTPS
   keep-alive server, non-blocking SSL per connection (read-ahead on, buffers released while
   idle, server session cache and TLS 1.3 tickets at OpenSSL's defaults), answering every
   request (counted by its blank line) with a fixed "Hello, World!", closing when the peer does.
   No parsing, no Date header, no timeouts: only what any HTTPS server must do, so its figures
   are what OpenSSL and the kernel cost on this machine.
   Usage: hello_tls_epoll <port> <cert> <key> */
#define _GNU_SOURCE
#include <openssl/ssl.h>
#include <stdlib.h>
#include <string.h>

#include "epoll_server.h"

static const char reply[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!";

static SSL_CTX* ctx;
static SSL** conns;

static int admit(int fd) {
    if (fd >= 65536) return 0;
    conns[fd] = SSL_new(ctx);
    SSL_set_fd(conns[fd], fd);
    SSL_set_accept_state(conns[fd]);
    return 1;
}

static void drop(int fd) {
    SSL_free(conns[fd]);
    conns[fd] = NULL;
    close(fd);
}

/* Reads every record there is (the handshake first), answering each complete request; closes
   fd when the peer has gone. */
static void serve(int fd) {
    char buf[16384], out[64 * sizeof reply];
    for (;;) {
        int r = SSL_read(conns[fd], buf, sizeof buf - 1);
        if (r <= 0) {
            int e = SSL_get_error(conns[fd], r);
            if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) drop(fd);
            return;
        }
        buf[r] = 0;
        int len = 0;
        for (char* p = buf; (p = strstr(p, "\r\n\r\n")) && len + sizeof reply < sizeof out; p += 4) {
            memcpy(out + len, reply, sizeof reply - 1);
            len += sizeof reply - 1;
        }
        if (len && SSL_write(conns[fd], out, len) != len) {
            drop(fd);
            return;
        }
    }
}

int main(int argc, char** argv) {
    if (argc < 4) return 2;
    ctx = SSL_CTX_new(TLS_server_method());
    SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_read_ahead(ctx, 1);
    if (SSL_CTX_use_certificate_chain_file(ctx, argv[2]) != 1 || SSL_CTX_use_PrivateKey_file(ctx, argv[3], SSL_FILETYPE_PEM) != 1) {
        return 1;
    }
    conns = calloc(65536, sizeof *conns);
    int ep, ls = epoll_listen(atoi(argv[1]), &ep);
    if (ls < 0) return 1;
    struct epoll_event evs[256];
    for (;;) {
        int n = epoll_wait(ep, evs, 256, -1);
        for (int i = 0; i < n; ++i) {
            int fd = evs[i].data.fd;
            if (fd == ls) {
                epoll_accept_all(ep, ls, admit);
            } else {
                serve(fd);
            }
        }
    }
}
