# Sourced by bench/run_calls and bench/callgrind_calls. The distribution flags of ours that
# erl_interface 5.3 (OTP 25) does not advertise (ei_connect.c, preferred_flags; an ei node is
# hidden): `distspec peer` run with these arguments does the protocol work per call that the ei
# node does. A BEAM caller then sends one REG_SEND per call, pass-through ('p', no atom cache),
# with no MONITOR_P/DEMONITOR_P (OTP monitors by name only with DIST_MONITOR_NAME) and a reply by
# SEND (no ALIAS); with every flag it sends MONITOR_P, REG_SEND and DEMONITOR_P through the atom
# cache, as to a BEAM node.
ei_like_peer_args=(--hidden --without-flags
  DIST_MONITOR_NAME,UNICODE_IO,DIST_HDR_ATOM_CACHE,SEND_SENDER,BIG_SEQTRACE_LABELS,EXIT_PAYLOAD,FRAGMENTS,ALIAS)
