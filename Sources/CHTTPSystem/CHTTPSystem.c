#define _GNU_SOURCE
#include "CHTTPSystem.h"
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <pthread.h>

int rcrp_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

int rcrp_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t token) {
    struct epoll_event ev;
    ev.events = events;
    ev.data.u64 = token;
    return epoll_ctl(epfd, op, fd, &ev);
}

int rcrp_epoll_wait(int epfd, uint64_t *tokens, uint32_t *events, int maxEvents, int timeoutMillis) {
    struct epoll_event ev[RCRP_MAX_EVENTS];
    if (maxEvents > RCRP_MAX_EVENTS) maxEvents = RCRP_MAX_EVENTS;
    int n = epoll_wait(epfd, ev, maxEvents, timeoutMillis);
    for (int i = 0; i < n; i++) {
        tokens[i] = ev[i].data.u64;
        events[i] = ev[i].events;
    }
    return n;
}

int rcrp_eventfd(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

int rcrp_accept(int listenFD, struct sockaddr *addr, socklen_t *len) {
    return accept4(listenFD, addr, len, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

int rcrp_set_thread_name(const char *name) { return pthread_setname_np(pthread_self(), name); }
