#include "distspec/process/beam_oracle.hpp"

#include <boost/process.hpp>

#include <chrono>
#include <stdexcept>
#include <thread>

namespace bp = boost::process;

namespace distspec::process {
namespace {

// Bootstraps the node: receive the oracle module's source as the first packet, compile and load
// it, then hand the port to its loop. Any failure halts the node (the C++ side sees EOF).
constexpr const char* kBoot =
    "try "
    "P = open_port({fd,0,1},[binary,{packet,4},eof]),"
    "Src = receive {P,{data,S}} -> S end,"
    "{ok,Ts,_} = erl_scan:string(binary_to_list(Src)),"
    "Split = fun Split([],_,Out) -> lists:reverse(Out);"
    "            Split([{dot,_}=D|R],Acc,Out) ->"
    "              {ok,F} = erl_parse:parse_form(lists:reverse([D|Acc])), Split(R,[],[F|Out]);"
    "            Split([T|R],Acc,Out) -> Split(R,[T|Acc],Out) end,"
    "{ok,M,Bin} = compile:forms(Split(Ts,[],[]),[]),"
    "{module,M} = code:load_binary(M,\"distspec_oracle.erl\",Bin),"
    "P ! {self(),{command,<<\"ready\">>}},"
    "M:loop(P) "
    "catch C:R:St -> io:format(standard_error,\"oracle boot failed: ~p:~p ~p~n\",[C,R,St]), halt(3) "
    "end.";

// Requests: <<Len:32, Op, Payload:Len-1>> concatenated; replies likewise <<Len:32, Status, ...>>.
constexpr const char* kModule = R"erl(
-module(distspec_oracle).
-export([loop/1]).

loop(P) ->
    receive
        {P, {data, Batch}} -> P ! {self(), {command, handle_all(Batch, [])}}, loop(P);
        {P, eof} -> halt(0);
        _ -> loop(P)
    end.

handle_all(<<>>, Acc) -> lists:reverse(Acc);
handle_all(<<Len:32, Item:Len/binary, Rest/binary>>, Acc) ->
    Reply = try handle(Item)
            catch C:R -> <<1, (text(io_lib:format("~p:~p", [C, R])))/binary>>
            end,
    handle_all(Rest, [[<<(byte_size(Reply)):32>>, Reply] | Acc]).

handle(<<$t, ELen:32, Expr:ELen/binary, Opts/binary>>) ->
    <<0, (term_to_binary(eval(Expr), eval(Opts)))/binary>>;
handle(<<$r, OLen:32, Opts:OLen/binary, Bin/binary>>) ->
    <<0, (term_to_binary(binary_to_term(Bin), eval(Opts)))/binary>>;
handle(<<$b, Flags, Bin/binary>>) ->
    Opts = case Flags band 1 of 1 -> [used, safe]; _ -> [used] end,
    try binary_to_term(Bin, Opts) of
        {T, Used} ->
            W = case Flags band 2 of 2 -> <<>>; _ -> text(io_lib:format("~w", [T])) end,
            <<0, Used:32, (byte_size(W)):32, W/binary, (term_to_binary(T))/binary>>
    catch error:Reason -> <<2, (text(io_lib:format("~p", [Reason])))/binary>>
    end;
handle(<<$w, Bin/binary>>) ->
    try binary_to_term(Bin) of
        T -> <<0, (text(io_lib:format("~w", [T])))/binary>>
    catch error:Reason -> <<2, (text(io_lib:format("~p", [Reason])))/binary>>
    end;
handle(<<$e, Expr/binary>>) ->
    <<0, (text(io_lib:format("~w", [eval(Expr)])))/binary>>;
handle(<<$a>>) ->
    <<0, (erlang:system_info(atom_count)):32>>.

%% ~w escapes every character above 255, so the text is Latin-1: one byte per character, the
%% bytes io:format writes to a -noshell standard_io (encoding latin1).
text(Chars) -> iolist_to_binary(Chars).

eval(Text) ->
    {ok, Tokens, _} = erl_scan:string(unicode:characters_to_list(Text) ++ "."),
    {ok, Exprs} = erl_parse:parse_exprs(Tokens),
    {value, Value, _} = erl_eval:exprs(Exprs, []),
    Value.
)erl";

void put_u32(Bytes& out, std::uint32_t v) {
  out.push_back(std::uint8_t(v >> 24));
  out.push_back(std::uint8_t(v >> 16));
  out.push_back(std::uint8_t(v >> 8));
  out.push_back(std::uint8_t(v));
}

std::uint32_t get_u32(const std::uint8_t* p) {
  return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) |
         std::uint32_t(p[3]);
}

Bytes request(char op, std::span<const std::uint8_t> payload) {
  Bytes r;
  r.reserve(1 + payload.size());
  r.push_back(std::uint8_t(op));
  r.insert(r.end(), payload.begin(), payload.end());
  return r;
}

std::span<const std::uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

Bytes t2b_request(std::string_view expression, std::string_view options) {
  Bytes r{std::uint8_t('t')};
  put_u32(r, std::uint32_t(expression.size()));
  r.insert(r.end(), expression.begin(), expression.end());
  r.insert(r.end(), options.begin(), options.end());
  return r;
}

Bytes b2t_request(std::span<const std::uint8_t> bytes, bool safe, bool print = true) {
  Bytes r{std::uint8_t('b'), std::uint8_t((safe ? 1 : 0) | (print ? 0 : 2))};
  r.insert(r.end(), bytes.begin(), bytes.end());
  return r;
}

std::string reply_text(const Bytes& reply) { return std::string(reply.begin() + 1, reply.end()); }

// Throws unless the reply is a success; returns its payload.
Bytes ok_payload(const Bytes& reply, std::string_view what) {
  if (reply.empty() || reply[0] != 0)
    throw std::runtime_error("beam oracle: " + std::string(what) + " failed: " +
                             (reply.empty() ? std::string("empty reply") : reply_text(reply)));
  return Bytes(reply.begin() + 1, reply.end());
}

BeamVerdict parse_verdict(const Bytes& reply) {
  BeamVerdict v;
  if (!reply.empty() && reply[0] == 2) return v;
  if (reply.size() < 9 || reply[0] != 0)
    throw std::runtime_error("beam oracle: binary_to_term: " + reply_text(reply));
  v.accepted = true;
  v.used = get_u32(&reply[1]);
  std::size_t text_len = get_u32(&reply[5]);
  if (9 + text_len > reply.size()) throw std::runtime_error("beam oracle: short verdict");
  v.printed.assign(reply.begin() + 9, reply.begin() + 9 + std::ptrdiff_t(text_len));
  v.reencoded.assign(reply.begin() + 9 + std::ptrdiff_t(text_len), reply.end());
  return v;
}

}  // namespace

struct BeamOracle::Process {
  bp::opstream to_erl;
  bp::ipstream from_erl;
  bp::child child;

  void send_packet(const Bytes& packet) {
    Bytes header;
    put_u32(header, std::uint32_t(packet.size()));
    to_erl.write(reinterpret_cast<const char*>(header.data()), 4);
    to_erl.write(reinterpret_cast<const char*>(packet.data()), std::streamsize(packet.size()));
    to_erl.flush();
    if (!to_erl) throw std::runtime_error("beam oracle: erl stopped reading");
  }

  Bytes receive_packet() {
    std::uint8_t header[4];
    if (!from_erl.read(reinterpret_cast<char*>(header), 4))
      throw std::runtime_error("beam oracle: erl exited (see its stderr)");
    Bytes packet(get_u32(header));
    if (!from_erl.read(reinterpret_cast<char*>(packet.data()), std::streamsize(packet.size())))
      throw std::runtime_error("beam oracle: erl exited mid-reply");
    return packet;
  }
};

BeamOracle::BeamOracle(std::string erl_executable) : erl_(std::move(erl_executable)) { start(); }

BeamOracle::~BeamOracle() { stop(); }

void BeamOracle::start() {
  auto exe = erl_.find('/') == std::string::npos ? bp::search_path(erl_) : boost::filesystem::path(erl_);
  if (exe.empty()) throw std::runtime_error("beam oracle: cannot find " + erl_);
  process_ = std::make_unique<Process>();
  // -noinput: the runtime's own stdin reader stays off fd 0 (the oracle's port owns it); the
  // logger writes to stderr so nothing but packets reaches fd 1.
  process_->child = bp::child(exe, "-noinput", "-kernel", "logger",
                              "[{handler,default,logger_std_h,#{config=>#{type=>standard_error}}}]",
                              "-eval", kBoot,
                              bp::std_in < process_->to_erl, bp::std_out > process_->from_erl);
  std::string_view module(kModule);
  process_->send_packet(Bytes(module.begin(), module.end()));
  Bytes ready = process_->receive_packet();
  if (std::string(ready.begin(), ready.end()) != "ready")
    throw std::runtime_error("beam oracle: unexpected boot reply");
}

void BeamOracle::stop() {
  if (!process_) return;
  // Closing stdin makes the loop halt; kill if it has not gone within a second.
  process_->to_erl.pipe().close();
  std::error_code ignored;
  for (int i = 0; i < 100 && process_->child.running(ignored); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  if (process_->child.running(ignored)) process_->child.terminate(ignored);
  process_->child.wait(ignored);
  process_.reset();
}

void BeamOracle::restart() {
  stop();
  start();
}

std::size_t BeamOracle::atom_count() {
  Bytes count = ok_payload(call({Bytes{std::uint8_t('a')}}).at(0), "atom_count");
  if (count.size() != 4) throw std::runtime_error("beam oracle: short atom count");
  return get_u32(count.data());
}

std::vector<Bytes> BeamOracle::call(const std::vector<Bytes>& requests) {
  Bytes packet;
  std::size_t total = 0;
  for (const auto& r : requests) total += 4 + r.size();
  packet.reserve(total);
  for (const auto& r : requests) {
    put_u32(packet, std::uint32_t(r.size()));
    packet.insert(packet.end(), r.begin(), r.end());
  }
  if (!process_) throw std::runtime_error("beam oracle: erl is not running (restart failed)");
  process_->send_packet(packet);
  Bytes reply = process_->receive_packet();
  std::vector<Bytes> replies;
  replies.reserve(requests.size());
  std::size_t pos = 0;
  while (pos + 4 <= reply.size()) {
    std::size_t len = get_u32(&reply[pos]);
    pos += 4;
    if (pos + len > reply.size()) break;
    replies.emplace_back(reply.begin() + std::ptrdiff_t(pos),
                         reply.begin() + std::ptrdiff_t(pos + len));
    pos += len;
  }
  if (replies.size() != requests.size() || pos != reply.size())
    throw std::runtime_error("beam oracle: malformed batch reply");
  return replies;
}

Bytes BeamOracle::term_to_binary(std::string_view expression, std::string_view options) {
  return ok_payload(call({t2b_request(expression, options)}).at(0), "term_to_binary");
}

std::vector<Bytes> BeamOracle::term_to_binary_batch(const std::vector<std::string>& expressions,
                                                    std::string_view options) {
  std::vector<Bytes> requests;
  requests.reserve(expressions.size());
  for (const auto& e : expressions) requests.push_back(t2b_request(e, options));
  std::vector<Bytes> results;
  results.reserve(requests.size());
  auto replies = call(requests);
  for (std::size_t i = 0; i < replies.size(); ++i)
    results.push_back(ok_payload(replies[i], "term_to_binary(" + expressions[i] + ")"));
  return results;
}

BeamVerdict BeamOracle::binary_to_term(std::span<const std::uint8_t> bytes, bool safe) {
  return parse_verdict(call({b2t_request(bytes, safe)}).at(0));
}

std::vector<BeamVerdict> BeamOracle::binary_to_term_batch(const std::vector<Bytes>& inputs,
                                                          bool safe, bool print) {
  std::vector<Bytes> requests;
  requests.reserve(inputs.size());
  for (const auto& in : inputs) requests.push_back(b2t_request(in, safe, print));
  std::vector<BeamVerdict> verdicts;
  verdicts.reserve(inputs.size());
  for (const auto& reply : call(requests)) verdicts.push_back(parse_verdict(reply));
  return verdicts;
}

std::vector<Bytes> BeamOracle::reencode_batch(const std::vector<Bytes>& inputs,
                                              std::string_view options) {
  std::vector<Bytes> requests;
  requests.reserve(inputs.size());
  for (const auto& in : inputs) {
    Bytes r{std::uint8_t('r')};
    put_u32(r, std::uint32_t(options.size()));
    r.insert(r.end(), options.begin(), options.end());
    r.insert(r.end(), in.begin(), in.end());
    requests.push_back(std::move(r));
  }
  std::vector<Bytes> results;
  results.reserve(requests.size());
  for (const auto& reply : call(requests)) results.push_back(ok_payload(reply, "reencode"));
  return results;
}

std::string BeamOracle::print_w(std::span<const std::uint8_t> bytes) {
  Bytes text = ok_payload(call({request('w', bytes)}).at(0), "print_w");
  return std::string(text.begin(), text.end());
}

std::string BeamOracle::eval_print_w(std::string_view expression) {
  Bytes text = ok_payload(call({request('e', as_bytes(expression))}).at(0),
                          "eval(" + std::string(expression) + ")");
  return std::string(text.begin(), text.end());
}

}  // namespace distspec::process
