/* SPDX-License-Identifier: MIT */
/*
 * accept_record.h - the record an accept socket carries per accepted
 * connection (synack.proto, "Detached connections"): one SOCK_SEQPACKET
 * message of exactly this size, with the connection's data socket attached
 * as SCM_RIGHTS. Both ends run on the same machine, so integers are in host
 * order; addresses and ports are in network order, as in a sockaddr_in.
 */
#ifndef SYNACK_ACCEPT_RECORD_H
#define SYNACK_ACCEPT_RECORD_H

#include <stdint.h>

#define SYNACK_ACCEPT_RECORD_MAGIC 0x53594e41u /* "SYNA" */

struct synack_accept_record {
	uint32_t magic;	      /* SYNACK_ACCEPT_RECORD_MAGIC */
	uint32_t size;	      /* sizeof(struct synack_accept_record) */
	uint64_t conn;	      /* the connection's id, as synackctl shows it */
	uint32_t local_addr;  /* network order */
	uint32_t remote_addr; /* network order */
	uint16_t local_port;  /* network order */
	uint16_t remote_port; /* network order */
	uint32_t reserved;    /* 0 */
};

#endif
