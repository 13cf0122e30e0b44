/* SPDX-License-Identifier: MIT */
/*
 * services.h - the built-in RFC 862 echo, RFC 863 discard and RFC 864
 * chargen servers on the stack's address, one owner of the daemon (owner.h:
 * they reach the core through the struct owner_host they are handed). Each
 * is off unless the config gives it a port.
 */
#ifndef SYNACKD_SERVICES_H
#define SYNACKD_SERVICES_H

#include <stdint.h>

struct owner_host;
struct services;

struct services_ports {
	uint16_t echo, discard, chargen; /* 0 = off */
};

int services_start(const struct owner_host *h, const struct services_ports *ports,
		   uint32_t max_conns, struct services **ret);
/*
 * Apply new ports (a reload): a service whose port changes or goes to 0
 * stops listening and closes its connections gracefully (FIN); a service
 * given a new port starts listening.
 */
void services_apply(struct services *sv, const struct services_ports *ports);
/* Connections open now. */
uint32_t services_conns(const struct services *sv);
void services_free(struct services *sv);

#endif
