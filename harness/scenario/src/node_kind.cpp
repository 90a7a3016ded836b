#include "distspec/scenario/node_kind.hpp"

#include <array>

#include "beam_node.hpp"
#include "peer_node.hpp"

namespace distspec::scenario {

EvalResult NodeDriver::eval(const std::string&, Clock::time_point) {
  return {EvalResult::Status::unsupported, "this node kind does not evaluate expressions"};
}

EvalResult NodeDriver::peer_action(const Step& step, Clock::time_point) {
  return {EvalResult::Status::unsupported, step.action + " needs a node of kind peer"};
}

namespace {

constexpr std::array kNodeKinds = {
    NodeKindInfo{"iex", "", true, false, &make_iex_node},
    NodeKindInfo{"erl", "", true, false, &make_erl_node},
    NodeKindInfo{"elixir", "", false, false, &make_elixir_node},
    NodeKindInfo{"peer", "", false, true, &make_peer_node},
};

constexpr std::array kStepActions = {
    StepActionInfo{"eval", StepNeeds::evaluating_node, false, true,
                   "evaluate an expression (Elixir on iex, Erlang on erl) and check what it prints"},
    StepActionInfo{"wait_until", StepNeeds::evaluating_node, false, true,
                   "evaluate repeatedly until the result matches, or the timeout"},
    StepActionInfo{"log", StepNeeds::nothing, false, false, "wait for a line the node prints"},
    StepActionInfo{"start", StepNeeds::nothing, true, true, "start a `start: later` node"},
    StepActionInfo{"stop", StepNeeds::nothing, true, false, "stop a node in order (end of input)"},
    StepActionInfo{"kill", StepNeeds::nothing, true, false, "SIGKILL a node's process group"},
    StepActionInfo{"sleep", StepNeeds::nothing, false, false, "wait a fixed time"},
    StepActionInfo{"ping", StepNeeds::peer_node, false, true, "peer: ping a node (pong/pang)"},
    StepActionInfo{"call", StepNeeds::peer_node, false, true, "peer: gen_call a registered name on a node"},
    StepActionInfo{"send", StepNeeds::peer_node, false, false, "peer: send a term to a registered name or a pid"},
};

}  // namespace

std::span<const NodeKindInfo> node_kinds() { return kNodeKinds; }

const NodeKindInfo* find_node_kind(std::string_view name) {
  for (const auto& kind : kNodeKinds)
    if (kind.name == name) return &kind;
  return nullptr;
}

std::span<const StepActionInfo> step_actions() { return kStepActions; }

const StepActionInfo* find_step_action(std::string_view name) {
  for (const auto& action : kStepActions)
    if (action.name == name) return &action;
  return nullptr;
}

}  // namespace distspec::scenario
