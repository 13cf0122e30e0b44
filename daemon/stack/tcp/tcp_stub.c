/* Temporary stub until the TCP layer lands. */
#include <errno.h>
#include "../stack_internal.h"
int tcp_init(struct stack *s, stack_time_us now)
{
	return 0;
}
void tcp_deinit(struct stack *s)
{
}
void tcp_input(struct stack *s, stack_time_us now, const struct ip4_rx *ip, const uint8_t *seg,
	       size_t len)
{
}
void tcp_icmp_error(struct stack *s, stack_time_us now, uint8_t type, uint8_t code,
		    uint16_t next_mtu, const uint8_t *quoted, size_t len)
{
}
void tcp_poll(struct stack *s, stack_time_us now)
{
}
stack_time_us tcp_poll_at(const struct stack *s)
{
	return STACK_TIME_NEVER;
}
bool stack_event_pop(struct stack *s, struct stack_event *ret_ev)
{
	return false;
}
int stack_tcp_listen(struct stack *s, stack_time_us now, const struct stack_endpoint *local,
		     uint32_t backlog, uint64_t owner, stack_sock *ret_sock)
{
	return -ENOSYS;
}
int stack_tcp_connect(struct stack *s, stack_time_us now, const struct stack_endpoint *local,
		      const struct stack_endpoint *remote, uint64_t owner, stack_sock *ret_sock)
{
	return -ENOSYS;
}
int stack_tcp_accept(struct stack *s, stack_time_us now, stack_sock listener, uint64_t owner,
		     stack_sock *ret_sock)
{
	return -ENOSYS;
}
ssize_t stack_tcp_send(struct stack *s, stack_time_us now, stack_sock sock, const void *buf,
		       size_t len)
{
	return -ENOSYS;
}
ssize_t stack_tcp_recv(struct stack *s, stack_time_us now, stack_sock sock, void *buf, size_t len)
{
	return -ENOSYS;
}
size_t stack_tcp_readable(const struct stack *s, stack_sock sock)
{
	return 0;
}
int stack_tcp_shutdown(struct stack *s, stack_time_us now, stack_sock sock)
{
	return -ENOSYS;
}
int stack_tcp_close(struct stack *s, stack_time_us now, stack_sock sock)
{
	return -ENOSYS;
}
int stack_tcp_abort(struct stack *s, stack_time_us now, stack_sock sock)
{
	return -ENOSYS;
}
int stack_tcp_setopt(struct stack *s, stack_time_us now, stack_sock sock, enum stack_tcp_opt opt,
		     uint64_t value)
{
	return -ENOSYS;
}
int stack_tcp_getopt(const struct stack *s, stack_sock sock, enum stack_tcp_opt opt,
		     uint64_t *ret_value)
{
	return -ENOSYS;
}
