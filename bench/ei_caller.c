/* ei_caller: the gen_call benchmark's caller written with erl_interface, the reference C
 * implementation: blocking reads on one connection, no event loop, no monitor. It tells what the
 * floor of a distribution round trip is on this machine when the caller does the least protocol
 * work, so that C++->C++ can be read against ei->ei as well as against the raw TCP floor.
 *
 *   ei_caller NAME SECONDS NODE...
 *
 * For each NODE in turn: connect, 300 ms of warm-up calls, then sequential
 * GenServer.call({PingPong, NODE}, :ping) round trips for SECONDS: {'$gen_call', {Self, Ref}, ping}
 * sent to the registered name, the reply {Ref, pong} awaited (ticks are answered by ei). Prints
 * "round 1 NODE US_PER_CALL 0" (bench/run_calls' round format; no in-flight figure: one
 * connection, one call at a time), or "failed NODE REASON". The cookie is ~/.erlang.cookie; epmd:
 * ERL_EPMD_PORT (ei honours it).
 * Build: -D_REENTRANT -lei -lpthread
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ei.h>

static double now_seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* One call: 0 when the reply {Ref, pong} came back. */
static int call(ei_cnode* node, int fd, ei_x_buff* request, ei_x_buff* reply) {
  erlang_ref ref;
  if (ei_make_ref(node, &ref) != 0) return -1;
  request->index = 0;
  if (ei_x_encode_version(request) != 0 || ei_x_encode_tuple_header(request, 3) != 0 ||
      ei_x_encode_atom(request, "$gen_call") != 0 || ei_x_encode_tuple_header(request, 2) != 0 ||
      ei_x_encode_pid(request, ei_self(node)) != 0 || ei_x_encode_ref(request, &ref) != 0 ||
      ei_x_encode_atom(request, "ping") != 0)
    return -1;
  if (ei_reg_send(node, fd, "Elixir.PingPong", request->buff, request->index) < 0) return -1;
  for (;;) {
    erlang_msg msg;
    reply->index = 0;
    int rc = ei_xreceive_msg(fd, &msg, reply);
    if (rc == ERL_TICK) continue;
    if (rc == ERL_ERROR) return -1;
    if (msg.msgtype != ERL_SEND) continue; /* a LINK or the like: not the reply */
    int index = 0, version, arity;
    erlang_ref got;
    char atom[MAXATOMLEN_UTF8];
    if (ei_decode_version(reply->buff, &index, &version) != 0 ||
        ei_decode_tuple_header(reply->buff, &index, &arity) != 0 || arity != 2 ||
        ei_decode_ref(reply->buff, &index, &got) != 0)
      continue;
    if (got.len != ref.len || memcmp(got.n, ref.n, sizeof(ref.n[0]) * (size_t)ref.len) != 0) continue;
    return ei_decode_atom(reply->buff, &index, atom) == 0 && strcmp(atom, "pong") == 0 ? 0 : -1;
  }
}

/* Calls until `seconds` have passed; the count, or -1 when a call failed. */
static long calls_for(ei_cnode* node, int fd, double seconds, ei_x_buff* request, ei_x_buff* reply) {
  double deadline = now_seconds() + seconds;
  long calls = 0;
  while (now_seconds() < deadline) {
    if (call(node, fd, request, reply) != 0) return -1;
    ++calls;
  }
  return calls;
}

int main(int argc, char** argv) {
  if (argc < 4 || atof(argv[2]) <= 0) {
    fprintf(stderr, "usage: ei_caller NAME SECONDS NODE...\n");
    return 2;
  }
  const double seconds = atof(argv[2]);
  ei_init();
  ei_cnode node;
  if (ei_connect_init(&node, argv[1], NULL, (unsigned)time(NULL) | 1u) < 0) {
    fprintf(stderr, "ei_caller: ei_connect_init failed (cookie file?)\n");
    return 1;
  }
  ei_x_buff request, reply;
  ei_x_new(&request);
  ei_x_new(&reply);
  int failed = 0;
  for (int i = 3; i < argc; ++i) {
    const char* target = argv[i];
    int fd = ei_connect(&node, (char*)target);
    if (fd < 0) {
      printf("failed %s connect\n", target);
      failed = 1;
      continue;
    }
    long calls = calls_for(&node, fd, 0.3, &request, &reply);
    double begin = now_seconds();
    if (calls >= 0) calls = calls_for(&node, fd, seconds, &request, &reply);
    double elapsed = now_seconds() - begin;
    if (calls <= 0) {
      printf("failed %s call\n", target);
      failed = 1;
    } else {
      printf("round 1 %s %.2f 0\n", target, elapsed * 1e6 / (double)calls);
    }
    fflush(stdout);
    ei_close_connection(fd);
  }
  ei_x_free(&request);
  ei_x_free(&reply);
  return failed;
}
