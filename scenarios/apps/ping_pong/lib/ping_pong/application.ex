defmodule PingPong.Application do
  @moduledoc false
  use Application

  @impl true
  def start(_type, _args) do
    children = [PingPong]
    Supervisor.start_link(children, strategy: :one_for_one, name: PingPong.Supervisor)
  end
end
