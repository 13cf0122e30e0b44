/* Temporary stub until the net layer lands. */
#include <errno.h>
#include "../stack_internal.h"
int net_init(struct stack *s, stack_time_us now)
{
	return 0;
}
void net_deinit(struct stack *s)
{
}
void eth_input(struct stack *s, stack_time_us now, const uint8_t *frame, size_t len,
	       const struct stack_frame_meta *meta)
{
	STACK_INC(s, SynackEthInFrames);
}
int ip4_output(struct stack *s, stack_time_us now, struct stack_pkt *p)
{
	return -ENETUNREACH;
}
void net_poll(struct stack *s, stack_time_us now)
{
}
stack_time_us net_poll_at(const struct stack *s)
{
	return STACK_TIME_NEVER;
}
void icmp_send_unreach(struct stack *s, stack_time_us now, uint8_t code, const uint8_t *ip_hdr,
		       size_t len)
{
}
