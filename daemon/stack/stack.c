/* SPDX-License-Identifier: MIT */
/*
 * stack.c - the core's top level: set-up and tear-down, the frame entry
 * point, the poll loop's two calls (stack_poll, stack_poll_at), tunables and
 * counters, and the small services every module shares (allocation through
 * the caller's allocator, the PRNG, emitting frames, tracing).
 */
#include <errno.h>
#include <string.h>

#include "stack_internal.h"

static const char *const counter_names[] = {
#define STACK_COUNTER_NAME(name) [STACK_CTR_##name] = #name,
	STACK_COUNTERS(STACK_COUNTER_NAME)
#undef STACK_COUNTER_NAME
};

const char *stack_counter_name(enum stack_counter_id id)
{
	if ((unsigned)id >= STACK_CTR_COUNT)
		return NULL;
	return counter_names[id];
}

size_t stack_size(void)
{
	return sizeof(struct stack);
}

static int stack_config_check(const struct stack_config *cfg)
{
	if (cfg->mtu < 68 || cfg->mtu > 65520)
		return -EINVAL;
	if (cfg->prefix_len > 32 || cfg->addr == 0)
		return -EINVAL;
	if (cfg->max_conns == 0)
		return -EINVAL;
	for (unsigned i = 0; i < STACK_TUN_COUNT_; i++) {
		enum stack_tunable_id id = (enum stack_tunable_id)i;

		if (stack_tunable_check(id, stack_tunables_read(&cfg->tun, id)) < 0)
			return -ERANGE;
	}
	return 0;
}

int stack_init(struct stack *s, stack_time_us now, const struct stack_config *cfg,
	       const struct stack_env *env)
{
	int r;

	if (!env->sink.emit || !env->allocator.alloc || !env->allocator.free)
		return -EINVAL;
	r = stack_config_check(cfg);
	if (r < 0)
		return r;

	memset(s, 0, sizeof(*s));
	s->cfg = *cfg;
	s->env = *env;
	s->rng = env->seed;
	s->txbuf = stack_alloc(s, STACK_TXBUF_SIZE);
	if (!s->txbuf)
		return -ENOMEM;
	r = tcp_init(s, now);
	if (r < 0)
		goto fail_tcp;
	r = net_init(s, now);
	if (r < 0)
		goto fail_net;
	return 0;

fail_net:
	tcp_deinit(s);
fail_tcp:
	stack_free(s, s->txbuf, STACK_TXBUF_SIZE);
	s->txbuf = NULL;
	return r;
}

void stack_deinit(struct stack *s)
{
	if (!s || !s->txbuf)
		return;
	net_deinit(s);
	tcp_deinit(s);
	stack_free(s, s->txbuf, STACK_TXBUF_SIZE);
	s->txbuf = NULL;
}

void stack_input(struct stack *s, stack_time_us now, const uint8_t *frame, size_t len,
		 const struct stack_frame_meta *meta)
{
	static const struct stack_frame_meta plain;

	eth_input(s, now, frame, len, meta ? meta : &plain);
}

void stack_input_batch_begin(struct stack *s)
{
	s->in_batch = true;
}

void stack_input_batch_end(struct stack *s, stack_time_us now)
{
	s->in_batch = false;
	tcp_input_batch_end(s, now);
}

void stack_poll(struct stack *s, stack_time_us now)
{
	net_poll(s, now);
	tcp_poll(s, now);
}

stack_time_us stack_poll_at(const struct stack *s)
{
	stack_time_us a = net_poll_at(s), b = tcp_poll_at(s);

	return a < b ? a : b;
}

void stack_link_set_blocked(struct stack *s, bool blocked)
{
	s->link_blocked = blocked;
}

const struct stack_tunables *stack_tunables_get(const struct stack *s)
{
	return &s->cfg.tun;
}

int stack_tunable_set(struct stack *s, stack_time_us now, enum stack_tunable_id id, uint64_t value)
{
	int r = stack_tunable_check(id, value);

	if (r < 0)
		return r;
	stack_tunables_write(&s->cfg.tun, id, value);
	return 0;
}

const struct stack_counters *stack_counters_get(const struct stack *s)
{
	return &s->ctr;
}

void *stack_alloc(struct stack *s, size_t size)
{
	return s->env.allocator.alloc(s->env.allocator.ctx, size);
}

void *stack_zalloc(struct stack *s, size_t size)
{
	void *p;

	if (s->env.allocator.zalloc)
		return s->env.allocator.zalloc(s->env.allocator.ctx, size);
	p = stack_alloc(s, size);

	if (p)
		memset(p, 0, size);
	return p;
}

void stack_free(struct stack *s, void *ptr, size_t size)
{
	if (ptr)
		s->env.allocator.free(s->env.allocator.ctx, ptr, size);
}

uint64_t stack_random(struct stack *s)
{
	uint64_t z = (s->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Count what the sink did with a frame; returns its result. */
static int stack_emitted(struct stack *s, int r)
{
	if (r < 0)
		STACK_INC(s, SynackEthOutDrops);
	else
		STACK_INC(s, SynackEthOutFrames);
	return r;
}

int stack_emit(struct stack *s, const uint8_t *frame, size_t len,
	       const struct stack_frame_meta *meta)
{
	return stack_emitted(s, s->env.sink.emit(s->env.sink.ctx, frame, len, meta));
}

int stack_emit_tail(struct stack *s, uint8_t *frame, size_t len,
		    const struct stack_frame_tail *tail, const struct stack_frame_meta *meta)
{
	size_t head_len;

	if (!tail)
		return stack_emit(s, frame, len, meta);
	head_len = len - stack_frame_tail_len(tail);
	if (!s->env.sink.emit_tail) {
		stack_frame_tail_copy(frame + head_len, tail);
		return stack_emit(s, frame, len, meta);
	}
	return stack_emitted(s,
			     s->env.sink.emit_tail(s->env.sink.ctx, frame, head_len, tail, meta));
}

bool stack_can_emit_tail(const struct stack *s)
{
	/* the checksum over the payload is the link's: nothing here reads it */
	return s->env.sink.emit_tail && s->cfg.tx_csum_offload;
}

void stack_trace(struct stack *s, const struct stack_trace *t)
{
	if (s->env.trace)
		s->env.trace(s->env.trace_ctx, t);
}

bool stack_on_link(const struct stack *s, uint32_t addr)
{
	uint32_t mask = s->cfg.prefix_len ? ~0u << (32 - s->cfg.prefix_len) : 0;

	return (addr & mask) == (s->cfg.addr & mask);
}
