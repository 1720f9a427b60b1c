/* The limit for bench/http_bench.py: a minimal C epoll HTTP/1.1 keep-alive server that answers
   every request (counted by its blank line) with a fixed "Hello, World!". No parsing beyond
   that, no Date header: nothing a real server could skip. Given a certificate and key it speaks
   TLS (non-blocking SSL per connection, as epoll_tls.h sets it up), the floor for
   bench/tls_bench.py: what OpenSSL and the kernel cost on this machine.
   Usage: hello_epoll <port> [<cert> <key>] */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "epoll_server.h"
#include "epoll_tls.h"

enum { MAX_FD = 65536 };

static const char reply[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!";

static SSL_CTX* ctx;
static SSL* tls[MAX_FD]; /* each connection's, when ctx is set */

static int admit(int fd) {
    if (fd >= MAX_FD) return 0;
    if (ctx) tls[fd] = epoll_tls_accept(ctx, fd);
    return 1;
}

static void drop(int fd) {
    SSL_free(tls[fd]);
    tls[fd] = NULL;
    close(fd);
}

/* Reads what fd has (over TLS: until OpenSSL holds nothing more, the handshake first) and
   answers each complete request in it. */
static void serve(int fd) {
    char buf[16384], out[64 * sizeof reply];
    SSL* ssl = tls[fd];
    do {
        int r = ssl ? SSL_read(ssl, buf, sizeof buf - 1) : (int)read(fd, buf, sizeof buf - 1);
        if (r <= 0) {
            int e = ssl ? SSL_get_error(ssl, r) : SSL_ERROR_SYSCALL;
            if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) drop(fd);
            return;
        }
        buf[r] = 0;
        int len = 0;
        for (char* p = buf; (p = strstr(p, "\r\n\r\n")) && len + sizeof reply < sizeof out; p += 4) {
            memcpy(out + len, reply, sizeof reply - 1);
            len += sizeof reply - 1;
        }
        if (len && (ssl ? SSL_write(ssl, out, len) : (int)write(fd, out, len)) != len) {
            drop(fd);
            return;
        }
    } while (ssl);
}

int main(int argc, char** argv) {
    if (argc > 3 && !(ctx = epoll_tls_context(argv[2], argv[3]))) return 1;
    int ep, ls = epoll_listen(argc > 1 ? atoi(argv[1]) : 9004, &ep);
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
