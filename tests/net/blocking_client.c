#include "blocking_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

long blocking_exchange(int port, const char* request, char* reply, size_t capacity) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((unsigned short)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    long got = 0;
    if (connect(fd, (struct sockaddr*)&addr, sizeof addr) < 0) goto fail;
    if (send(fd, request, strlen(request), 0) < 0) goto fail;
    for (;;) {
        const ssize_t n = recv(fd, reply + got, capacity - (size_t)got, 0);
        if (n < 0) goto fail;
        if (n == 0) break;
        got += n;
    }
    close(fd);
    return got;
fail:;
    const int saved = errno;
    close(fd);
    errno = saved;
    return -1;
}
