defmodule PingPong.MixProject do
  use Mix.Project

  # The tutorial's application: it supervises a GenServer registered as PingPong.
  # No dependencies, so it compiles with no network access.
  def project do
    [
      app: :ping_pong,
      version: "0.1.0",
      elixir: "~> 1.14",
      start_permanent: Mix.env() == :prod,
      deps: []
    ]
  end

  def application do
    [
      extra_applications: [:logger],
      mod: {PingPong.Application, []}
    ]
  end
end
