/* tcp_pingpong: the floor for the gen_call benchmark, a raw loopback TCP ping-pong.
 *
 * A client thread writes REQUEST bytes and waits for REPLY bytes; a server thread reads the
 * request and writes the reply (blocking sockets, TCP_NODELAY on both ends, as the
 * distribution sockets). Round trips run for SECONDS after a warm-up; it prints
 * "floor US_PER_ROUND_TRIP ROUND_TRIPS_PER_S".
 *
 * Usage: tcp_pingpong REQUEST_BYTES REPLY_BYTES SECONDS
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static size_t request_bytes, reply_bytes;

static int transfer(int fd, char* buf, size_t n, int writing) {
  for (size_t done = 0; done < n;) {
    ssize_t r = writing ? write(fd, buf + done, n - done) : read(fd, buf + done, n - done);
    if (r <= 0) return -1;
    done += (size_t)r;
  }
  return 0;
}

static void no_delay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static void* serve(void* arg) {
  int fd = accept((int)(long)arg, NULL, NULL);
  if (fd < 0) return NULL;
  no_delay(fd);
  char* buf = calloc(1, request_bytes > reply_bytes ? request_bytes : reply_bytes);
  while (transfer(fd, buf, request_bytes, 0) == 0 && transfer(fd, buf, reply_bytes, 1) == 0) {
  }
  free(buf);
  close(fd);
  return NULL;
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: tcp_pingpong REQUEST_BYTES REPLY_BYTES SECONDS\n");
    return 2;
  }
  request_bytes = (size_t)atol(argv[1]);
  reply_bytes = (size_t)atol(argv[2]);
  double seconds = atof(argv[3]);
  if (request_bytes == 0 || reply_bytes == 0 || seconds <= 0) return 2;

  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  if (listener < 0 || bind(listener, (struct sockaddr*)&addr, sizeof addr) != 0 ||
      listen(listener, 1) != 0 || getsockname(listener, (struct sockaddr*)&addr, &len) != 0) {
    perror("tcp_pingpong: listen");
    return 1;
  }
  pthread_t server;
  pthread_create(&server, NULL, serve, (void*)(long)listener);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(fd, (struct sockaddr*)&addr, sizeof addr) != 0) {
    perror("tcp_pingpong: connect");
    return 1;
  }
  no_delay(fd);

  char* buf = calloc(1, request_bytes > reply_bytes ? request_bytes : reply_bytes);
  for (int i = 0; i < 2000; ++i)  /* warm-up */
    if (transfer(fd, buf, request_bytes, 1) != 0 || transfer(fd, buf, reply_bytes, 0) != 0)
      return 1;
  long trips = 0;
  double start = now(), elapsed;
  do {
    for (int i = 0; i < 500; ++i, ++trips)
      if (transfer(fd, buf, request_bytes, 1) != 0 || transfer(fd, buf, reply_bytes, 0) != 0)
        return 1;
    elapsed = now() - start;
  } while (elapsed < seconds);
  printf("floor %.2f %.0f\n", elapsed * 1e6 / (double)trips, (double)trips / elapsed);
  close(fd);
  pthread_join(server, NULL);
  free(buf);
  close(listener);
  return 0;
}
