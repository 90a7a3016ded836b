defmodule PingPong do
  @moduledoc """
  The GenServer of the tutorial, registered as `PingPong`: it answers `:ping` with `:pong`.
  """
  use GenServer

  def start_link(_args), do: GenServer.start_link(__MODULE__, :ok, name: __MODULE__)

  @doc "Asks the PingPong server on `node` (the local one by default)."
  def ping(node \\ Node.self()), do: GenServer.call({__MODULE__, node}, :ping)

  @impl true
  def init(:ok), do: {:ok, %{pings: 0}}

  @impl true
  def handle_call(:ping, _from, state), do: {:reply, :pong, %{state | pings: state.pings + 1}}
  def handle_call(:count, _from, state), do: {:reply, state.pings, state}
end
