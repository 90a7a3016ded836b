/* ei_pingpong_node: a minimal erl_interface C node, the baseline for the gen_call benchmark.
 *
 * It registers NAME with epmd (ei honours ERL_EPMD_PORT), accepts connections, and answers
 *   - net_kernel's {is_auth, Node} call with yes (ei does not do it by itself; :net_adm.ping
 *     needs it), and
 *   - GenServer.call({PingPong, node}, :ping) with :pong (registered name 'Elixir.PingPong'),
 *     and :count with the number of pings served so far (as our node's PingPong does, so that
 *     bench/callgrind_calls counts the calls either server served the same way).
 * Other messages are ignored. One thread per connection. It prints "ready PORT" on stdout once
 * published and runs until killed.
 *
 * Usage: ei_pingpong_node NAME        (short name; the cookie is read from ~/.erlang.cookie)
 * Build: -D_REENTRANT -lei -lpthread
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ei.h>

static ei_cnode node;
static atomic_long pings;

/* The gen_call reply {Tag, Atom} (or {Tag, Integer} when atom is NULL) to From. Tag is copied as
 * the bytes it arrived as. */
static int reply(int fd, erlang_pid* from, const char* tag, int tag_len, const char* atom, long integer) {
  ei_x_buff x;
  if (ei_x_new_with_version(&x) != 0) return -1;
  int rc = ei_x_encode_tuple_header(&x, 2) == 0 && ei_x_append_buf(&x, tag, tag_len) == 0 &&
                   (atom ? ei_x_encode_atom(&x, atom) : ei_x_encode_long(&x, integer)) == 0
               ? ei_send(fd, from, x.buff, x.index)
               : -1;
  ei_x_free(&x);
  return rc;
}

/* {'$gen_call', {From, Tag}, Request} sent to a registered name. */
static void handle(int fd, const erlang_msg* msg, const ei_x_buff* x) {
  const char* buf = x->buff;
  int index = 0, version, arity, type, size;
  char atom[MAXATOMLEN_UTF8];
  erlang_pid from;
  if (ei_decode_version(buf, &index, &version) != 0 ||
      ei_decode_tuple_header(buf, &index, &arity) != 0 || arity != 3 ||
      ei_decode_atom(buf, &index, atom) != 0 || strcmp(atom, "$gen_call") != 0 ||
      ei_decode_tuple_header(buf, &index, &arity) != 0 || arity != 2 ||
      ei_decode_pid(buf, &index, &from) != 0)
    return;
  int tag_start = index;
  if (ei_skip_term(buf, &index) != 0) return;
  int tag_len = index - tag_start;
  if (ei_get_type(buf, &index, &type, &size) != 0) return;

  if (strcmp(msg->toname, "net_kernel") == 0) {
    /* {is_auth, Node}: the connection is authenticated once it exists. */
    if (ei_decode_tuple_header(buf, &index, &arity) == 0 && arity == 2 &&
        ei_decode_atom(buf, &index, atom) == 0 && strcmp(atom, "is_auth") == 0)
      reply(fd, &from, buf + tag_start, tag_len, "yes", 0);
  } else if (strcmp(msg->toname, "Elixir.PingPong") == 0) {
    if (ei_decode_atom(buf, &index, atom) != 0) return;
    if (strcmp(atom, "ping") == 0) {
      atomic_fetch_add_explicit(&pings, 1, memory_order_relaxed);
      reply(fd, &from, buf + tag_start, tag_len, "pong", 0);
    } else if (strcmp(atom, "count") == 0) {
      reply(fd, &from, buf + tag_start, tag_len, NULL, atomic_load(&pings));
    }
  }
}

static void* serve(void* arg) {
  int fd = (int)(long)arg;
  ei_x_buff x;
  ei_x_new(&x);
  for (;;) {
    erlang_msg msg;
    x.index = 0;
    int rc = ei_xreceive_msg(fd, &msg, &x);
    if (rc == ERL_TICK) continue; /* ei answers ticks itself */
    if (rc == ERL_ERROR) {
      if (erl_errno == EAGAIN || erl_errno == EMSGSIZE) continue;
      break; /* the peer went away */
    }
    if (msg.msgtype == ERL_REG_SEND) handle(fd, &msg, &x);
    /* SEND, LINK, MONITOR_P, DEMONITOR_P...: nothing to do for a ping server */
  }
  ei_x_free(&x);
  ei_close_connection(fd);
  return NULL;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: ei_pingpong_node NAME\n");
    return 2;
  }
  ei_init();
  /* A fresh creation per run, so BEAM tells this incarnation's pids from an earlier one's. */
  if (ei_connect_init(&node, argv[1], NULL, (unsigned)time(NULL) | 1u) < 0) {
    fprintf(stderr, "ei_pingpong_node: ei_connect_init failed (cookie file?)\n");
    return 1;
  }
  int port = 0;
  int listen_fd = ei_listen(&node, &port, 16);
  if (listen_fd < 0) {
    fprintf(stderr, "ei_pingpong_node: ei_listen failed\n");
    return 1;
  }
  if (ei_publish(&node, port) < 0) { /* keeps the epmd connection open while we live */
    fprintf(stderr, "ei_pingpong_node: ei_publish failed (is epmd running?)\n");
    return 1;
  }
  printf("ready %d\n", port);
  fflush(stdout);

  for (;;) {
    ErlConnect peer;
    int fd = ei_accept(&node, listen_fd, &peer);
    if (fd < 0) continue; /* a failed handshake (e.g. a wrong cookie) */
    pthread_t thread;
    if (pthread_create(&thread, NULL, serve, (void*)(long)fd) == 0) pthread_detach(thread);
    else ei_close_connection(fd);
  }
}
