defmodule PingPongTest do
  use ExUnit.Case

  test "the application registers PingPong under its supervisor" do
    assert is_pid(Process.whereis(PingPong))
    assert [{PingPong, pid, :worker, [PingPong]}] = Supervisor.which_children(PingPong.Supervisor)
    assert pid == Process.whereis(PingPong)
  end

  test "PingPong answers :ping with :pong" do
    assert GenServer.call(PingPong, :ping) == :pong
    assert PingPong.ping() == :pong
  end

  test "it counts the pings it answered" do
    before = GenServer.call(PingPong, :count)
    :pong = PingPong.ping()
    assert GenServer.call(PingPong, :count) == before + 1
  end

  test "it is restarted by its supervisor when it dies" do
    old = Process.whereis(PingPong)
    ref = Process.monitor(old)
    Process.exit(old, :kill)
    assert_receive {:DOWN, ^ref, :process, ^old, :killed}
    Process.sleep(50)
    new = Process.whereis(PingPong)
    assert is_pid(new) and new != old
    assert PingPong.ping() == :pong
  end
end
