/*
 * loopback-send.c - what one 1 MiB READ reply costs to send over loopback, by method.
 *
 *   cc -O2 -pthread -o /tmp/loopback-send deploy/bench/loopback-send.c
 *   /tmp/loopback-send METHOD FILE [PASSES]
 *
 * A sender thread sends FILE (read it once first, so it is in the page cache) PASSES times
 * (default 4) in 1 MiB pieces over a loopback TCP connection (TCP_NODELAY, as the NBD server
 * sets) to a receiver thread that recv()s into a 1 MiB buffer, as an NBD client does. METHOD:
 *   sendfile   sendfile(2) from the file (what Blockhaus does for a clean range)
 *   splice     splice(2) file -> 1 MiB pipe -> socket (sendfile with a larger pipe)
 *   pread      pread(2) into a buffer, then send(2) it (what nbdkit's file plugin does)
 *   hot        send(2) one buffer over and over (the bytes are always in the CPU cache)
 * Prints throughput and each thread's CPU time per GB (CLOCK_THREAD_CPUTIME_ID), which on
 * loopback includes the TCP receive processing the kernel runs in the sender's context.
 * Used for docs/benchmarks.md ("What sendfile costs on loopback").
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PIECE (1 << 20)

static double clock_of(clockid_t id) {
    struct timespec t;
    clock_gettime(id, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void die(const char *what) {
    perror(what);
    exit(1);
}

struct receiver {
    int fd;
    long bytes;
    double cpu;
};

static void *receive(void *arg) {
    struct receiver *r = arg;
    char *buf = malloc(PIECE);
    double c0 = clock_of(CLOCK_THREAD_CPUTIME_ID);
    for (;;) {
        ssize_t n = recv(r->fd, buf, PIECE, 0);
        if (n < 0)
            die("recv");
        if (n == 0)
            break;
        r->bytes += n;
    }
    r->cpu = clock_of(CLOCK_THREAD_CPUTIME_ID) - c0;
    free(buf);
    return NULL;
}

static void send_all(int sock, const char *buf, long len) {
    while (len > 0) {
        ssize_t n = send(sock, buf, len, 0);
        if (n <= 0)
            die("send");
        buf += n;
        len -= n;
    }
}

static void send_piece(const char *method, int sock, int file, off_t off, int pipefd[2], char *buf) {
    if (strcmp(method, "sendfile") == 0) {
        for (long left = PIECE; left > 0;) {
            ssize_t n = sendfile(sock, file, &off, left);
            if (n <= 0)
                die("sendfile");
            left -= n;
        }
    } else if (strcmp(method, "splice") == 0) {
        loff_t in = off;
        for (long left = PIECE; left > 0;) {
            ssize_t n = splice(file, &in, pipefd[1], NULL, left, SPLICE_F_MOVE);
            if (n <= 0)
                die("splice from file");
            left -= n;
            for (ssize_t m = n; m > 0;) {
                ssize_t k = splice(pipefd[0], NULL, sock, NULL, m, SPLICE_F_MOVE | (left > 0 ? SPLICE_F_MORE : 0));
                if (k <= 0)
                    die("splice to socket");
                m -= k;
            }
        }
    } else if (strcmp(method, "pread") == 0) {
        if (pread(file, buf, PIECE, off) != PIECE)
            die("pread");
        send_all(sock, buf, PIECE);
    } else {
        send_all(sock, buf, PIECE);
    }
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s sendfile|splice|pread|hot FILE [PASSES]\n", argv[0]);
        return 2;
    }
    const char *method = argv[1];
    int passes = argc > 3 ? atoi(argv[3]) : 4;
    int file = open(argv[2], O_RDONLY);
    struct stat st;
    if (file < 0 || fstat(file, &st) != 0)
        die(argv[2]);
    long size = st.st_size / PIECE * PIECE;
    if (size == 0) {
        fprintf(stderr, "%s: smaller than 1 MiB\n", argv[2]);
        return 2;
    }

    int listener = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof addr;
    if (bind(listener, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(listener, 1) != 0
        || getsockname(listener, (struct sockaddr *)&addr, &alen) != 0)
        die("listen");
    struct receiver r = {.fd = socket(AF_INET, SOCK_STREAM, 0)};
    if (connect(r.fd, (struct sockaddr *)&addr, sizeof addr) != 0)
        die("connect");
    int sock = accept(listener, NULL, NULL);
    if (sock < 0 || setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0)
        die("accept");

    int pipefd[2];
    if (pipe(pipefd) != 0 || fcntl(pipefd[1], F_SETPIPE_SZ, PIECE) < PIECE)
        die("pipe");
    char *buf = malloc(PIECE);
    memset(buf, 0x5a, PIECE);

    pthread_t rx;
    pthread_create(&rx, NULL, receive, &r);
    double c0 = clock_of(CLOCK_THREAD_CPUTIME_ID), t0 = clock_of(CLOCK_MONOTONIC);
    for (int p = 0; p < passes; p++)
        for (off_t off = 0; off < size; off += PIECE)
            send_piece(method, sock, file, off, pipefd, buf);
    double sender = clock_of(CLOCK_THREAD_CPUTIME_ID) - c0;
    shutdown(sock, SHUT_WR);
    pthread_join(rx, NULL);
    double elapsed = clock_of(CLOCK_MONOTONIC) - t0;
    double gb = r.bytes / 1e9;
    printf("%-8s %.2f GB/s  sender %.3f s/GB  receiver %.3f s/GB\n", method, gb / elapsed, sender / gb, r.cpu / gb);
    return 0;
}
