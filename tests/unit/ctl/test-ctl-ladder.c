/* SPDX-License-Identifier: MIT */
/*
 * test-ctl-ladder.c - the trace ladder diagram against golden text: a full
 * active connection in relative and absolute numbers (our sequence space
 * wraps past 2^32 during the data; absolute ones, longest labels too, keep
 * the lifelines straight), a passive one closed by the peer, and a
 * history that starts after the handshake; and the peer's state as the
 * segments imply it (RFC 9293 §3.3.2, §3.5): both orders of close,
 * simultaneous open and close (segments crossing), resets either way, the
 * old duplicate SYN of Figure 9, retransmissions, and the two ladders that
 * README.md's live session shows.
 */
#include "ctl-test.h"

#include "ctl-fixtures.h"
#include "ladder.h"

#define IN    CTL_DIR_IN
#define OUT   CTL_DIR_OUT
#define S     CTL_TCP_SYN
#define A     CTL_TCP_ACK
#define F     CTL_TCP_FIN
#define P     CTL_TCP_PSH
#define R     CTL_TCP_RST
#define ST(x) CTL_STATE_##x

/* README.md, "A live session": `trace 4`, the kernel connects to echo and closes first. */
static size_t tr_readme_passive(struct ctl_trace_entry *v)
{
	const uint32_t s = 7000, r = 100000;
	const uint64_t t = 5000000;
	size_t n = 0;
	v[n++] = fix_seg(t, IN, S, r, 0, 64240, 0);
	v[n++] = fix_state(t, ST(LISTEN), ST(SYN_RECEIVED), "rcv SYN");
	v[n++] = fix_seg(t, OUT, S | A, s, r + 1, 65535, 0);
	v[n++] = fix_seg(t + 54, IN, A, r + 1, s + 1, 63, 0);
	v[n++] = fix_state(t + 54, ST(SYN_RECEIVED), ST(ESTABLISHED), "rcv ACK");
	v[n++] = fix_seg(t + 1519, IN, P | A, r + 1, s + 1, 63, 6);
	v[n++] = fix_seg(t + 1523, IN, F | A, r + 7, s + 1, 63, 0);
	v[n++] = fix_state(t + 1523, ST(ESTABLISHED), ST(CLOSE_WAIT), "rcv FIN");
	v[n++] = fix_seg(t + 1523, OUT, A, s + 1, r + 8, 512, 0);
	v[n++] = fix_seg(t + 1738, OUT, P | A, s + 1, r + 8, 512, 6);
	v[n++] = fix_state(t + 1764, ST(CLOSE_WAIT), ST(LAST_ACK), "close");
	v[n++] = fix_seg(t + 1764, OUT, F | A, s + 7, r + 8, 512, 0);
	v[n++] = fix_seg(t + 1787, IN, A, r + 8, s + 7, 63, 0);
	v[n++] = fix_seg(t + 1791, IN, A, r + 8, s + 8, 63, 0);
	v[n++] = fix_state(t + 1791, ST(LAST_ACK), ST(CLOSED), "rcv ACK of FIN");
	return n;
}

/* README.md, "A live session": `trace dport = :8080`, synack-nc -d connects and closes first. */
static size_t tr_readme_active(struct ctl_trace_entry *v)
{
	const uint32_t s = 123456, r = 900000;
	const uint64_t t = 7000000;
	size_t n = 0;
	v[n++] = fix_state(t, ST(CLOSED), ST(SYN_SENT), "connect");
	v[n++] = fix_seg(t, OUT, S, s, 0, 65535, 0);
	v[n++] = fix_seg(t + 130, IN, S | A, r, s + 1, 65160, 0);
	v[n++] = fix_state(t + 130, ST(SYN_SENT), ST(ESTABLISHED), "rcv SYN,ACK");
	v[n++] = fix_seg(t + 130, OUT, A, s + 1, r + 1, 512, 0);
	v[n++] = fix_state(t + 3253, ST(ESTABLISHED), ST(FIN_WAIT_1), "close");
	v[n++] = fix_seg(t + 3253, OUT, F | A, s + 1, r + 1, 512, 0);
	v[n++] = fix_seg(t + 3499, IN, F | A, r + 1, s + 2, 64, 0);
	v[n++] = fix_state(t + 3499, ST(FIN_WAIT_1), ST(FIN_WAIT_2), "rcv ACK of FIN");
	v[n++] = fix_state(t + 3499, ST(FIN_WAIT_2), ST(TIME_WAIT), "rcv FIN");
	v[n++] = fix_seg(t + 3499, OUT, A, s + 2, r + 2, 511, 0);
	return n;
}

/* README.md, "Impairing the link": `trace 5`, the SYN,ACK to an old duplicate SYN is
 * reset (the entries ctl-old-dup-syn's run recorded: the child starts in SYN-RECEIVED). */
static size_t tr_readme_dup_syn(struct ctl_trace_entry *v)
{
	const uint32_t s = 3115714161u, r = 1348572179u;
	const uint64_t t = 9000000;
	size_t n = 0;
	v[n++] = fix_seg(t, IN, S, r, 0, 64240, 0);
	v[n++] = fix_state(t, ST(LISTEN), ST(SYN_RECEIVED), "rcv SYN");
	v[n++] = fix_seg(t, OUT, S | A, s, r + 1, 65535, 0);
	v[n++] = fix_seg(t + 128, IN, R, r + 1, 0, 0, 0);
	v[n++] = fix_state(t + 128, ST(SYN_RECEIVED), ST(LISTEN), "rcv RST");
	v[n++] = fix_state(t + 128, ST(LISTEN), ST(CLOSED), "rcv RST");
	return n;
}

/* both close at once: FINs cross (RFC 9293 Figure 13) */
static size_t tr_sim_close(struct ctl_trace_entry *v)
{
	const uint32_t s = 5000, r = 80000;
	size_t n = 0;
	v[n++] = fix_state(0, ST(CLOSED), ST(SYN_SENT), "connect");
	v[n++] = fix_seg(0, OUT, S, s, 0, 64240, 0);
	v[n++] = fix_seg(300, IN, S | A, r, s + 1, 65160, 0);
	v[n++] = fix_state(300, ST(SYN_SENT), ST(ESTABLISHED), "rcv SYN,ACK");
	v[n++] = fix_seg(300, OUT, A, s + 1, r + 1, 502, 0);
	v[n++] = fix_state(5000, ST(ESTABLISHED), ST(FIN_WAIT_1), "close");
	v[n++] = fix_seg(5000, OUT, F | A, s + 1, r + 1, 502, 0);
	v[n++] = fix_seg(5100, IN, F | A, r + 1, s + 1, 508, 0);
	v[n++] = fix_state(5100, ST(FIN_WAIT_1), ST(CLOSING), "rcv FIN");
	v[n++] = fix_seg(5100, OUT, A, s + 2, r + 2, 502, 0);
	v[n++] = fix_seg(5200, IN, A, r + 2, s + 2, 508, 0);
	v[n++] = fix_state(5200, ST(CLOSING), ST(TIME_WAIT), "rcv ACK of FIN");
	v[n++] = fix_state(60005200, ST(TIME_WAIT), ST(CLOSED), "2MSL timeout");
	return n;
}

/* both open at once: SYNs cross (RFC 9293 Figure 8) */
static size_t tr_sim_open(struct ctl_trace_entry *v)
{
	const uint32_t s = 100, r = 300;
	size_t n = 0;
	v[n++] = fix_state(0, ST(CLOSED), ST(SYN_SENT), "connect");
	v[n++] = fix_seg(0, OUT, S, s, 0, 64240, 0);
	v[n++] = fix_seg(200, IN, S, r, 0, 65535, 0);
	v[n++] = fix_state(200, ST(SYN_SENT), ST(SYN_RECEIVED), "rcv SYN");
	v[n++] = fix_seg(200, OUT, S | A, s, r + 1, 64240, 0);
	v[n++] = fix_seg(250, IN, S | A, r, s + 1, 65535, 0);
	v[n++] = fix_state(250, ST(SYN_RECEIVED), ST(ESTABLISHED), "rcv ACK");
	v[n++] = fix_seg(250, OUT, A, s + 1, r + 1, 502, 0);
	v[n++] = fix_seg(1000, IN, P | A, r + 1, s + 1, 512, 100);
	v[n++] = fix_seg(1001, OUT, A, s + 1, r + 101, 502, 0);
	return n;
}

/* RFC 9293 Figure 9: an old duplicate SYN's SYN,ACK is reset, the peer goes back to LISTEN */
static size_t tr_old_dup(struct ctl_trace_entry *v)
{
	const uint32_t s = 100, r0 = 90000, r = 400000;
	size_t n = 0;
	v[n++] = fix_state(0, ST(CLOSED), ST(SYN_SENT), "connect");
	v[n++] = fix_seg(0, OUT, S, s, 0, 64240, 0);
	v[n++] = fix_seg(300, IN, S | A, r0, s - 9, 65535, 0);
	v[n++] = fix_seg(300, OUT, R, s - 9, 0, 0, 0);
	v[n++] = fix_seg(600, IN, S | A, r, s + 1, 65535, 0);
	v[n++] = fix_state(600, ST(SYN_SENT), ST(ESTABLISHED), "rcv SYN,ACK");
	v[n++] = fix_seg(600, OUT, A, s + 1, r + 1, 502, 0);
	return n;
}

/* we abort with the peer's data in flight */
static size_t tr_we_reset(struct ctl_trace_entry *v)
{
	const uint32_t s = 100, r = 300;
	size_t n = 0;
	v[n++] = fix_seg(0, IN, S, r, 0, 64240, 0);
	v[n++] = fix_state(0, ST(LISTEN), ST(SYN_RECEIVED), "rcv SYN");
	v[n++] = fix_seg(0, OUT, S | A, s, r + 1, 65535, 0);
	v[n++] = fix_seg(100, IN, A, r + 1, s + 1, 502, 0);
	v[n++] = fix_state(100, ST(SYN_RECEIVED), ST(ESTABLISHED), "rcv ACK");
	v[n++] = fix_seg(2000, IN, P | A, r + 1, s + 1, 502, 1000);
	v[n++] = fix_state(2100, ST(ESTABLISHED), ST(CLOSED), "abort");
	v[n++] = fix_seg(2100, OUT, R | A, s + 1, r + 1001, 0, 0);
	v[n++] = fix_seg(2150, IN, P | A, r + 1001, s + 1, 502, 1000);
	return n;
}

/* the peer refuses */
static size_t tr_refused(struct ctl_trace_entry *v)
{
	const uint32_t s = 100;
	size_t n = 0;
	v[n++] = fix_state(0, ST(CLOSED), ST(SYN_SENT), "connect");
	v[n++] = fix_seg(0, OUT, S, s, 0, 64240, 0);
	v[n++] = fix_seg(120, IN, R | A, 0, s + 1, 0, 0);
	v[n++] = fix_state(120, ST(SYN_SENT), ST(CLOSED), "rcv RST");
	return n;
}

/* retransmissions on both sides: nothing changes */
static size_t tr_retrans(struct ctl_trace_entry *v)
{
	const uint32_t s = 100, r = 300;
	size_t n = 0;
	v[n++] = fix_state(0, ST(CLOSED), ST(SYN_SENT), "connect");
	v[n++] = fix_seg(0, OUT, S, s, 0, 64240, 0);
	v[n++] = fix_seg(1000000, OUT, S, s, 0, 64240, 0);
	v[n++] = fix_seg(1000300, IN, S | A, r, s + 1, 65535, 0);
	v[n++] = fix_state(1000300, ST(SYN_SENT), ST(ESTABLISHED), "rcv SYN,ACK");
	v[n++] = fix_seg(1000300, OUT, A, s + 1, r + 1, 502, 0);
	v[n++] = fix_seg(1200300, IN, S | A, r, s + 1, 65535, 0);
	v[n++] = fix_seg(1200300, OUT, A, s + 1, r + 1, 502, 0);
	v[n++] = fix_seg(2000000, IN, P | A, r + 1, s + 1, 512, 100);
	v[n++] = fix_seg(2000000, OUT, A, s + 1, r + 101, 502, 0);
	v[n++] = fix_state(3000000, ST(ESTABLISHED), ST(FIN_WAIT_1), "close");
	v[n++] = fix_seg(3000000, OUT, F | A, s + 1, r + 101, 502, 0);
	v[n++] = fix_seg(3200000, OUT, F | A, s + 1, r + 101, 502, 0);
	v[n++] = fix_seg(3200300, IN, A, r + 101, s + 2, 512, 0);
	v[n++] = fix_state(3200300, ST(FIN_WAIT_1), ST(FIN_WAIT_2), "rcv ACK of FIN");
	v[n++] = fix_seg(4000000, IN, F | A, r + 101, s + 2, 512, 0);
	v[n++] = fix_state(4000000, ST(FIN_WAIT_2), ST(TIME_WAIT), "rcv FIN");
	v[n++] = fix_seg(4000000, OUT, A, s + 2, r + 102, 502, 0);
	v[n++] = fix_seg(4200000, IN, F | A, r + 101, s + 2, 512, 0);
	v[n++] = fix_seg(4200000, OUT, A, s + 2, r + 102, 502, 0);
	return n;
}

/*
 * Active open, we close first. The peer's SYN,ACK shows it in SYN-RECEIVED;
 * our ACK would make it ESTABLISHED and our FIN CLOSE-WAIT when they arrive
 * (implied, in parentheses); its FIN, whose ACK covers ours, is sent in
 * LAST-ACK, and our last ACK closes it.
 */
static const char golden_active_relative[] =
	"  time/ms state        synack                                 peer state\n"
	"    0.000 SYN-SENT     |-- SYN seq=0 win=64240 ----------------->|\n"
	"    0.412 ESTABLISHED  |<------- SYN,ACK seq=0 ack=1 win=65160 --| SYN-RECEIVED\n"
	"    0.412              |-- ACK seq=1 ack=1 win=502 ------------->| (ESTABLISHED)\n"
	"    2.000              |-- PSH,ACK seq=1 ack=1 win=502 len=400 ->|\n"
	"    2.300              |<----------- ACK seq=1 ack=401 win=508 --|\n"
	"    2.400              |<PSH,ACK seq=1 ack=401 win=508 len=1000 -|\n"
	"    2.401              |-- ACK seq=401 ack=1001 win=501 -------->|\n"
	"    3.000 FIN-WAIT-1   |-- FIN,ACK seq=401 ack=1001 win=501 ---->| (CLOSE-WAIT)\n"
	"    3.300 FIN-WAIT-2   |<-------- ACK seq=1001 ack=402 win=508 --|\n"
	"    3.500 TIME-WAIT    |<---- FIN,ACK seq=1001 ack=402 win=508 --| LAST-ACK\n"
	"    3.500              |-- ACK seq=402 ack=1002 win=501 -------->| (CLOSED)\n"
	"60003.500 CLOSED       |  (2MSL timeout)                         |\n";

/* clang-format off */
static const char golden_active_absolute[] =
	"  time/ms state        synack                                                        peer state\n"
	"    0.000 SYN-SENT     |-- SYN seq=4294967000 win=64240 ------------------------------->|\n"
	"    0.412 ESTABLISHED  |<------------------ SYN,ACK seq=1000 ack=4294967001 win=65160 --| SYN-RECEIVED\n"
	"    0.412              |-- ACK seq=4294967001 ack=1001 win=502 ------------------------>| (ESTABLISHED)\n"
	"    2.000              |-- PSH,ACK seq=4294967001 ack=1001 win=502 len=400 ------------>|\n"
	"    2.300              |<------------------------------- ACK seq=1001 ack=105 win=508 --|\n"
	"    2.400              |<------------------ PSH,ACK seq=1001 ack=105 win=508 len=1000 --|\n"
	"    2.401              |-- ACK seq=105 ack=2001 win=501 ------------------------------->|\n"
	"    3.000 FIN-WAIT-1   |-- FIN,ACK seq=105 ack=2001 win=501 --------------------------->| (CLOSE-WAIT)\n"
	"    3.300 FIN-WAIT-2   |<------------------------------- ACK seq=2001 ack=106 win=508 --|\n"
	"    3.500 TIME-WAIT    |<--------------------------- FIN,ACK seq=2001 ack=106 win=508 --| LAST-ACK\n"
	"    3.500              |-- ACK seq=106 ack=2002 win=501 ------------------------------->| (CLOSED)\n"
	"60003.500 CLOSED       |  (2MSL timeout)                                                |\n";
/* clang-format on */

/*
 * Passive open, the peer closes first: its bare SYN is sent in SYN-SENT, its
 * FIN (not acking one of ours) in FIN-WAIT-1; our ACK and then our FIN take
 * it to FIN-WAIT-2 and TIME-WAIT. Its last ACK shows only what we implied.
 */
static const char golden_passive[] =
	"  time/ms state        synack                                 peer state\n"
	"    0.000 SYN-RECEIVED |<----------------- SYN seq=0 win=64240 --| SYN-SENT\n"
	"    0.000              |-- SYN,ACK seq=0 ack=1 win=65535 ------->| (ESTABLISHED)\n"
	"    0.100 ESTABLISHED  |<------------- ACK seq=1 ack=1 win=502 --|\n"
	"    4.000 CLOSE-WAIT   |<--------- FIN,ACK seq=1 ack=1 win=502 --| FIN-WAIT-1\n"
	"    4.000              |-- ACK seq=1 ack=2 win=65535 ----------->| (FIN-WAIT-2)\n"
	"    7.000 LAST-ACK     |-- FIN,ACK seq=1 ack=2 win=65535 ------->| (TIME-WAIT)\n"
	"    7.200 CLOSED       |<------------- ACK seq=2 ack=2 win=502 --|\n";

/* A history that starts after the handshake: nothing about the peer until it sends. */
static const char golden_truncated[] =
	"  time/ms state        synack                                 peer state\n"
	"          (no local SYN in the history: numbers count from the first seen)\n"
	"    0.000              |-- PSH,ACK seq=0 ack=0 win=502 len=400 ->|\n"
	"    0.300              |<----------- ACK seq=0 ack=400 win=508 --|\n"
	"    0.400              |<PSH,ACK seq=0 ack=400 win=508 len=1000 -|\n"
	"    0.401              |-- ACK seq=400 ack=1000 win=501 -------->|\n"
	"    1.000 FIN-WAIT-1   |-- FIN,ACK seq=400 ack=1000 win=501 ---->| (CLOSE-WAIT)\n"
	"    1.300 FIN-WAIT-2   |<-------- ACK seq=1000 ack=401 win=508 --|\n"
	"    1.500 TIME-WAIT    |<---- FIN,ACK seq=1000 ack=401 win=508 --| LAST-ACK\n"
	"    1.500              |-- ACK seq=401 ack=1001 win=501 -------->| (CLOSED)\n"
	"60001.500 CLOSED       |  (2MSL timeout)                         |\n";

/*
 * A history that starts with the peer's FIN: synchronized, but whether our
 * FIN went before the cut is not known from the segments alone, so nothing
 * is written until ours leaves; we go LAST-ACK as it does, so the peer's
 * FIN had come first and was ACKed: it waits in FIN-WAIT-2 and our FIN
 * puts it in TIME-WAIT.
 */
static const char golden_passive_from_fin[] =
	"  time/ms state        synack                                 peer state\n"
	"          (no peer SYN in the history: numbers count from the first seen)\n"
	"    0.000 CLOSE-WAIT   |<--------- FIN,ACK seq=0 ack=0 win=502 --|\n"
	"    0.000              |-- ACK seq=0 ack=1 win=65535 ----------->|\n"
	"    3.000 LAST-ACK     |-- FIN,ACK seq=0 ack=1 win=65535 ------->| (TIME-WAIT)\n"
	"    3.200 CLOSED       |<------------- ACK seq=1 ack=1 win=502 --|\n";

/*
 * The README's `trace 4`: the peer's ACK of our data (ack=7) left before our
 * FIN arrived, as the implied TIME-WAIT already allows: nothing is written.
 */
static const char golden_readme_passive[] =
	"  time/ms state        synack                                 peer state\n"
	"    0.000 SYN-RECEIVED |<----------------- SYN seq=0 win=64240 --| SYN-SENT\n"
	"    0.000              |-- SYN,ACK seq=0 ack=1 win=65535 ------->| (ESTABLISHED)\n"
	"    0.054 ESTABLISHED  |<-------------- ACK seq=1 ack=1 win=63 --|\n"
	"    1.519              |<---- PSH,ACK seq=1 ack=1 win=63 len=6 --|\n"
	"    1.523 CLOSE-WAIT   |<---------- FIN,ACK seq=7 ack=1 win=63 --| FIN-WAIT-1\n"
	"    1.523              |-- ACK seq=1 ack=8 win=512 ------------->| (FIN-WAIT-2)\n"
	"    1.738              |-- PSH,ACK seq=1 ack=8 win=512 len=6 --->|\n"
	"    1.764 LAST-ACK     |-- FIN,ACK seq=7 ack=8 win=512 --------->| (TIME-WAIT)\n"
	"    1.787              |<-------------- ACK seq=8 ack=7 win=63 --|\n"
	"    1.791 CLOSED       |<-------------- ACK seq=8 ack=8 win=63 --|\n";

/* The README's `trace dport = :8080`. */
static const char golden_readme_active[] =
	"  time/ms state        synack                                 peer state\n"
	"    0.000 SYN-SENT     |-- SYN seq=0 win=65535 ----------------->|\n"
	"    0.130 ESTABLISHED  |<------- SYN,ACK seq=0 ack=1 win=65160 --| SYN-RECEIVED\n"
	"    0.130              |-- ACK seq=1 ack=1 win=512 ------------->| (ESTABLISHED)\n"
	"    3.253 FIN-WAIT-1   |-- FIN,ACK seq=1 ack=1 win=512 --------->| (CLOSE-WAIT)\n"
	"    3.499 FIN-WAIT-2   |<---------- FIN,ACK seq=1 ack=2 win=64 --| LAST-ACK\n"
	"    3.499 TIME-WAIT    |-- ACK seq=2 ack=2 win=511 ------------->| (CLOSED)\n";

/*
 * The README's `trace 5`: the peer has no connection and resets ours. The
 * old SYN reads as sent from SYN-SENT and our SYN,ACK as taking it to
 * ESTABLISHED: what the segments imply; the RST shows the peer CLOSED.
 */
static const char golden_readme_dup_syn[] =
	"  time/ms state        synack                                 peer state\n"
	"    0.000 SYN-RECEIVED |<----------------- SYN seq=0 win=64240 --| SYN-SENT\n"
	"    0.000              |-- SYN,ACK seq=0 ack=1 win=65535 ------->| (ESTABLISHED)\n"
	"    0.128 LISTEN       |<--------------------- RST seq=1 win=0 --| CLOSED\n"
	"    0.128 CLOSED       |  (rcv RST)                              |\n";

/*
 * Simultaneous close (RFC 9293 Figure 13): the peer's FIN does not ack ours,
 * so it was sent in FIN-WAIT-1, not from the CLOSE-WAIT our FIN implied. Our
 * FIN and ACK crossed its segments, so their arrival is not drawn; its ACK of
 * our FIN shows it in CLOSING.
 */
static const char golden_simultaneous_close[] =
	"  time/ms state        synack                                 peer state\n"
	"    0.000 SYN-SENT     |-- SYN seq=0 win=64240 ----------------->|\n"
	"    0.300 ESTABLISHED  |<------- SYN,ACK seq=0 ack=1 win=65160 --| SYN-RECEIVED\n"
	"    0.300              |-- ACK seq=1 ack=1 win=502 ------------->| (ESTABLISHED)\n"
	"    5.000 FIN-WAIT-1   |-- FIN,ACK seq=1 ack=1 win=502 --------->| (CLOSE-WAIT)\n"
	"    5.100 CLOSING      |<--------- FIN,ACK seq=1 ack=1 win=508 --| FIN-WAIT-1\n"
	"    5.100              |-- ACK seq=2 ack=2 win=502 ------------->|\n"
	"    5.200 TIME-WAIT    |<------------- ACK seq=2 ack=2 win=508 --| CLOSING\n"
	"60005.200 CLOSED       |  (2MSL timeout)                         |\n";

/*
 * Simultaneous open (RFC 9293 Figure 8): its bare SYN is sent in SYN-SENT
 * before our SYN arrived; our SYN,ACK crossed its SYN,ACK (sent in
 * SYN-RECEIVED), so only our last ACK is drawn arriving.
 */
static const char golden_simultaneous_open[] =
	"  time/ms state        synack                                 peer state\n"
	"    0.000 SYN-SENT     |-- SYN seq=0 win=64240 ----------------->|\n"
	"    0.200 SYN-RECEIVED |<----------------- SYN seq=0 win=65535 --| SYN-SENT\n"
	"    0.200              |-- SYN,ACK seq=0 ack=1 win=64240 ------->|\n"
	"    0.250 ESTABLISHED  |<------- SYN,ACK seq=0 ack=1 win=65535 --| SYN-RECEIVED\n"
	"    0.250              |-- ACK seq=1 ack=1 win=502 ------------->| (ESTABLISHED)\n"
	"    1.000              |<- PSH,ACK seq=1 ack=1 win=512 len=100 --|\n"
	"    1.001              |-- ACK seq=1 ack=101 win=502 ----------->|\n";

/*
 * RFC 9293 Figure 9: the SYN,ACK to an old duplicate SYN acks what we never
 * sent; our RST returns the peer, which came from LISTEN, to LISTEN
 * (§3.10.7.4), and our own SYN then makes it SYN-RECEIVED again.
 */
static const char golden_old_duplicate_syn[] =
	"  time/ms state        synack                                 peer state\n"
	"    0.000 SYN-SENT     |-- SYN seq=0 win=64240 ----------------->|\n"
	"    0.300              |<SYN,ACK seq=0 ack=4294967287 win=65535 -| SYN-RECEIVED\n"
	"    0.300              |-- RST seq=4294967287 win=0 ------------>| (LISTEN)\n"
	"    0.600 ESTABLISHED  |<-- SYN,ACK seq=310000 ack=1 win=65535 --| SYN-RECEIVED\n"
	"    0.600              |-- ACK seq=1 ack=310001 win=502 -------->| (ESTABLISHED)\n";

/* We reset the connection; the peer's data that crossed our RST changes nothing. */
static const char golden_we_reset[] =
	"  time/ms state        synack                                 peer state\n"
	"    0.000 SYN-RECEIVED |<----------------- SYN seq=0 win=64240 --| SYN-SENT\n"
	"    0.000              |-- SYN,ACK seq=0 ack=1 win=65535 ------->| (ESTABLISHED)\n"
	"    0.100 ESTABLISHED  |<------------- ACK seq=1 ack=1 win=502 --|\n"
	"    2.000              |< PSH,ACK seq=1 ack=1 win=502 len=1000 --|\n"
	"    2.100 CLOSED       |-- RST,ACK seq=1 ack=1001 win=0 -------->| (CLOSED)\n"
	"    2.150              |<PSH,ACK seq=1001 ack=1 win=502 len=1000-|\n";

/* The peer refuses: its RST leaves it CLOSED. */
static const char golden_refused[] =
	"  time/ms state        synack                                 peer state\n"
	"    0.000 SYN-SENT     |-- SYN seq=0 win=64240 ----------------->|\n"
	"          (no peer SYN in the history: numbers count from the first seen)\n"
	"    0.120 CLOSED       |<----------- RST,ACK seq=0 ack=1 win=0 --| CLOSED\n";

/*
 * Retransmissions on both sides: our SYN and FIN, the peer's SYN,ACK (our ACK
 * was lost) and FIN (likewise) change nothing.
 */
static const char golden_retransmissions[] =
	"  time/ms state        synack                                 peer state\n"
	"    0.000 SYN-SENT     |-- SYN seq=0 win=64240 ----------------->|\n"
	" 1000.000              |-- SYN seq=0 win=64240 ----------------->|\n"
	" 1000.300 ESTABLISHED  |<------- SYN,ACK seq=0 ack=1 win=65535 --| SYN-RECEIVED\n"
	" 1000.300              |-- ACK seq=1 ack=1 win=502 ------------->| (ESTABLISHED)\n"
	" 1200.300              |<------- SYN,ACK seq=0 ack=1 win=65535 --|\n"
	" 1200.300              |-- ACK seq=1 ack=1 win=502 ------------->|\n"
	" 2000.000              |<- PSH,ACK seq=1 ack=1 win=512 len=100 --|\n"
	" 2000.000              |-- ACK seq=1 ack=101 win=502 ----------->|\n"
	" 3000.000 FIN-WAIT-1   |-- FIN,ACK seq=1 ack=101 win=502 ------->| (CLOSE-WAIT)\n"
	" 3200.000              |-- FIN,ACK seq=1 ack=101 win=502 ------->|\n"
	" 3200.300 FIN-WAIT-2   |<----------- ACK seq=101 ack=2 win=512 --|\n"
	" 4000.000 TIME-WAIT    |<------- FIN,ACK seq=101 ack=2 win=512 --| LAST-ACK\n"
	" 4000.000              |-- ACK seq=2 ack=102 win=502 ----------->| (CLOSED)\n"
	" 4200.000              |<------- FIN,ACK seq=101 ack=2 win=512 --|\n"
	" 4200.000              |-- ACK seq=2 ack=102 win=502 ----------->|\n";

/* The lines are at most max columns (0: not checked). */
static void render_check(const struct ctl_trace_entry *v, size_t n, unsigned flags,
			 const char *golden, size_t max)
{
	struct ctl_capture cap;

	ctl_capture_begin(&cap);
	assert_int_equal(ladder_render(cap.f, v, n, flags), 0);
	assert_string_equal(ctl_capture_end(&cap), golden);
	if (max)
		assert_true(ctl_longest_line(cap.buf) <= max);
	ctl_capture_free(&cap);
}

static void test_active_relative(void **state)
{
	struct ctl_trace_entry v[32];

	render_check(v, fix_active_trace(v), 0, golden_active_relative, 80);
}

/* Ten-digit numbers: the lifelines 64 columns apart, lines of at most 103. */
static void test_active_absolute(void **state)
{
	struct ctl_trace_entry v[32];

	render_check(v, fix_active_trace(v), LADDER_ABSOLUTE, golden_active_absolute, 103);
}

/* Where the peer's lifeline is on a line: the second '|' (-1: none). */
static int peer_lifeline_column(const char *line, size_t len)
{
	const char *first = memchr(line, '|', len), *second;

	if (!first)
		return -1;
	second = memchr(first + 1, '|', len - (size_t)(first + 1 - line));
	return second ? (int)(second - line) : -1;
}

/* Every line's peer lifeline in one column, that of the last header's
 * "peer"'s last letter; returns the last, and the lines that are not
 * headers (nor the note that numbers count from the first seen) in
 * *ret_lines. */
static int assert_lifeline_straight(const char *text, int *ret_lines)
{
	const char *line = text, *nl;
	int want = -1, lines = 0;

	for (; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		assert_non_null(nl);
		if (strncmp(line, "  time/ms ", 10) == 0) {
			want = (int)(strstr(line, "peer") - line) + 3;
			continue;
		}
		if (strstr(line, "numbers count from the first seen)\n") == nl - 34)
			continue;
		assert_true(want > 0); /* a header comes first */
		assert_int_equal(peer_lifeline_column(line, (size_t)(nl - line)), want);
		lines++;
	}
	*ret_lines = lines;
	return want;
}

/*
 * Relative numbers too long for 80 columns (a bulk transfer's): the ladder
 * is drawn as wide as its longest label needs, every lifeline straight;
 * the same from ladder_fit() before feeding, as trace does.
 */
/* A handshake (labels that fit 80 columns), then a bulk segment from far
 * into the peer's sequence space and its ACK; 5 entries. */
static const uint32_t bulk_s = 1000, bulk_r = 5000, bulk_far = 143360;

static size_t fix_bulk_after_handshake(struct ctl_trace_entry *v)
{
	const uint32_t s = bulk_s, r = bulk_r, far = bulk_far;
	size_t n = 0;

	v[n++] = fix_seg(1000, OUT, S, s, 0, 64240, 0);
	v[n++] = fix_seg(2000, IN, S | A, r, s + 1, 65160, 0);
	v[n++] = fix_seg(2000, OUT, A, s + 1, r + 1, 502, 0);
	v[n++] = fix_seg(9000, IN, P | A, r + far, s + 1, 63, 15928);
	v[n++] = fix_seg(9001, OUT, A, s + 1, r + far + 15928, 502, 0);
	return n;
}

static void test_relative_long_labels_fit(void **state)
{
	struct ctl_trace_entry v[6];
	struct ctl_capture cap;
	struct ladder l;
	const char *text;
	size_t n = fix_bulk_after_handshake(v);
	int lines;

	ctl_capture_begin(&cap);
	assert_int_equal(ladder_render(cap.f, v, n, 0), 0);
	text = ctl_capture_end(&cap);
	assert_non_null(strstr(text, "PSH,ACK seq=143360 ack=1 win=63 len=15928"));
	assert_true(assert_lifeline_straight(text, &lines) > 9 + 1 + 12 + 1 + 1 + 41);
	assert_true(ctl_longest_line(text) <= 103);
	ctl_capture_free(&cap);

	ctl_capture_begin(&cap);
	ladder_init(&l, cap.f, 0);
	ladder_fit(&l, v, n);
	for (size_t i = 0; i < n; i++)
		ladder_feed(&l, &v[i]);
	ladder_flush(&l);
	assert_lifeline_straight(ctl_capture_end(&cap), &lines);
	ctl_capture_free(&cap);
}

/*
 * trace --follow: the handshake drawn 80 columns wide, then bulk data whose
 * labels need more, fed one entry at a time. The ladder widens once, under
 * a second header line; below each header every lifeline is straight.
 */
static void test_follow_widens_for_long_labels(void **state)
{
	const uint32_t s = bulk_s, r = bulk_r, far = bulk_far;
	struct ctl_trace_entry v[7];
	struct ctl_capture cap;
	struct ladder l;
	const char *text, *second;
	size_t n = fix_bulk_after_handshake(v);
	int lines;

	v[n++] = fix_seg(9500, IN, P | A, r + far + 15928, s + 1, 63, 100);
	v[n++] = fix_seg(9900, IN, F | P | A, r + far + 16028, s + 1, 63, 15928);
	ctl_capture_begin(&cap);
	ladder_init(&l, cap.f, 0);
	ladder_fit(&l, v, 3); /* the history trace began with: the handshake */
	for (size_t i = 0; i < n; i++)
		ladder_feed(&l, &v[i]);
	ladder_flush(&l);
	text = ctl_capture_end(&cap);
	second = strstr(text + 1, "  time/ms ");
	assert_non_null(second);		       /* widened once... */
	assert_null(strstr(second + 1, "  time/ms ")); /* ...and only once */
	assert_non_null(strstr(second, "PSH,ACK seq=143360 ack=1 win=63 len=15928"));
	assert_true(ctl_longest_line(text) > 80 && ctl_longest_line(text) <= 103);
	assert_true(assert_lifeline_straight(text, &lines) > 9 + 1 + 12 + 1 + 1 + 41);
	assert_int_equal(lines, 7);
	/* the handshake above the second header: 80 columns */
	for (const char *p = text; p < second; p = strchr(p, '\n') + 1)
		assert_true(strchr(p, '\n') - p <= 80);
	ctl_capture_free(&cap);
}

/* trace --follow with nothing before: a first label too long even with
 * numbers counted from it is drawn wide from the header on, under one
 * header line, not two. */
static void test_follow_first_label_long(void **state)
{
	struct ctl_trace_entry v[2];
	struct ctl_capture cap;
	struct ladder l;
	const char *text;
	int lines;

	v[0] = fix_seg(1000, IN, F | P | A, 5000, 1000, 65535, 65535);
	v[1] = fix_seg(1001, OUT, A, 1000, 5000 + 65536, 502, 0);
	ctl_capture_begin(&cap);
	ladder_init(&l, cap.f, 0);
	for (size_t i = 0; i < 2; i++)
		ladder_feed(&l, &v[i]);
	ladder_flush(&l);
	text = ctl_capture_end(&cap);
	assert_non_null(strstr(text, "FIN,PSH,ACK seq=0 ack=0 win=65535 len=65535"));
	assert_null(strstr(text + 1, "  time/ms "));
	assert_true(assert_lifeline_straight(text, &lines) > 9 + 1 + 12 + 1 + 1 + 41);
	assert_int_equal(lines, 2);
	ctl_capture_free(&cap);
}

/* The longest labels --absolute can draw, both ways: every line's peer
 * lifeline in the same column as the header's "peer" ends over it. */
static void test_absolute_longest_labels_straight(void **state)
{
	const uint32_t big = 4294967295u;
	struct ctl_trace_entry v[4];
	struct ctl_capture cap;
	const char *text;
	int lines;

	v[0] = fix_seg(1000, OUT, F | P | A, big, big, 65535, 65535);
	v[1] = fix_seg(2000, IN, F | P | A, big, big, 65535, 65535);
	v[2] = fix_seg(3000, OUT, S | A, big, big, 65535, 0);
	v[3] = fix_seg(4000, IN, R | A, big, big, 0, 0);
	ctl_capture_begin(&cap);
	assert_int_equal(ladder_render(cap.f, v, 4, LADDER_ABSOLUTE), 0);
	text = ctl_capture_end(&cap);
	assert_lifeline_straight(text, &lines);
	assert_int_equal(lines, 4);
	assert_true(ctl_longest_line(text) <= 103);
	ctl_capture_free(&cap);
}

static void test_passive_peer_closes(void **state)
{
	struct ctl_trace_entry v[32];

	render_check(v, fix_passive_trace(v), 0, golden_passive, 80);
}

static void test_history_after_handshake(void **state)
{
	struct ctl_trace_entry v[32];
	size_t n = fix_active_trace(v);

	render_check(v + 5, n - 5, 0, golden_truncated, 80);
}

static void test_history_from_peer_fin(void **state)
{
	struct ctl_trace_entry v[32];
	size_t n = fix_passive_trace(v);

	render_check(v + 5, n - 5, 0, golden_passive_from_fin, 80);
}

/*
 * A history cut after our FIN (a half-close, then more data from the peer
 * than history.events holds): the peer's FIN comes while we are in
 * FIN-WAIT-2, so it was sent in LAST-ACK, not FIN-WAIT-1; with our FIN out
 * of sight nothing may be guessed: no peer state is written.
 */
static void test_history_cut_after_our_fin(void **state)
{
	const uint32_t s = 5000, r = 9000;
	uint64_t t = 1000;
	struct ctl_trace_entry v[8];
	struct ctl_capture cap;
	size_t n = 0;
	const char *out;

	v[n++] = fix_seg(t, IN, P | A, r, s + 1, 500, 1000);
	v[n++] = fix_seg(t + 1, OUT, A, s + 1, r + 1000, 500, 0);
	v[n++] = fix_seg(t + 10, IN, F | A, r + 1000, s + 1, 500, 0);
	v[n++] = fix_state(t + 10, ST(FIN_WAIT_2), ST(TIME_WAIT), "rcv FIN");
	v[n++] = fix_seg(t + 10, OUT, A, s + 1, r + 1001, 500, 0);
	ctl_capture_begin(&cap);
	assert_int_equal(ladder_render(cap.f, v, n, 0), 0);
	out = ctl_capture_end(&cap);
	assert_null(strstr(out, "FIN-WAIT-1"));
	assert_null(strstr(out, "ESTABLISHED"));
	assert_null(strstr(out, "(FIN-WAIT-2)"));
	assert_non_null(strstr(out, "TIME-WAIT"));
	ctl_capture_free(&cap);
}

static void test_readme_ladders(void **state)
{
	struct ctl_trace_entry v[32];

	render_check(v, tr_readme_passive(v), 0, golden_readme_passive, 80);
	render_check(v, tr_readme_active(v), 0, golden_readme_active, 80);
	render_check(v, tr_readme_dup_syn(v), 0, golden_readme_dup_syn, 80);
}

static void test_simultaneous_close(void **state)
{
	struct ctl_trace_entry v[32];

	render_check(v, tr_sim_close(v), 0, golden_simultaneous_close, 80);
}

static void test_simultaneous_open(void **state)
{
	struct ctl_trace_entry v[32];

	render_check(v, tr_sim_open(v), 0, golden_simultaneous_open, 80);
}

static void test_resets(void **state)
{
	struct ctl_trace_entry v[32];

	render_check(v, tr_refused(v), 0, golden_refused, 80);
	render_check(v, tr_we_reset(v), 0, golden_we_reset, 80);
	render_check(v, tr_old_dup(v), 0, golden_old_duplicate_syn, 80);
}

static void test_retransmissions(void **state)
{
	struct ctl_trace_entry v[32];

	render_check(v, tr_retrans(v), 0, golden_retransmissions, 80);
}

/* Feeding entries one at a time (trace --follow after a history that fits
 * 80 columns, so ladder_fit() leaves the width) draws the same picture. */
static void follow_check(const struct ctl_trace_entry *v, size_t n, const char *golden)
{
	struct ctl_capture cap;
	struct ladder l;

	ctl_capture_begin(&cap);
	ladder_init(&l, cap.f, 0);
	for (size_t i = 0; i < n; i++)
		ladder_feed(&l, &v[i]);
	ladder_flush(&l);
	assert_string_equal(ctl_capture_end(&cap), golden);
	ctl_capture_free(&cap);
}

static void test_follow_same_as_render(void **state)
{
	struct ctl_trace_entry v[32];

	follow_check(v, fix_active_trace(v), golden_active_relative);
	follow_check(v, tr_sim_close(v), golden_simultaneous_close);
	follow_check(v, tr_old_dup(v), golden_old_duplicate_syn);
}

static void test_empty_trace(void **state)
{
	render_check(NULL, 0, 0, "", 80);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_active_relative),
		cmocka_unit_test(test_active_absolute),
		cmocka_unit_test(test_absolute_longest_labels_straight),
		cmocka_unit_test(test_relative_long_labels_fit),
		cmocka_unit_test(test_follow_widens_for_long_labels),
		cmocka_unit_test(test_follow_first_label_long),
		cmocka_unit_test(test_passive_peer_closes),
		cmocka_unit_test(test_history_after_handshake),
		cmocka_unit_test(test_history_from_peer_fin),
		cmocka_unit_test(test_history_cut_after_our_fin),
		cmocka_unit_test(test_readme_ladders),
		cmocka_unit_test(test_simultaneous_close),
		cmocka_unit_test(test_simultaneous_open),
		cmocka_unit_test(test_resets),
		cmocka_unit_test(test_retransmissions),
		cmocka_unit_test(test_follow_same_as_render),
		cmocka_unit_test(test_empty_trace),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
