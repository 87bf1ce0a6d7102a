#ifndef RCRP_CHTTPSYSTEM_H
#define RCRP_CHTTPSYSTEM_H
/* Linux calls that Swift's Glibc module does not export (epoll, eventfd, accept4, naming a thread),
   wrapped so Swift never touches the packed struct epoll_event. */
#include <stdint.h>
#include <sys/socket.h>

enum {
    RCRP_EPOLLIN = 0x001, RCRP_EPOLLOUT = 0x004, RCRP_EPOLLERR = 0x008, RCRP_EPOLLHUP = 0x010,
    RCRP_EPOLL_CTL_ADD = 1, RCRP_EPOLL_CTL_DEL = 2, RCRP_EPOLL_CTL_MOD = 3,
    RCRP_MAX_EVENTS = 512
};

int rcrp_epoll_create(void);
/* token: what epoll_wait reports for fd (data.u64); the server puts a connection id in it. */
int rcrp_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t token);
/* Waits; fills tokens[i]/events[i] for up to maxEvents (<= RCRP_MAX_EVENTS) ready descriptors. */
int rcrp_epoll_wait(int epfd, uint64_t *tokens, uint32_t *events, int maxEvents, int timeoutMillis);
int rcrp_eventfd(void);
int rcrp_accept(int listenFD, struct sockaddr *addr, socklen_t *len);
/* Names the calling thread (at most 15 bytes are kept); 0 or an errno. */
int rcrp_set_thread_name(const char *name);
#endif
