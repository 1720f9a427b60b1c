/* What the C floor servers over TLS (hello_tls_epoll.c, ws_epoll.c with a certificate) share:
   OpenSSL's server context as every server in bench/tls_bench.py is configured (TLS 1.3,
   buffers released while idle, records read ahead, OpenSSL's session cache and tickets), and
   a non-blocking SSL for an accepted descriptor. Header-only, as epoll_server.h. */
#pragma once
#include <openssl/ssl.h>

/* The server context for cert and key (PEM files); NULL if they do not load. */
static SSL_CTX* epoll_tls_context(const char* cert, const char* key) {
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_read_ahead(ctx, 1);
    if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

/* An SSL on the accepted, non-blocking fd; its handshake runs inside the first SSL_read. */
static SSL* epoll_tls_accept(SSL_CTX* ctx, int fd) {
    SSL* ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    SSL_set_accept_state(ssl);
    return ssl;
}
