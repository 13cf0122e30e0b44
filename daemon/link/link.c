/* SPDX-License-Identifier: MIT */
/*
 * link.c - the TAP link between the kernel and the core (see link.h).
 *
 * Receive: on each wake-up read up to LINK_RX_BUDGET frames (or until
 * EAGAIN), turn each virtio-net header into a struct stack_frame_meta,
 * hand the frame to stack_input(), all between stack_input_batch_begin()
 * and _end() (a connection's ACK for data, and what it lets it send, at the
 * batch's end unless the window needs it sooner: stack.h), then kick
 * the loop once for the batch.
 * Transmit: write header + frame with writev() (a data segment from the
 * core's send ring as headers + the payload's pieces, link_emit_tail(): no
 * copy, unless a capture, the impairment or the queue wants the frame
 * whole); on EAGAIN queue the frame,
 * tell the core the link is blocked and poll for UV_WRITABLE; once the
 * queue drains, unblock and kick so the core resumes sending. Frames past
 * the queue's bound are dropped with -ENOBUFS: TCP retransmits them.
 * While an impairment is on, frames pass link_impair.c both ways.
 * Read-back: the kernel handles a frame within the write() that hands it
 * over, so what it answers at once (a SYN-ACK) is already queued when the
 * write returns; link_read_answers() takes it then, without the kick, for a
 * caller that wants it before going on (a Connect, rpc_handlers.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "link.h"
#include "log.h"
#include "vnet.h"

/* The largest frame a TAP hands us: a 64 KiB GSO super-frame or a 65520 MTU frame. */
#define LINK_RXBUF_LEN (VNET_HDR_LEN + 14 + 65535 + 256)

int link_init(struct link *l, struct tap *tap)
{
	int r;

	memset(l, 0, sizeof(*l));
	l->tap = tap;
	l->rxbuf_len = LINK_RXBUF_LEN;
	l->rxbuf = malloc(l->rxbuf_len);
	if (!l->rxbuf)
		return -ENOMEM;
	r = txq_init(&l->txq, TXQ_DEFAULT_FRAMES, TXQ_DEFAULT_BYTES);
	if (r == 0) {
		r = link_impair_init(&l->imp, l);
		if (r < 0)
			txq_free(&l->txq);
	}
	if (r < 0) {
		free(l->rxbuf);
		l->rxbuf = NULL;
	}
	return r;
}

static void link_poll_cb(uv_poll_t *h, int status, int events);

static void link_set_events(struct link *l, int events)
{
	if (!l->polling || events == l->poll_events)
		return;
	l->poll_events = events;
	uv_poll_start(&l->poll, events, link_poll_cb);
}

static void link_input_one(struct link *l, stack_time_us now, size_t n)
{
	struct stack_frame_meta meta = { 0 };
	const uint8_t *frame = l->rxbuf;
	size_t len = n;

	if (l->tap->vnet_hdr) {
		int r = vnet_hdr_parse(l->rxbuf, n, &meta);

		if (r < 0) {
			l->stats.rx_bad_hdr++;
			log_once(&l->logged_hdr, LOG_WARNING,
				 "TAP %s: dropping frames with an unusable virtio-net header (%s)",
				 l->tap->name, strerror(-r));
			return;
		}
		frame += r;
		len -= (size_t)r;
	}
	l->stats.rx_frames++;
	if (l->capture)
		l->capture(l->capture_ctx, false, frame, len);
	if (link_impair_on(&l->imp, IMPAIR_IN))
		link_impair_input(&l->imp, frame, len, &meta);
	else
		stack_input(l->stack, now, frame, len, &meta);
}

/* Read up to the budget; 1 when frames were read, 0 when none, -errno when the TAP failed. */
static int link_read_batch(struct link *l)
{
	int got = 0, r = 0;

	/* one batch for the core: what its segments call for goes out at the end */
	stack_input_batch_begin(l->stack);
	for (int i = 0; i < LINK_RX_BUDGET; i++) {
		ssize_t n = read(l->tap->fd, l->rxbuf, l->rxbuf_len);
		/* each frame's own arrival time: the peer may answer what this batch
		 * sent before the batch ends, and one time for all would measure
		 * such a round trip as 0 (tcp_autotune.c, RTT samples) */
		stack_time_us now = uv_hrtime() / 1000;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				r = -errno;
			break;
		}
		if (n == 0)
			break;
		link_input_one(l, now, (size_t)n);
		got = 1;
	}
	stack_input_batch_end(l->stack, uv_hrtime() / 1000);
	return r < 0 ? r : got;
}

/* Write queued frames until the queue is empty or the TAP pushes back. */
static int link_flush(struct link *l)
{
	const struct txq_frame *f;

	while ((f = txq_peek(&l->txq))) {
		ssize_t n = write(l->tap->fd, f->data, f->len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return -EAGAIN;
		if (n < 0)
			l->stats.tx_errors++;
		else
			l->stats.tx_frames++;
		txq_pop(&l->txq);
	}
	return 0;
}

static void link_unblock(struct link *l)
{
	l->blocked = false;
	l->logged_drop = false;
	stack_link_set_blocked(l->stack, false);
	link_set_events(l, UV_READABLE);
	if (l->kick)
		l->kick(l->ctx);
}

static void link_poll_cb(uv_poll_t *h, int status, int events)
{
	struct link *l = h->data;
	int r;

	if (status < 0) {
		if (l->fail)
			l->fail(l->ctx, status);
		return;
	}
	if ((events & UV_WRITABLE) && link_flush(l) == 0 && l->blocked)
		link_unblock(l);
	if (events & UV_READABLE) {
		r = link_read_batch(l);
		if (r < 0) {
			if (l->fail)
				l->fail(l->ctx, r);
			return;
		}
		if (r > 0 && l->kick)
			l->kick(l->ctx);
	}
}

int link_read_answers(struct link *l)
{
	uint64_t before;
	int r;

	/* not while the impairment stage holds frames: it decides when they pass */
	if (!l->polling || link_impair_on(&l->imp, IMPAIR_IN))
		return 0;
	before = l->stats.rx_frames;
	r = link_read_batch(l);
	l->stats.rx_answers += l->stats.rx_frames - before;
	return r;
}

int link_start(struct link *l, uv_loop_t *loop, struct stack *s)
{
	int r;

	l->stack = s;
	r = uv_poll_init(loop, &l->poll, l->tap->fd);
	if (r < 0)
		return log_errno(r, "TAP %s: cannot poll", l->tap->name);
	l->poll.data = l;
	l->polling = true;
	l->poll_events = UV_READABLE | (l->blocked ? UV_WRITABLE : 0);
	r = uv_poll_start(&l->poll, l->poll_events, link_poll_cb);
	if (r < 0)
		return log_errno(r, "TAP %s: cannot poll", l->tap->name);
	if (l->blocked)
		stack_link_set_blocked(s, true);
	link_impair_start(&l->imp, loop);
	return 0;
}

void link_stop(struct link *l)
{
	if (!l->polling)
		return;
	l->polling = false;
	uv_poll_stop(&l->poll);
	uv_close((uv_handle_t *)&l->poll, NULL);
	link_impair_stop(&l->imp);
}

void link_free(struct link *l)
{
	link_impair_free(&l->imp);
	txq_free(&l->txq);
	free(l->rxbuf);
	l->rxbuf = NULL;
}

bool link_idle(const struct link *l)
{
	return txq_empty(&l->txq);
}

static int link_queue(struct link *l, const uint8_t *hdr, size_t hlen, const uint8_t *frame,
		      size_t len)
{
	int r = txq_push(&l->txq, hdr, hlen, frame, len);

	if (r < 0) {
		l->stats.tx_dropped++;
		log_once(&l->logged_drop, LOG_NOTICE,
			 "TAP %s: transmit queue full, dropping frames until it drains",
			 l->tap->name);
		return r;
	}
	l->stats.tx_queued++;
	if (!l->blocked) {
		l->blocked = true;
		if (l->stack)
			stack_link_set_blocked(l->stack, true);
		link_set_events(l, UV_READABLE | UV_WRITABLE);
	}
	return 0;
}

int link_emit(void *ctx, const uint8_t *frame, size_t len, const struct stack_frame_meta *meta)
{
	struct link *l = ctx;

	if (!l->tap->vnet_hdr && meta && (meta->csum_partial || meta->gso_type != STACK_GSO_NONE)) {
		/* the core was told there is no offload; a request here is a bug upstream */
		l->stats.tx_errors++;
		return -EOPNOTSUPP;
	}
	if (l->capture)
		l->capture(l->capture_ctx, true, frame, len);
	if (link_impair_on(&l->imp, IMPAIR_OUT))
		return link_impair_output(&l->imp, frame, len, meta);
	return link_write(l, frame, len, meta);
}

/* One frame in iovcnt pieces to the TAP: 0 when written, -EAGAIN when it pushes back. */
static int link_writev(struct link *l, const struct iovec *iov, int iovcnt)
{
	ssize_t n;

	do {
		n = writev(l->tap->fd, iov, iovcnt);
	} while (n < 0 && errno == EINTR);
	if (n >= 0) {
		l->stats.tx_frames++;
		l->logged_write = false;
		return 0;
	}
	n = -errno;
	if (n == -EAGAIN)
		return (int)n;
	l->stats.tx_errors++;
	log_once(&l->logged_write, LOG_WARNING, "TAP %s: write failed: %s (is the link down?)",
		 l->tap->name, strerror((int)-n));
	return (int)n;
}

int link_write(struct link *l, const uint8_t *frame, size_t len,
	       const struct stack_frame_meta *meta)
{
	uint8_t hdr[VNET_HDR_LEN];
	size_t hlen = 0;
	struct iovec iov[2];
	int r;

	if (l->tap->vnet_hdr) {
		vnet_hdr_build(meta, hdr);
		hlen = VNET_HDR_LEN;
	}
	if (!txq_empty(&l->txq))
		return link_queue(l, hdr, hlen, frame, len);
	iov[0] = (struct iovec){ .iov_base = hdr, .iov_len = hlen };
	iov[1] = (struct iovec){ .iov_base = (void *)frame, .iov_len = len };
	r = link_writev(l, hlen ? iov : iov + 1, hlen ? 2 : 1);
	return r == -EAGAIN ? link_queue(l, hdr, hlen, frame, len) : r;
}

static bool link_capturing(const struct link *l)
{
	return l->capture && (!l->capture_active || l->capture_active(l->capture_ctx));
}

int link_emit_tail(void *ctx, uint8_t *head, size_t head_len, const struct stack_frame_tail *tail,
		   const struct stack_frame_meta *meta)
{
	struct link *l = ctx;
	size_t len = head_len + stack_frame_tail_len(tail);
	uint8_t hdr[VNET_HDR_LEN];
	struct iovec iov[4];
	int n = 0, r;

	/* whatever keeps or looks at the whole frame (a capture, the impairment
	 * stage, the queue behind a TAP that pushes back) gets it whole */
	if (!l->tap->vnet_hdr || link_capturing(l) || link_impair_on(&l->imp, IMPAIR_OUT) ||
	    !txq_empty(&l->txq)) {
		stack_frame_tail_copy(head + head_len, tail);
		return link_emit(ctx, head, len, meta);
	}
	vnet_hdr_build(meta, hdr);
	iov[n++] = (struct iovec){ .iov_base = hdr, .iov_len = VNET_HDR_LEN };
	iov[n++] = (struct iovec){ .iov_base = head, .iov_len = head_len };
	for (int i = 0; i < 2; i++)
		if (tail->len[i])
			iov[n++] = (struct iovec){ .iov_base = (void *)tail->base[i],
						   .iov_len = tail->len[i] };
	r = link_writev(l, iov, n);
	if (r != -EAGAIN)
		return r;
	stack_frame_tail_copy(head + head_len, tail);
	return link_queue(l, hdr, VNET_HDR_LEN, head, len);
}
