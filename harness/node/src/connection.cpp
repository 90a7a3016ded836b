#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "node_impl.hpp"

namespace distspec::node {

namespace {
std::string hex_flags(proto::DistFlags flags) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(flags));
  return buf;
}
}  // namespace

Connection::Connection(Node::Impl& node, tcp::socket socket, Role role, std::string target)
    : node_(node), socket_(std::move(socket)), timer_(node.io), role_(role), peer_(std::move(target)) {
  boost::system::error_code ec;
  auto remote = socket_.remote_endpoint(ec);
  endpoint_ = ec ? "?" : remote.address().to_string() + ":" + std::to_string(remote.port());
  socket_.set_option(tcp::no_delay(true), ec);  // as OTP's dist sockets
  socket_.non_blocking(true, ec);  // write_next() tries a direct write that must never block
  proto::HandshakeOptions base;
  base.own_name = node.options.name;
  base.flags = node.options.flags ? *node.options.flags : node_flags(node.options.hidden);
  base.required_flags = node.options.required_flags;
  base.creation = node.creation;
  base.cookie = node.options.cookie;
  base.challenge = node.random();
  if (role == Role::Initiator) {
    proto::InitiatorOptions o;
    static_cast<proto::HandshakeOptions&>(o) = base;
    o.target_name = peer_;
    o.send_name_version = node.options.send_name_version;
    machine_ = std::make_unique<proto::Initiator>(std::move(o));
  } else {
    proto::AcceptorOptions o;
    static_cast<proto::HandshakeOptions&>(o) = base;
    o.accept_v5 = node.options.accept_v5;
    machine_ = std::make_unique<proto::Acceptor>(std::move(o));
  }
}

std::chrono::milliseconds Connection::now() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now().time_since_epoch());
}

void Connection::start() {
  flush_handshake_output();
  arm_setup_timer();
  read();
}

void Connection::arm_setup_timer() {
  timer_.expires_after(node_.options.setup_time);
  std::weak_ptr<Connection> weak = shared_from_this();
  timer_.async_wait([weak](boost::system::error_code ec) {
    auto self = weak.lock();
    if (ec || !self || self->phase_ != Phase::Handshake) return;
    self->close("handshake timed out (net_setuptime)");
  });
}

void Connection::arm_tick_timer() {
  auto decision = ticks_->poll(now());
  if (decision.timed_out) {
    // dist_util's two lines, as one event.
    node_.log.error("** Node " + peer_ + " not responding ** ** Removing (timedout) connection **");
    close("net_tick_timeout");
    return;
  }
  if (decision.send_tick && phase_ == Phase::Up && !closing_) {
    proto::ConnectionSender::write_tick(pending_);
    schedule_flush();
  }
  auto wait = decision.next_check - now();
  if (wait < std::chrono::milliseconds(1)) wait = std::chrono::milliseconds(1);
  timer_.expires_after(wait);
  std::weak_ptr<Connection> weak = shared_from_this();
  timer_.async_wait([weak](boost::system::error_code ec) {
    auto self = weak.lock();
    if (ec || !self || self->phase_ != Phase::Up) return;
    self->arm_tick_timer();
  });
}

void Connection::read() {
  auto self = shared_from_this();
  socket_.async_read_some(asio::buffer(buffer_), [self](boost::system::error_code ec, std::size_t n) {
    if (self->phase_ == Phase::Closed || self->closing_) return;
    if (n > 0) {
      // What this input produces leaves in one write at the end of this handler, not from a
      // posted handler: a posted one costs a scheduler round (an extra epoll_wait) per message.
      self->handling_input_ = true;
      self->on_bytes({self->buffer_.data(), n});
      self->handling_input_ = false;
      self->write_next();
    }
    if (self->phase_ == Phase::Closed || self->closing_) return;
    if (ec) {
      if (self->phase_ == Phase::Handshake) {
        self->machine_->on_eof();
        self->handshake_failed();
      } else {
        self->close(ec == asio::error::eof ? "connection closed by peer" : ec.message());
      }
      return;
    }
    self->read();
  });
}

void Connection::on_bytes(std::span<const std::uint8_t> bytes) {
  if (phase_ == Phase::Handshake) {
    if (!handshake_input(bytes)) return;
  }
  if (phase_ == Phase::Up && !bytes.empty()) connected_input(bytes);
}

// Feeds the machine; answers its questions; returns true when the connection is now up (with
// `bytes` advanced to what follows the handshake).
bool Connection::handshake_input(std::span<const std::uint8_t>& bytes) {
  for (;;) {
    auto fed = machine_->feed(bytes);
    if (!fed) {
      handshake_failed();
      return false;
    }
    if (node_.corpus) node_.corpus->record_handshake_stream(bytes.first(fed.value()), corpus_in_);
    bytes = bytes.subspan(fed.value());
    switch (machine_->state()) {
      case proto::HandshakeState::AwaitDecision: {
        auto* acceptor = static_cast<proto::Acceptor*>(machine_.get());
        peer_ = acceptor->peer().name;
        proto::AcceptDecision decision;
        decision.existing = node_.existing(peer_);
        auto status = acceptor->decide(decision);
        flush_handshake_output();
        if (!status) {
          handshake_failed();
          return false;
        }
        if (status.value() == proto::HandshakeStatus::OkSimultaneous)
          node_.on_simultaneous(peer_, this);
        continue;
      }
      case proto::HandshakeState::AwaitAliveDecision: {
        // The peer still holds a connection from us: replace it, unless it is one we have up (then
        // this attempt is the superfluous one).
        auto* initiator = static_cast<proto::Initiator*>(machine_.get());
        auto answered = initiator->answer_alive(node_.up_connection(peer_) == nullptr);
        flush_handshake_output();
        if (!answered) {
          handshake_failed();
          return false;
        }
        continue;
      }
      case proto::HandshakeState::Connected:
        flush_handshake_output();
        become_up();
        return true;
      case proto::HandshakeState::Failed:
        handshake_failed();
        return false;
      default:
        flush_handshake_output();
        if (!bytes.empty()) continue;  // (feed stops only at decisions; defensive)
        arm_setup_timer();
        return false;
    }
  }
}

void Connection::handshake_failed() {
  flush_handshake_output();  // a final 'nok' / 'not_allowed' status
  const auto& error = machine_->error();
  std::string line = machine_->otp_log_line();
  std::string who = peer_.empty() ? endpoint_ : peer_;
  std::string reason = error ? std::string(proto::to_string(error->code)) : "handshake failed";
  if (!line.empty()) {
    node_.log.error(line);
  } else {
    std::string detail = error && !error->detail.empty() ? " (" + error->detail + ")" : "";
    node_.log.warning(std::string(role_ == Role::Initiator ? "connection attempt to " : "rejected connection from ") +
                      who + ": " + reason + (error ? " at byte " + std::to_string(error->offset) : "") + detail);
  }
  close("handshake failed: " + reason);
}

void Connection::become_up() {
  peer_ = machine_->peer().name;
  flags_ = machine_->effective_flags();
  proto::HeaderMode mode{(flags_ & proto::dflag::dist_hdr_atom_cache) != 0,
                         (flags_ & proto::dflag::fragments) != 0};
  proto::ReceiverOptions receive;
  receive.mode = mode;
  receiver_.emplace(receive);
  proto::SenderOptions send;
  send.mode = mode;
  sender_.emplace(send);
  sender_->set_next_sequence_id(node_.random() | 1);
  proto::TickOptions tick;
  tick.net_ticktime = node_.options.net_ticktime;
  tick.hidden_peer = hidden();
  ticks_.emplace(tick, now());
  phase_ = Phase::Up;
  std::uint16_t name_form = role_ == Role::Initiator ? node_.options.send_name_version
                                                     : machine_->peer().name_version;
  node_.log.info("connection up: " + peer_ + " (" + (role_ == Role::Initiator ? "initiator" : "acceptor") +
                 ", version " + std::to_string(machine_->version()) +
                 (name_form == 5 ? ", send_name 'n'" : "") + ", " +
                 (hidden() ? "hidden" : "visible") + ", flags " + hex_flags(flags_) + ")");
  timer_.cancel();
  arm_tick_timer();
  node_.on_up(shared_from_this());
}

void Connection::connected_input(std::span<const std::uint8_t> bytes) {
  while (!bytes.empty() && phase_ == Phase::Up) {
    auto used = receiver_->put(bytes);
    if (!used) {
      const auto& e = used.error();
      node_.log.error("closing connection to " + peer_ + ": " + std::string(proto::to_string(e.code)) +
                      " at byte " + std::to_string(e.offset) + (e.detail.empty() ? "" : " (" + e.detail + ")"));
      close(std::string(proto::to_string(e.code)));
      return;
    }
    bytes = bytes.subspan(used.value());
    while (auto event = receiver_->take_view()) {
      ticks_->on_received();
      if (auto* message = std::get_if<proto::MessageView>(&*event)) {
        node_.dispatch(*this, *message);
        if (phase_ != Phase::Up) return;
      }
    }
  }
}

void Connection::flush_handshake_output() {
  if (!machine_->has_output()) return;
  auto out = machine_->take_output();
  if (node_.corpus) node_.corpus->record_handshake_stream(out, corpus_out_);
  if (phase_ == Phase::Closed || closing_) return;
  pending_.insert(pending_.end(), out.begin(), out.end());
  schedule_flush();
}

bool Connection::carries(proto::ControlOp op) const {
  using Op = proto::ControlOp;
  switch (op) {
    case Op::MonitorP:
    case Op::DemonitorP:
    case Op::MonitorPExit:
    case Op::PayloadMonitorPExit:
      return has(proto::dflag::dist_monitor | proto::dflag::dist_monitor_name);
    case Op::AliasSend:
    case Op::AliasSendTT:
      return has(proto::dflag::alias);
    default:
      return true;
  }
}

void Connection::send(const proto::DistMessage& message, bool queued) {
  if (phase_ != Phase::Up || closing_) return;
  if (node_.corpus) {
    node_.record_term(proto::to_term(message.control));
    if (message.payload) node_.record_term(*message.payload);
  }
  sender_->write(pending_, message, !queued);
  schedule_flush();
}

template <class Payload>
void Connection::send(const proto::ControlMessage& control, const Payload& payload) {
  if (phase_ != Phase::Up || closing_) return;
  if (node_.corpus) {
    node_.record_term(proto::to_term(control));
    node_.record_term(proto::to_term(payload));
  }
  sender_->write(pending_, control, payload);
  schedule_flush();
}
template void Connection::send(const proto::ControlMessage&, const proto::TaggedReply&);
template void Connection::send(const proto::ControlMessage&, const proto::GenCallRequest&);

void Connection::schedule_flush() {
  // A running write picks pending_ up when it ends; the input handler writes when it returns.
  if (writing_ || flush_scheduled_ || handling_input_) return;
  flush_scheduled_ = true;
  asio::post(node_.io, [self = shared_from_this()] {
    self->flush_scheduled_ = false;
    self->write_next();
  });
}

void Connection::write_next() {
  if (writing_ || pending_.empty() || phase_ == Phase::Closed) return;
  if (ticks_) ticks_->on_sent();
  // Straight to the socket first: when it takes everything (the usual case) there is no write
  // operation and no completion handler; what it does not take goes asynchronously.
  boost::system::error_code ec;
  const std::size_t written = socket_.write_some(asio::buffer(pending_), ec);
  if (ec && ec != asio::error::would_block && ec != asio::error::try_again)
    return finish_close("write failed: " + ec.message());
  if (written == pending_.size()) {
    pending_.clear();
    if (closing_) finish_close(close_reason_);
    return;
  }
  writing_ = true;
  in_flight_.assign(pending_.begin() + std::ptrdiff_t(written), pending_.end());
  pending_.clear();
  auto self = shared_from_this();
  asio::async_write(socket_, asio::buffer(in_flight_), [self](boost::system::error_code ec, std::size_t) {
    self->writing_ = false;
    self->in_flight_.clear();
    if (self->phase_ == Phase::Closed) return;
    if (ec) return self->finish_close("write failed: " + ec.message());
    if (self->closing_ && self->pending_.empty()) return self->finish_close(self->close_reason_);
    self->write_next();
  });
}

void Connection::close(const std::string& reason) {
  if (phase_ == Phase::Closed || closing_) return;
  closing_ = true;
  timer_.cancel();
  // A final handshake status ('nok', 'not_allowed') may still be on its way: let it go first.
  if (phase_ == Phase::Handshake && (writing_ || !pending_.empty())) {
    close_reason_ = reason;
    return;
  }
  finish_close(reason);
}

void Connection::finish_close(const std::string& reason) {
  if (phase_ == Phase::Closed) return;
  phase_ = Phase::Closed;
  boost::system::error_code ignored;
  pending_.clear();
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  node_.on_closed(shared_from_this(), reason);
}

}  // namespace distspec::node
