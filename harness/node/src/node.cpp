// Node setup, the connection table (dialling, accepting, simultaneous connect, node-down) and
// the blocking public API.
#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <charconv>
#include <future>

#include "distspec/node/epmd_daemon.hpp"
#include "distspec/proto/node_name.hpp"
#include "node_impl.hpp"

namespace distspec::node {

proto::DistFlags node_flags(bool hidden) {
  proto::DistFlags flags = proto::kOtp25AdvertisedFlags & ~proto::dflag::spawn;
  if (hidden) flags &= ~proto::dflag::published;
  return flags;
}

std::string describe_pid(const etf::Pid& pid) {
  char numbers[24];  // ".ID.SERIAL>": two 10-digit numbers at most
  char* end = numbers;
  *end++ = '.';
  end = std::to_chars(end, numbers + 11, pid.id).ptr;
  *end++ = '.';
  end = std::to_chars(end, numbers + 22, pid.serial).ptr;
  *end++ = '>';
  std::string out;
  out.reserve(pid.node.name.size() + 1 + std::size_t(end - numbers));
  return out.append("<").append(pid.node.name).append(numbers, end);
}

Node::Impl::Impl(NodeOptions o)
    : options(std::move(o)),
      log(options.log),
      message_log_budget(options.message_lines_per_second),
      acceptor(io),
      random(std::random_device{}()) {
  if (options.epmd_port == 0) options.epmd_port = epmd_port_from_environment();
  if (options.record_corpus_dir) corpus.emplace(*options.record_corpus_dir);
}

Result<std::monostate, NodeError> Node::Impl::open() {
  std::string_view alive = std::string_view(options.name).substr(0, options.name.find('@'));
  if (!proto::parse_node_name(options.name)) return NodeError{"Invalid node name: " + options.name};
  boost::system::error_code ec;
  tcp::endpoint endpoint(asio::ip::address_v4::any(), options.listen_port);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return NodeError{"cannot listen on port " + std::to_string(options.listen_port) + ": " + ec.message()};
  listening_port = acceptor.local_endpoint().port();
  log.info("listening on port " + std::to_string(listening_port));

  if (options.register_with_epmd) {
    if (options.start_epmd && !ensure_epmd_running(options.epmd_port, log))
      return NodeError{"no epmd on port " + std::to_string(options.epmd_port)};
    proto::epmd::NodeEntry entry;
    entry.port = listening_port;
    entry.name = std::string(alive);
    std::optional<Result<std::uint32_t, EpmdFailure>> result;
    registration = EpmdRegistration::start(io, options.epmd_port, entry,
                                           [&](Result<std::uint32_t, EpmdFailure> r) { result.emplace(std::move(r)); });
    while (!result && io.run_one()) {
    }
    io.restart();
    if (!result || !*result) {
      std::string why = result ? result->error().message : "epmd registration did not finish";
      return NodeError{"Protocol 'inet_tcp': " + why};
    }
    creation = result->value();
    log.info("registered " + std::string(alive) + " with epmd on port " + std::to_string(options.epmd_port) +
             " (creation " + std::to_string(creation) + ")");
  } else {
    // OTP without epmd picks a random creation; 0 and 1..3 (old 2-bit creations) are avoided.
    creation = 4 + random() % 0xFFFFFFF0u;
  }
  table = std::make_unique<ProcessTable>(options.name, creation, *this);
  install_builtin_processes();
  accept_next();
  return std::monostate{};
}

void Node::Impl::accept_next() {
  acceptor.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
    if (ec) {
      if (ec != asio::error::operation_aborted && !stopping) {
        log.warning("accept failed: " + ec.message());
        accept_next();
      }
      return;
    }
    auto connection = std::make_shared<Connection>(*this, std::move(socket), Connection::Role::Acceptor, "");
    connections.insert(connection);
    connection->start();
    accept_next();
  });
}

std::shared_ptr<Connection> Node::Impl::up_connection(std::string_view node) const {
  auto it = up.find(node);
  return it == up.end() ? nullptr : it->second;
}

proto::ExistingConnection Node::Impl::existing(const std::string& peer) const {
  if (up.count(peer)) return proto::ExistingConnection::Up;
  if (pending.count(peer)) return proto::ExistingConnection::PendingOutgoing;
  return proto::ExistingConnection::None;
}

void Node::Impl::on_simultaneous(const std::string& peer, const Connection* keep) {
  // The peer's attempt wins: drop ours wherever it is (still asking epmd, or connecting: a dial
  // left running would reach the peer once this connection is up, and replace it), and keep its
  // waiters and queue for the incoming connection.
  auto it = pending.find(peer);
  if (it == pending.end()) return;
  it->second.peer_attempt = keep;
  log.info("simultaneous connect with " + peer + ": keeping the incoming connection");
  if (auto ours = std::move(it->second.connection)) ours->close("simultaneous connect: the peer's attempt wins");
}

Node::Impl::Pending* Node::Impl::dialling(const std::string& node) {
  auto it = pending.find(node);
  return it == pending.end() || it->second.peer_attempt ? nullptr : &it->second;
}

void Node::Impl::connect_async(const std::string& node, ConnectDone done) {
  if (node == options.name || up.count(node)) return done(true);
  auto [it, fresh] = pending.try_emplace(node);
  it->second.waiters.push_back(std::move(done));
  if (fresh) dial(node);
}

void Node::Impl::dial(const std::string& node) {
  auto own_kind = proto::parse_node_name(options.name).value().kind();
  auto target = proto::check_dial_target(node, own_kind);
  if (!target) {
    log.warning(own_kind == proto::NameKind::Short
                    ? "** System NOT running to use fully qualified hostnames ** ** Hostname " + node + " is illegal **"
                    : "** System running to use fully qualified hostnames ** ** Hostname " + node + " is illegal **");
    return fail_pending(node);
  }
  std::string host = target.value().host;
  std::string alive = target.value().alive;
  async_port_please(io, host, options.epmd_port, alive,
                    [this, node, host](Result<proto::epmd::Port2Reply, EpmdFailure> reply) {
    if (!dialling(node)) return;
    if (!reply || reply.value().result != 0) {
      log.info("connection attempt to " + node + ": " +
               (reply ? std::string("not registered in epmd") : reply.error().message));
      return fail_pending(node);
    }
    auto resolver = std::make_shared<tcp::resolver>(io);
    auto port = reply.value().node.port;
    resolver->async_resolve(host, std::to_string(port),
                            [this, node, resolver](boost::system::error_code ec, tcp::resolver::results_type r) {
      if (!dialling(node)) return;
      if (ec) {
        log.info("connection attempt to " + node + ": cannot resolve host: " + ec.message());
        return fail_pending(node);
      }
      auto socket = std::make_shared<tcp::socket>(io);
      asio::async_connect(*socket, r, [this, node, socket](boost::system::error_code ec, const tcp::endpoint&) {
        auto* attempt = dialling(node);
        if (!attempt) return;
        if (ec) {
          log.info("connection attempt to " + node + ": " + ec.message());
          return fail_pending(node);
        }
        auto connection = std::make_shared<Connection>(*this, std::move(*socket), Connection::Role::Initiator, node);
        attempt->connection = connection;
        connections.insert(connection);
        connection->start();
      });
    });
  });
}

void Node::Impl::fail_pending(const std::string& node) {
  auto it = pending.find(node);
  if (it == pending.end()) return;
  auto waiters = std::move(it->second.waiters);
  pending.erase(it);
  // Monitors on processes of a node we cannot reach fire with noconnection, as in OTP.
  table->node_down(node);
  for (auto& w : waiters) w(false);
}

void Node::Impl::on_up(const std::shared_ptr<Connection>& connection) {
  const std::string& peer = connection->peer_name();
  if (auto old = up_connection(peer); old && old != connection) {
    old->close("replaced by a new connection from the same node");
  }
  up[peer] = connection;
  std::vector<ConnectDone> waiters;
  std::vector<proto::DistMessage> queued;
  if (auto it = pending.find(peer); it != pending.end()) {
    waiters = std::move(it->second.waiters);
    queued = std::move(it->second.queued);
    auto other_attempt = std::move(it->second.connection);
    pending.erase(it);
    // Connected by the peer's attempt while ours was in its handshake: ours is not needed.
    if (other_attempt && other_attempt != connection) other_attempt->close("connected by the peer's attempt");
  }
  for (auto& message : queued)
    if (connection->carries(proto::op_of(message.control))) connection->send(message, true);
  for (auto& w : waiters) w(true);
}

void Node::Impl::on_closed(const std::shared_ptr<Connection>& connection, const std::string& reason) {
  connections.erase(connection);
  const std::string& peer = connection->peer_name();
  if (auto it = up.find(peer); it != up.end() && it->second == connection) {
    up.erase(it);
    log.info("node down: " + peer + " (" + reason + ")");
    table->node_down(peer);
    return;
  }
  if (auto it = pending.find(peer); it != pending.end() && it->second.peer_attempt == connection.get()) {
    log.info("connection attempt to " + peer + ": the peer's attempt, which won, failed");
    return fail_pending(peer);
  }
  if (connection->role() == Connection::Role::Initiator) {
    auto it = pending.find(peer);
    if (it == pending.end() || it->second.connection != connection) return;
    auto status = connection->status();
    if (status && *status == proto::HandshakeStatus::Nok) {
      // The peer's own attempt to us wins; its incoming connection will satisfy our waiters.
      it->second.connection = nullptr;
      return;
    }
    fail_pending(peer);
  }
}

void Node::Impl::log_dropped_message_lines(std::size_t dropped) {
  if (dropped)
    log.info(std::to_string(dropped) + " message lines left out (over " +
             std::to_string(options.message_lines_per_second) + " a second)");
}

void Node::Impl::arm_message_log_timer() {
  message_log_timer_armed = true;
  message_log_timer.expires_at(message_log_budget.second_end());
  message_log_timer.async_wait([this](boost::system::error_code ec) {
    message_log_timer_armed = false;
    if (!ec) log_dropped_message_lines(message_log_budget.take_dropped(MessageLogBudget::Clock::now()));
  });
}

void Node::Impl::shutdown() {
  stopping = true;
  boost::system::error_code ignored;
  acceptor.close(ignored);
  call_timer.cancel();
  message_log_timer.cancel();
  auto all = connections;
  for (auto& c : all) c->close("node stopping");
  if (registration) registration->close();
}

// --- Node ---

Node::Node(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<Node>, NodeError> Node::create(NodeOptions options) {
  auto impl = std::make_unique<Impl>(std::move(options));
  auto opened = impl->open();
  if (!opened) return opened.error();
  return std::unique_ptr<Node>(new Node(std::move(impl)));
}

Node::~Node() { stop(); }

void Node::start() {
  if (impl_->thread.joinable()) return;
  impl_->thread = std::thread([impl = impl_.get()] {
    auto guard = asio::make_work_guard(impl->io);
    impl->io.run();
  });
}

void Node::run_until_signal() {
  asio::signal_set signals(impl_->io, SIGINT, SIGTERM);
  signals.async_wait([this](boost::system::error_code ec, int signal) {
    if (ec) return;
    impl_->log.info(std::string("received ") + (signal == SIGINT ? "SIGINT" : "SIGTERM") + ", stopping");
    impl_->shutdown();
    impl_->io.stop();
  });
  impl_->io.run();
  impl_->io.restart();
  impl_->io.poll();  // let the closes finish
}

void Node::stop() {
  if (impl_->thread.joinable()) {
    asio::post(impl_->io, [impl = impl_.get()] {
      impl->shutdown();
      impl->io.stop();
    });
    impl_->thread.join();
  } else if (!impl_->stopping) {
    impl_->shutdown();
    impl_->io.poll();
  }
}

const std::string& Node::name() const { return impl_->options.name; }
std::uint32_t Node::creation() const { return impl_->creation; }
std::uint16_t Node::listen_port() const { return impl_->listening_port; }

namespace {
// Runs fn on the I/O thread and waits for the value it produces.
template <class T, class Fn>
T on_io(Node::Impl& impl, Fn fn) {
  std::promise<T> promise;
  auto future = promise.get_future();
  asio::post(impl.io, [&] { fn(promise); });
  return future.get();
}
}  // namespace

bool Node::connect(const std::string& node, std::chrono::milliseconds timeout) {
  auto promise = std::make_shared<std::promise<bool>>();
  auto future = promise->get_future();
  asio::post(impl_->io, [impl = impl_.get(), node, promise] {
    impl->connect_async(node, [promise](bool ok) { promise->set_value(ok); });
  });
  return future.wait_for(timeout) == std::future_status::ready && future.get();
}

std::vector<std::string> Node::nodes(bool hidden) {
  return on_io<std::vector<std::string>>(*impl_, [&](std::promise<std::vector<std::string>>& p) {
    std::vector<std::string> names;
    for (const auto& [name, c] : impl_->up)
      if (c->hidden() == hidden) names.push_back(name);
    p.set_value(names);
  });
}

void Node::disconnect(const std::string& node) {
  on_io<bool>(*impl_, [&](std::promise<bool>& p) {
    if (auto c = impl_->up_connection(node)) c->close("disconnect_node");
    p.set_value(true);
  });
}

}  // namespace distspec::node
