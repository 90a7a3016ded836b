#!/usr/bin/env python3
"""Seeds for the protocol fuzz targets, cut from real OTP 25 traffic: the loopback captures in
../shared/vectors/captures/*.pcapng (issue 5: recorded, not hand-typed); and for the scenario
loader, the repository's real scenario files.

Usage: fuzz/seeds/make_proto_seeds.py [CAPTURES_DIR [CORPORA_DIR]]
Writes, named by the SHA-1 of their content (replacing this script's previous output):
  epmd/                 [selector][bytes]: every EPMD request, and every reply with the selector
                        of the parser that reads it (see fuzz/epmd.cpp);
  handshake_acceptor/   the target's parameters (cookie secret_token, the acceptor's real
                        challenge) then the initiator's messages in chunks (fuzz/handshake_*.cpp);
  handshake_initiator/  the same for the initiator, with the acceptor's messages;
  dist_frame/           each direction's stream after the handshake (4-byte framed 'D'/'E'/'F'
                        packets and ticks), mode byte 3 (atom cache + fragments, as negotiated);
  scenario_yaml/        every scenarios/**/*.yaml (not apps/) and the loader tests' files in
                        harness/scenario/tests/data/ (planted errors included), as they are.
The input layouts mirror the targets' InputReader calls; keep them in step.
"""
import glob
import hashlib
import os
import re
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CAPTURES = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "../../../shared/vectors/captures")
CORPORA = sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, "../../corpora")
ROOT = os.path.join(HERE, "../..")
COOKIE = b"secret_token"
EPMD_PORT = 4369


def packets(path):
    """Ethernet frames of a pcapng file (enhanced packet blocks)."""
    data = open(path, "rb").read()
    pos = 0
    while pos + 8 <= len(data):
        block_type, length = struct.unpack_from("<II", data, pos)
        if block_type == 6:
            captured = struct.unpack_from("<I", data, pos + 20)[0]
            yield data[pos + 28: pos + 28 + captured]
        pos += length


def tcp_segments(frame):
    ethertype = struct.unpack_from(">H", frame, 12)[0]
    ip = frame[14:]
    if ethertype == 0x0800:
        header = (ip[0] & 15) * 4
        total = struct.unpack_from(">H", ip, 2)[0]
        proto, tcp = ip[9], ip[header:total]
    elif ethertype == 0x86DD:
        proto, tcp = ip[6], ip[40:40 + struct.unpack_from(">H", ip, 4)[0]]
    else:
        return None
    if proto != 6:
        return None
    sport, dport, seq = struct.unpack_from(">HHI", tcp, 0)
    flags = tcp[13]
    return sport, dport, seq, flags, tcp[(tcp[12] >> 4) * 4:]


def connections(path):
    """[(server_port, client->server bytes, server->client bytes)] in capture order."""
    conns, order = {}, []
    for frame in packets(path):
        seg = tcp_segments(frame)
        if not seg:
            continue
        sport, dport, seq, flags, payload = seg
        if flags & 0x02 and not flags & 0x10:  # SYN: a new connection, client first
            key = (sport, dport)
            conns[key] = {"c2s": b"", "s2c": b"", "seen": set()}
            order.append(key)
            continue
        key = (sport, dport) if (sport, dport) in conns else (dport, sport)
        if key not in conns or not payload:
            continue
        c = conns[key]
        if (sport, seq) in c["seen"]:
            continue  # retransmission
        c["seen"].add((sport, seq))
        c["c2s" if (sport, dport) == key else "s2c"] += payload
    return [(k[1], conns[k]["c2s"], conns[k]["s2c"]) for k in order]


def after_handshake(stream):
    return stream[sum(len(m) for m in frames16(stream)):]


def frame_seed(stream, mode=3, limit=8000):
    seed = bytes([mode])
    for i in range(0, min(len(stream), limit), 127):
        part = stream[i: i + 127]
        seed += bytes([len(part) - 1]) + part
    return seed


def frames16(stream):
    out, pos = [], 0
    while pos + 2 <= len(stream):
        n = struct.unpack_from(">H", stream, pos)[0]
        if pos + 2 + n > len(stream):
            break
        out.append(stream[pos: pos + 2 + n])
        pos += 2 + n
        if out[-1][2:3] in (b"a", b"r"):  # the last handshake message of each side
            break
    return out


def text(s):
    return bytes([len(s)]) + s


def chunks(message, feed):
    out = b""
    for i in range(0, len(message), 48):
        part = message[i: i + 48]
        out += bytes([len(part) - 1]) + part + bytes([feed - 1])
    return out


def acceptor_seed(c2s_msgs, s2c_msgs, help_flag, feed):
    challenge = next((struct.unpack_from(">I", m, 11)[0] for m in s2c_msgs if m[2:3] == b"N"), 0)
    seed = text(b"a@host") + text(COOKIE) + struct.pack(">II", challenge, 1) + bytes([1, 1, 0, help_flag])
    for m in c2s_msgs:
        seed += chunks(m, feed)
        if m[2:3] in (b"N", b"n"):
            seed += bytes([0, 0, 0])  # decide(): allowed, no existing connection, our cookie
    return seed


def initiator_seed(c2s_msgs, s2c_msgs, help_flag, feed):
    challenge_msg = next((m for m in s2c_msgs if m[2:3] == b"N"), None)
    reply = next((m for m in c2s_msgs if m[2:3] == b"r"), None)
    if not challenge_msg or not reply:
        return None
    name_len = struct.unpack_from(">H", challenge_msg, 19)[0]
    target = challenge_msg[21: 21 + name_len]
    own_challenge = struct.unpack_from(">I", reply, 3)[0]
    seed = bytes([0]) + text(target) + text(COOKIE) + struct.pack(">II", own_challenge, 1) + bytes([1, 0, help_flag])
    for m in s2c_msgs:
        seed += chunks(m, feed)
    return seed


def write(dirname, seeds):
    path = os.path.join(CORPORA, dirname)
    os.makedirs(path, exist_ok=True)
    for f in os.listdir(path):
        if re.fullmatch(r"[0-9a-f]{40}", f):
            os.remove(os.path.join(path, f))
    for s in set(seeds):
        open(os.path.join(path, hashlib.sha1(s).hexdigest()), "wb").write(s)
    print(f"{dirname}: {len(set(seeds))} seeds")


REPLY_SELECTOR = {ord("x"): 1, ord("z"): 2, ord("n"): 3 | 0x80, ord("d"): 4 | 0x80, ord("k"): 5, ord("s"): 6}


def main():
    epmd, acceptor, initiator, frames = [], [], [], []
    for pcap in sorted(glob.glob(os.path.join(CAPTURES, "*.pcapng"))):
        for port, c2s, s2c in connections(pcap):
            if port == EPMD_PORT:
                if c2s:
                    epmd.append(bytes([0]) + c2s)
                    if s2c and len(c2s) > 2 and c2s[2] in REPLY_SELECTOR:
                        epmd.append(bytes([REPLY_SELECTOR[c2s[2]]]) + s2c)
                continue
            c2s_msgs, s2c_msgs = frames16(c2s), frames16(s2c)
            if not c2s_msgs or c2s_msgs[0][2:3] not in (b"N", b"n"):
                continue
            for rest in (after_handshake(c2s), after_handshake(s2c)):
                if rest:
                    frames.append(frame_seed(rest))
            for help_flag in (0, 1):
                for feed in (64, 1, 7):
                    acceptor.append(acceptor_seed(c2s_msgs, s2c_msgs, help_flag, feed))
                    seed = initiator_seed(c2s_msgs, s2c_msgs, help_flag, feed)
                    if seed:
                        initiator.append(seed)
    write("epmd", epmd)
    write("handshake_acceptor", acceptor)
    write("handshake_initiator", initiator)
    write("dist_frame", frames)
    write("scenario_yaml", scenario_files())


def scenario_files():
    paths = glob.glob(os.path.join(ROOT, "scenarios/**/*.yaml"), recursive=True)
    paths = [p for p in paths if "/apps/" not in os.path.relpath(p, ROOT)]
    paths += glob.glob(os.path.join(ROOT, "harness/scenario/tests/data/*.yaml"))
    return [open(p, "rb").read() for p in sorted(paths)]


main()
