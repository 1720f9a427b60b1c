/* What the C limit servers (echo_epoll.c, hello_epoll.c, ws_epoll.c) share: a listener on
   127.0.0.1 in an epoll set, and accepting from it. Header-only: each is one small program;
   define _GNU_SOURCE first. */
#pragma once
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

/* A non-blocking listener on 127.0.0.1:port, in the new epoll set *ep; -1 on failure. */
static int epoll_listen(int port, int* ep) {
    int one = 1;
    int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (bind(ls, (struct sockaddr*)&a, sizeof a) || listen(ls, 1024)) return -1;
    *ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = ls};
    epoll_ctl(*ep, EPOLL_CTL_ADD, ls, &ev);
    return ls;
}

/* Accepts every pending connection on ls into ep (TCP_NODELAY, level-triggered input), each
   after admit(fd) said yes (nonzero); a refused one is closed. admit may be NULL. */
static void epoll_accept_all(int ep, int ls, int (*admit)(int fd)) {
    int one = 1, c;
    while ((c = accept4(ls, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
        if (admit && !admit(c)) {
            close(c);
            continue;
        }
        setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct epoll_event cev = {.events = EPOLLIN, .data.fd = c};
        epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
    }
}
