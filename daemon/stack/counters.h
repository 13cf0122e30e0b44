/* SPDX-License-Identifier: MIT */
/*
 * counters.h - the core's statistics counters.
 *
 * Names follow Linux nstat (Tcp*, TcpExt*, Ip*, Icmp*) where Linux has the
 * counter, so `synackctl stats` reads like `nstat`; synack-only counters use
 * the same style with a Synack prefix. Gauges (TcpCurrEstab) are counters that
 * go down as well as up. Add new counters to the end of their group.
 */
#ifndef SYNACK_COUNTERS_H
#define SYNACK_COUNTERS_H

#include <stdint.h>

#define STACK_COUNTERS(X)                                                                \
	/* link */                                                                       \
	X(SynackEthInFrames)                                                             \
	X(SynackEthInDiscards) /* not for our MAC, runt, unknown ethertype */            \
	X(SynackEthOutFrames)                                                            \
	X(SynackEthOutDrops) /* the sink refused the frame */                            \
	/* ARP */                                                                        \
	X(SynackArpInRequests)                                                           \
	X(SynackArpInReplies)                                                            \
	X(SynackArpInErrors)                                                             \
	X(SynackArpOutRequests)                                                          \
	X(SynackArpOutReplies)                                                           \
	X(SynackArpQueueDrops) /* frames waiting on resolution dropped (full/timeout) */ \
	X(SynackArpResolveFails)                                                         \
	/* IPv4 (RFC 4293 / nstat names) */                                              \
	X(IpInReceives)                                                                  \
	X(IpInHdrErrors)                                                                 \
	X(IpInAddrErrors)                                                                \
	X(IpInUnknownProtos)                                                             \
	X(IpInDiscards)                                                                  \
	X(IpInDelivers)                                                                  \
	X(IpOutRequests)                                                                 \
	X(IpOutNoRoutes)                                                                 \
	X(IpOutDiscards)                                                                 \
	X(IpReasmReqds)                                                                  \
	X(IpReasmOKs)                                                                    \
	X(IpReasmFails)                                                                  \
	X(IpReasmTimeout)                                                                \
	X(IpExtInCsumErrors)                                                             \
	X(IpExtInTruncatedPkts) /* total length beyond the frame */                      \
	X(IpFragOKs)                                                                     \
	X(IpFragFails) /* too big for the MTU and not fragmentable */                    \
	X(IpFragCreates)                                                                 \
	/* ICMP */                                                                       \
	X(IcmpInMsgs)                                                                    \
	X(IcmpInErrors)                                                                  \
	X(IcmpInCsumErrors)                                                              \
	X(IcmpInDestUnreachs)                                                            \
	X(IcmpInEchos)                                                                   \
	X(IcmpOutMsgs)                                                                   \
	X(IcmpOutErrors)                                                                 \
	X(IcmpOutDestUnreachs)                                                           \
	X(IcmpOutEchoReps)                                                               \
	X(SynackIcmpOutRateLimited)                                                      \
	X(IcmpInEchoReps)                                                                \
	X(IcmpInTimeExcds)                                                               \
	X(IcmpInParmProbs)                                                               \
	X(IcmpOutTimeExcds)                                                              \
	X(SynackIcmpInTcpErrors) /* errors quoting our TCP segments, given to TCP */     \
	/* TCP (nstat Tcp*) */                                                           \
	X(TcpActiveOpens)                                                                \
	X(TcpPassiveOpens)                                                               \
	X(TcpAttemptFails)                                                               \
	X(TcpEstabResets)                                                                \
	X(TcpCurrEstab)                                                                  \
	X(TcpInSegs)                                                                     \
	X(TcpOutSegs)                                                                    \
	X(TcpRetransSegs)                                                                \
	X(TcpInErrs)                                                                     \
	X(TcpOutRsts)                                                                    \
	X(TcpInCsumErrors)                                                               \
	/* TCP extended (nstat TcpExt*) */                                               \
	X(TcpExtTCPChallengeACK)                                                         \
	X(TcpExtTCPSYNChallenge)                                                         \
	X(TcpExtListenOverflows)                                                         \
	X(TcpExtListenDrops)                                                             \
	X(TcpExtTW)                                                                      \
	X(TcpExtTWRecycled)                                                              \
	X(TcpExtTWKilled)                                                                \
	X(TcpExtDelayedACKs)                                                             \
	X(TcpExtPAWSEstab)                                                               \
	X(TcpExtTCPFastRetrans)                                                          \
	X(TcpExtTCPTimeouts)                                                             \
	X(TcpExtTCPSynRetrans)                                                           \
	X(TcpExtTCPOFOQueue)                                                             \
	X(TcpExtTCPOFODrop)                                                              \
	X(TcpExtTCPZeroWindowDrop)                                                       \
	X(TcpExtTCPRcvQDrop)                                                             \
	X(TcpExtTCPAbortOnData)                                                          \
	X(TcpExtTCPAbortOnClose)                                                         \
	X(TcpExtTCPAbortOnTimeout)                                                       \
	X(TcpExtTCPAbortOnLinger)                                                        \
	X(TcpExtTCPKeepAlive)                                                            \
	X(TcpExtTCPWinProbe)                                                             \
	X(TcpExtTCPFullUndo)                                                             \
	X(TcpExtTCPSACKReneging)                                                         \
	X(TcpExtTCPPureAcks)                                                             \
	X(TcpExtTCPHPAcks)                                                               \
	X(TcpExtTCPOrigDataSent)                                                         \
	X(TcpExtTCPACKSkippedChallenge)                                                  \
	X(TcpExtTCPACKSkippedSeq)                                                        \
	X(TcpExtOutOfWindowIcmps)                                                        \
	X(SynackTcpIcmpSoftErrors)                                                       \
	X(SynackTcpIcmpHardErrors)                                                       \
	X(SynackTcpNoConnSlots)                                                          \
	X(TcpExtSyncookiesSent)                                                          \
	X(TcpExtSyncookiesRecv)                                                          \
	X(TcpExtSyncookiesFailed)                                                        \
	X(TcpExtTCPMemoryPressures) /* entered memory pressure (tcp_mem.c) */            \
	X(SynackTcpMemBytes)	    /* gauge: buffer bytes charged to the budget */      \
	X(TcpExtTCPTimeWaitOverflow)                                                     \
	X(TcpExtTCPAbortOnMemory)                                                        \
	X(SynackTcpTimeWait) /* gauge: TIME-WAIT records (ss -s "timewait") */           \
	X(SynackTcpOrphans)  /* gauge: orphans (sockstat "orphan") */                    \
	/* sender-side loss recovery (tcp_recovery.c) */                                 \
	X(TcpExtTCPSackRecovery)                                                         \
	X(TcpExtTCPRenoRecovery)                                                         \
	X(TcpExtTCPLossProbes)                                                           \
	X(TcpExtTCPLossProbeRecovery)                                                    \
	X(TcpExtTCPLostRetransmit)                                                       \
	X(TcpExtTCPSlowStartRetrans)                                                     \
	X(TcpExtTCPDSACKRecv)                                                            \
	X(TcpExtTCPDSACKUndo)                                                            \
	X(TcpExtTCPSACKDiscard)                                                          \
	X(TcpExtTCPLossUndo)                                                             \
	X(SynackTcpSackScoreboardFull) /* SACK ranges not kept: scoreboard full */       \
	/* buffer autotuning (tcp_autotune.c) */                                         \
	X(SynackTcpRcvBufGrown) /* a connection's RCVBUF grew */                         \
	X(SynackTcpSndBufGrown) /* a connection's SNDBUF grew */                         \
	/* ACK generation (tcp_input.c) */                                               \
	X(SynackTcpQuickAcks) /* ACKs sent at once by tcp.quick_acks, not delayed */

enum stack_counter_id {
#define STACK_COUNTER_ENUM(name) STACK_CTR_##name,
	STACK_COUNTERS(STACK_COUNTER_ENUM)
#undef STACK_COUNTER_ENUM
		STACK_CTR_COUNT
};

struct stack_counters {
	uint64_t v[STACK_CTR_COUNT];
};

/* The nstat-style name of a counter, e.g. "TcpActiveOpens". */
const char *stack_counter_name(enum stack_counter_id id);

#endif
