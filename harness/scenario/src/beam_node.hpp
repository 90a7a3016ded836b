// NodeDrivers for real BEAM nodes: iex, erl and elixir (a script), all over pipes.
#pragma once

#include <memory>

#include "distspec/scenario/node_kind.hpp"

namespace distspec::scenario {

std::unique_ptr<NodeDriver> make_iex_node(NodeLaunch launch);
std::unique_ptr<NodeDriver> make_erl_node(NodeLaunch launch);
std::unique_ptr<NodeDriver> make_elixir_node(NodeLaunch launch);

// Removes shell prompts ("iex(a@h)3> ", "...(a@h)3> ", "(a@h)3> ") from the start of a line.
std::string strip_prompts(const std::string& line);

// The text of an eval: the lines before the marker, prompts stripped, log reports and the
// blank lines around them dropped.
std::string eval_text(const std::vector<std::string>& lines);

}  // namespace distspec::scenario
