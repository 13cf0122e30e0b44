/* SPDX-License-Identifier: MIT */
/*
 * txq.h - the link's bounded transmit queue: frames the TAP refused with
 * EAGAIN wait here, in order, until it is writable again. Bounded in frames
 * and bytes; past the bound a frame is dropped (TCP retransmits it).
 */
#ifndef SYNACKD_TXQ_H
#define SYNACKD_TXQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TXQ_DEFAULT_FRAMES 256
#define TXQ_DEFAULT_BYTES  (4u << 20)

struct txq_frame {
	size_t len;
	uint8_t data[]; /* header (if any) + frame, as written to the TAP */
};

struct txq {
	struct txq_frame **ring;
	unsigned cap, head, count;
	size_t bytes, max_bytes;
};

int txq_init(struct txq *q, unsigned max_frames, size_t max_bytes);
void txq_free(struct txq *q);
/* Queue hdr + frame as one buffer; -ENOBUFS past the bounds, -ENOMEM. */
int txq_push(struct txq *q, const uint8_t *hdr, size_t hdr_len, const uint8_t *frame, size_t len);
/* The oldest frame, NULL when empty. */
const struct txq_frame *txq_peek(const struct txq *q);
void txq_pop(struct txq *q);
bool txq_empty(const struct txq *q);

#endif
