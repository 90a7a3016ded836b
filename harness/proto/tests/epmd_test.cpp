// EPMD requests and replies: the bytes observed from OTP 25.2.3 (spec/epmd.md and the captures),
// round trips, every prefix of every message ("need more"), limits and malformed input.
#include <gtest/gtest.h>

#include <functional>

#include "distspec/proto/epmd.hpp"
#include "support/pcapng.hpp"

namespace distspec::proto::epmd {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes text(std::string_view s) { return Bytes(s.begin(), s.end()); }

template <class F>
void expect_need_more_for_every_prefix(const Bytes& bytes, F parse, std::size_t complete_at) {
  for (std::size_t k = 0; k < complete_at; ++k) {
    auto r = parse(std::span(bytes).first(k));
    ASSERT_FALSE(r.ok()) << "prefix " << k;
    EXPECT_EQ(r.error().code, EpmdErrorCode::NeedMore) << "prefix " << k;
  }
}

TEST(Epmd, Alive2RequestAsOtpSendsIt) {
  // -sname fk listening on 38733 (observed).
  const Bytes observed{0x00, 0x0f, 0x78, 0x97, 0x4d, 0x4d, 0x00, 0x00, 0x06,
                       0x00, 0x05, 0x00, 0x02, 0x66, 0x6b, 0x00, 0x00};
  Alive2Request request{{38733, kNodeTypeNormal, kProtocolTcp, 6, 5, "fk", ""}};
  EXPECT_EQ(encode_request(request).value(), observed);
  auto parsed = parse_request(observed);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->used, observed.size());
  EXPECT_EQ(std::get<Alive2Request>(parsed->message), request);
  EXPECT_EQ(request_name(parsed->message), "ALIVE2_REQ");
  expect_need_more_for_every_prefix(observed, parse_request, observed.size());
}

TEST(Epmd, Alive2Replies) {
  const Bytes first{0x76, 0x00, 0x6b, 0x08, 0x8f, 0xe4};  // observed: creation 0x6b088fe4
  auto r = parse_alive2_reply(first);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->message, (Alive2Reply{0, 0x6b088fe4, true}));
  EXPECT_EQ(encode_alive2_reply(r->message), first);
  const Bytes duplicate{0x76, 0x01, 0x00, 0x00, 0x00, 0x63};  // observed: name in use
  EXPECT_EQ(parse_alive2_reply(duplicate)->message.result, 1);
  const Bytes v5{0x79, 0x00, 0x00, 0x02};  // observed: ALIVE2_RESP to a version-5 request
  EXPECT_EQ(parse_alive2_reply(v5)->message, (Alive2Reply{0, 2, false}));
  EXPECT_EQ(encode_alive2_reply({0, 2, false}), v5);
  expect_need_more_for_every_prefix(first, parse_alive2_reply, first.size());
  expect_need_more_for_every_prefix(v5, parse_alive2_reply, v5.size());
  EXPECT_EQ(parse_alive2_reply(Bytes{0x77, 0}).error().code, EpmdErrorCode::UnknownTag);
}

TEST(Epmd, PortPlease2) {
  const Bytes request{0x00, 0x07, 0x7a, 0x6e, 0x6f, 0x73, 0x75, 0x63, 0x68};  // observed
  EXPECT_EQ(encode_request(PortPlease2Request{"nosuch"}).value(), request);
  EXPECT_EQ(std::get<PortPlease2Request>(parse_request(request)->message).name, "nosuch");
  // A trailing NUL is tolerated, as the daemon does; an embedded one is not.
  const Bytes with_nul{0x00, 0x04, 0x7a, 'a', 'b', 0};
  EXPECT_EQ(std::get<PortPlease2Request>(parse_request(with_nul)->message).name, "ab");
  EXPECT_EQ(parse_request(Bytes{0x00, 0x04, 0x7a, 'a', 0, 'b'}).error().code,
            EpmdErrorCode::BadName);
  EXPECT_EQ(parse_request(Bytes{0x00, 0x01, 0x7a}).error().code, EpmdErrorCode::BadName);

  const Bytes not_found{0x77, 0x01};  // observed
  auto miss = parse_port2_reply(not_found);
  ASSERT_TRUE(miss.ok());
  EXPECT_EQ(miss->message.result, 1);
  EXPECT_EQ(miss->used, 2u);
  const Bytes found{0x77, 0x00, 0x15, 0xb3, 0x4d, 0x00, 0x00, 0x06, 0x00,
                    0x05, 0x00, 0x03, 0x66, 0x6f, 0x6f, 0x00, 0x00};  // observed: foo on 5555
  auto hit = parse_port2_reply(found);
  ASSERT_TRUE(hit.ok());
  EXPECT_EQ(hit->message.node, (NodeEntry{5555, kNodeTypeNormal, 0, 6, 5, "foo", ""}));
  EXPECT_EQ(encode_port2_reply(hit->message).value(), found);
  expect_need_more_for_every_prefix(found, parse_port2_reply, found.size());
  Bytes trailing = found;
  trailing.push_back(0);
  EXPECT_EQ(parse_port2_reply(trailing).error().code, EpmdErrorCode::TrailingBytes);
}

TEST(Epmd, NamesReply) {
  const Bytes request{0x00, 0x01, 0x6e};
  EXPECT_EQ(encode_request(NamesRequest{}).value(), request);
  EXPECT_TRUE(std::holds_alternative<NamesRequest>(parse_request(request)->message));
  Bytes reply{0x00, 0x00, 0x38, 0x21};  // observed
  const Bytes lines =
      text("name baz at port 5558\nname bar at port 5557\nname foo at port 5555\n");
  reply.insert(reply.end(), lines.begin(), lines.end());
  auto parsed = parse_names_reply(reply, true);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->message.epmd_port, 0x3821u);
  ASSERT_EQ(parsed->message.nodes.size(), 3u);
  EXPECT_EQ(parsed->message.nodes[0], (NameLine{"baz", 5558}));
  EXPECT_EQ(encode_names_reply(parsed->message), reply);
  EXPECT_EQ(format_names(parsed->message),
            "epmd: up and running on port 14369 with data:\n" + std::string(lines.begin(), lines.end()));
  // Before EOF it always wants more; every prefix either wants more or (at EOF) is judged.
  for (std::size_t k = 0; k <= reply.size(); ++k) {
    auto partial = parse_names_reply(std::span(reply).first(k), false);
    ASSERT_FALSE(partial.ok());
    EXPECT_EQ(partial.error().code, EpmdErrorCode::NeedMore) << k;
  }
  EXPECT_EQ(parse_names_reply(std::span(reply).first(reply.size() - 1), true).error().code,
            EpmdErrorCode::BadListing);
  EXPECT_EQ(parse_names_reply(std::span(reply).first(3), true).error().code,
            EpmdErrorCode::BadListing);
  const Bytes empty{0, 0, 0x11, 0x11};
  EXPECT_TRUE(parse_names_reply(empty, true)->message.nodes.empty());
  Bytes bad = empty;
  for (auto c : text("name x at port 99999\n")) bad.push_back(c);
  auto r = parse_names_reply(bad, true);
  EXPECT_EQ(r.error().code, EpmdErrorCode::BadListing);
  EXPECT_EQ(r.error().offset, 4u + 15u);
  Bytes garbage = empty;
  for (auto c : text("hello\n")) garbage.push_back(c);
  EXPECT_EQ(parse_names_reply(garbage, false).error().code, EpmdErrorCode::BadListing);
  Bytes huge(kMaxListingBytes + 1, 'x');
  EXPECT_EQ(parse_names_reply(huge, false).error().code, EpmdErrorCode::TooLarge);
}

TEST(Epmd, DumpKillStop) {
  EXPECT_EQ(encode_request(DumpRequest{}).value(), (Bytes{0, 1, 0x64}));
  EXPECT_EQ(encode_request(KillRequest{}).value(), (Bytes{0, 1, 0x6b}));
  EXPECT_EQ(encode_request(StopRequest{"a"}).value(), (Bytes{0, 2, 0x73, 'a'}));
  EXPECT_TRUE(std::holds_alternative<DumpRequest>(parse_request(Bytes{0, 1, 0x64})->message));
  EXPECT_TRUE(std::holds_alternative<KillRequest>(parse_request(Bytes{0, 1, 0x6b})->message));
  EXPECT_EQ(std::get<StopRequest>(parse_request(Bytes{0, 2, 0x73, 'a'})->message).name, "a");

  DumpReply dump{4369, {"active name     <a> at port 5, fd = 7\n", "old/unused name <b>, port = 6, fd = 8 \n"}};
  const Bytes dump_bytes = encode_dump_reply(dump);
  EXPECT_EQ(parse_dump_reply(dump_bytes, true)->message, dump);
  EXPECT_EQ(parse_dump_reply(dump_bytes, false).error().code, EpmdErrorCode::NeedMore);
  EXPECT_EQ(parse_dump_reply(std::span(dump_bytes).first(dump_bytes.size() - 1), true).error().code,
            EpmdErrorCode::BadListing);

  EXPECT_EQ(encode_kill_reply(true), text("OK"));
  EXPECT_EQ(parse_kill_reply(text("NO"))->message, false);
  EXPECT_EQ(parse_kill_reply(text("OK"))->message, true);
  EXPECT_EQ(parse_kill_reply(text("O")).error().code, EpmdErrorCode::NeedMore);
  EXPECT_EQ(parse_kill_reply(text("XY")).error().code, EpmdErrorCode::BadResult);
  EXPECT_EQ(parse_stop_reply(text("STOPPED"))->message, true);
  EXPECT_EQ(parse_stop_reply(text("NOEXIST"))->message, false);
  expect_need_more_for_every_prefix(text("NOEXIST"), parse_stop_reply, 7);
  EXPECT_EQ(parse_stop_reply(text("STOPPEDx")).error().code, EpmdErrorCode::TrailingBytes);
}

TEST(Epmd, RequestLimitsAsTheDaemonEnforcesThem) {
  EXPECT_EQ(parse_request(Bytes{0, 0}).error().code, EpmdErrorCode::BadLength);
  const std::size_t over = kMaxRequestLength + 1;
  // Refused on the length alone, before the body arrives.
  EXPECT_EQ(parse_request(Bytes{std::uint8_t(over >> 8), std::uint8_t(over)}).error().code,
            EpmdErrorCode::BadLength);
  EXPECT_EQ(parse_request(Bytes{0, 1, 'a'}).error().code, EpmdErrorCode::UnknownTag);  // ALIVE_REQ
  EXPECT_EQ(parse_request(Bytes{0, 1, 'a'}).error().offset, 2u);
  // Names and extras over 1020 bytes are refused by the encoder and the parser.
  EXPECT_EQ(encode_request(Alive2Request{{1, 77, 0, 6, 5, std::string(1021, 'a'), ""}}).error().code,
            EpmdErrorCode::BadName);
  EXPECT_EQ(encode_request(Alive2Request{{1, 77, 0, 6, 5, "a", std::string(1021, 'e')}}).error().code,
            EpmdErrorCode::BadExtra);
  EXPECT_TRUE(encode_request(Alive2Request{{1, 77, 0, 6, 5, std::string(1020, 'a'), std::string(1020, 'e')}}).ok());
  // Nlen pointing past the frame.
  Bytes lying = encode_request(Alive2Request{{1, 77, 0, 6, 5, "ab", ""}}).value();
  lying[12] = 9;
  EXPECT_EQ(parse_request(lying).error().code, EpmdErrorCode::BadLength);
  // Bytes after Extra inside the frame are ignored, as the daemon does.
  Bytes padded = encode_request(Alive2Request{{1, 77, 0, 6, 5, "ab", "x"}}).value();
  padded.push_back(0);
  padded[1] += 1;
  EXPECT_EQ(std::get<Alive2Request>(parse_request(padded)->message).node.extra, "x");
  // Two requests back to back: the first uses exactly its frame.
  Bytes two = encode_request(NamesRequest{}).value();
  two.push_back(0);
  EXPECT_EQ(parse_request(two)->used, 3u);
}

TEST(Epmd, VersionNegotiation) {
  EXPECT_EQ(negotiate_version(5, 6, 5, 6), 6);
  EXPECT_EQ(negotiate_version(5, 6, 5, 5), 5);
  EXPECT_EQ(negotiate_version(6, 6, 5, 5), 0);
  EXPECT_EQ(negotiate_version(5, 6, 6, 7), 6);
}

TEST(Epmd, EveryEpmdExchangeInTheCaptures) {
  // Requests from real nodes parse; replies from the real daemon parse, re-encode to the same
  // bytes, and each reply is the one its request asks for.
  int exchanges = 0;
  int refusals = 0;
  for (const char* name : {"a_ping_same_cookie", "b_ping_wrong_cookie", "c_name_in_use",
                           "d_genserver_call_iex"}) {
    const auto capture = test::pcapng::read_file(std::string(DISTSPEC_SHARED_DIR) +
                                                 "/vectors/captures/" + name + ".pcapng");
    for (const auto* stream : test::pcapng::streams_to_port(capture, 4369)) {
      SCOPED_TRACE(std::string(name) + " port " + std::to_string(stream->client.port));
      auto request = parse_request(stream->client_to_server);
      ASSERT_TRUE(request.ok()) << to_string(request.error().code);
      EXPECT_EQ(request->used, stream->client_to_server.size());
      EXPECT_EQ(encode_request(request->message).value(), stream->client_to_server);
      const Bytes& reply = stream->server_to_client;
      if (std::holds_alternative<Alive2Request>(request->message)) {
        auto r = parse_alive2_reply(reply);
        ASSERT_TRUE(r.ok());
        EXPECT_TRUE(r->message.extended);
        EXPECT_EQ(encode_alive2_reply(r->message), reply);
        if (r->message.result != 0) {
          EXPECT_EQ(std::string(name), "c_name_in_use");
          EXPECT_EQ(r->message.result, 1);  // epmd's only failure code
          ++refusals;
        }
      } else if (std::holds_alternative<PortPlease2Request>(request->message)) {
        auto r = parse_port2_reply(reply);
        ASSERT_TRUE(r.ok());
        EXPECT_EQ(encode_port2_reply(r->message).value(), reply);
      } else if (std::holds_alternative<NamesRequest>(request->message)) {
        auto r = parse_names_reply(reply, true);
        ASSERT_TRUE(r.ok());
        EXPECT_EQ(r->message.epmd_port, 4369u);
        EXPECT_EQ(encode_names_reply(r->message), reply);
      }
      ++exchanges;
    }
  }
  EXPECT_GE(exchanges, 20);
  EXPECT_EQ(refusals, 2);  // c_name_in_use: a second erl and a second iex named x
}

}  // namespace
}  // namespace distspec::proto::epmd
