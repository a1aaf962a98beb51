#!/usr/bin/env python3
"""Extract DCE/RPC PDUs from SMB2 named-pipe traffic in a pcap (capture tool only; the tests
are Rust and read the .hex files this writes).

usage: extract_dcerpc.py CAPTURE.pcap [OUT_DIR]

Reads a classic libpcap file (Ethernet, IPv4, TCP port 445), reassembles each TCP direction by
sequence number, splits the direct-TCP 4-byte framing into SMB2 messages (following compound
NextCommand chains), and takes the pipe payloads of WRITE requests, READ responses and
FSCTL_PIPE_TRANSCEIVE IOCTL requests/responses. Each DCE/RPC PDU found is printed with its
type; with OUT_DIR every PDU is written as <n>-<type>.hex (lowercase hex, 32 bytes a line).
"""
import struct
import sys
import os

PTYPES = {0: "request", 2: "response", 3: "fault", 11: "bind", 12: "bind_ack", 13: "bind_nak",
          14: "alter_context", 15: "alter_context_resp"}
FSCTL_PIPE_TRANSCEIVE = 0x0011C017


def packets(path):
    data = open(path, "rb").read()
    magic = struct.unpack_from("<I", data, 0)[0]
    if magic != 0xA1B2C3D4:
        raise SystemExit("only little-endian microsecond pcap is supported")
    off = 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack_from("<IIII", data, off)
        off += 16
        yield data[off:off + incl]
        off += incl


def tcp_streams(path):
    streams = {}
    for frame in packets(path):
        if len(frame) < 14 or struct.unpack_from(">H", frame, 12)[0] != 0x0800:
            continue
        ip = frame[14:]
        ihl = (ip[0] & 0x0F) * 4
        total = struct.unpack_from(">H", ip, 2)[0]
        if ip[9] != 6:
            continue
        src, dst = ip[12:16], ip[16:20]
        tcp = ip[ihl:total]
        sport, dport, seq = struct.unpack_from(">HHI", tcp, 0)
        doff = (tcp[12] >> 4) * 4
        payload = tcp[doff:]
        key = (src, sport, dst, dport)
        if payload:
            streams.setdefault(key, {})[seq] = payload
    out = {}
    for key, segs in streams.items():
        buf = b""
        nxt = None
        for seq in sorted(segs):
            seg = segs[seq]
            if nxt is not None and seq < nxt:
                seg = seg[nxt - seq:]
            buf += seg
            nxt = seq + len(segs[seq]) if nxt is None else max(nxt, seq + len(segs[seq]))
        out[key] = buf
    return out


def smb2_messages(stream):
    off = 0
    while off + 4 <= len(stream):
        length = struct.unpack_from(">I", stream, off)[0] & 0x00FFFFFF
        msg = stream[off + 4:off + 4 + length]
        off += 4 + length
        pos = 0
        while pos + 64 <= len(msg) and msg[pos:pos + 4] == b"\xfeSMB":
            nxt = struct.unpack_from("<I", msg, pos + 20)[0]
            end = pos + nxt if nxt else len(msg)
            yield msg[pos:end]
            if not nxt:
                break
            pos += nxt


def pipe_payloads(m):
    command = struct.unpack_from("<H", m, 12)[0]
    flags = struct.unpack_from("<I", m, 16)[0]
    status = struct.unpack_from("<I", m, 8)[0]
    response = bool(flags & 1)
    body = m[64:]
    if command == 9 and not response:  # WRITE request
        doff, length = struct.unpack_from("<HI", body, 2)
        yield "write", m[doff:doff + length]
    elif command == 8 and response and status in (0, 0x80000005):  # READ response
        doff = body[2]
        length = struct.unpack_from("<I", body, 4)[0]
        yield "read", m[doff:doff + length]
    elif command == 0x0B:  # IOCTL
        ctl = struct.unpack_from("<I", body, 4)[0]
        if ctl != FSCTL_PIPE_TRANSCEIVE:
            return
        if not response:
            ioff, ilen = struct.unpack_from("<II", body, 24)
            yield "ioctl-in", m[ioff:ioff + ilen]
        elif status in (0, 0x80000005):
            ooff, olen = struct.unpack_from("<II", body, 32)
            yield "ioctl-out", m[ooff:ooff + olen]


def main():
    path = sys.argv[1]
    out_dir = sys.argv[2] if len(sys.argv) > 2 else None
    n = 0
    for key, stream in tcp_streams(path).items():
        for m in smb2_messages(stream):
            for how, data in pipe_payloads(m):
                pos = 0
                while pos + 16 <= len(data) and data[pos] == 5:
                    frag = struct.unpack_from("<H", data, pos + 8)[0]
                    pdu = data[pos:pos + frag]
                    ptype = PTYPES.get(pdu[2], str(pdu[2]))
                    call_id = struct.unpack_from("<I", pdu, 12)[0]
                    n += 1
                    print(f"{n:02} {how:9} {ptype:12} call_id={call_id} frag_len={frag} flags={pdu[3]:#04x}")
                    if out_dir:
                        name = os.path.join(out_dir, f"{n:02}-{ptype}.hex")
                        hx = pdu.hex()
                        with open(name, "w") as f:
                            for i in range(0, len(hx), 64):
                                f.write(hx[i:i + 64] + "\n")
                    pos += frag


if __name__ == "__main__":
    main()
