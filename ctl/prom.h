/* SPDX-License-Identifier: MIT */
/*
 * prom.h - counters in the Prometheus text exposition format 0.0.4
 * (`stats --prometheus`), for node_exporter's textfile collector or any
 * scraper that runs synackctl.
 *
 * Names: node_exporter publishes /proc/net/snmp and netstat as
 * node_netstat_<Group>_<Field> (node_netstat_Tcp_ActiveOpens); we keep that
 * shape so dashboards carry over, with our prefix and the _total suffix the
 * Prometheus naming rules ask of counters:
 *   TcpActiveOpens  -> synack_netstat_Tcp_ActiveOpens_total  (counter)
 *   TcpExtTW        -> synack_netstat_TcpExt_TW_total         (counter)
 *   TcpCurrEstab    -> synack_netstat_Tcp_CurrEstab            (gauge)
 *   SynackArpInRequests -> synack_netstat_Synack_ArpInRequests_total
 * The group is the longest known nstat prefix (TcpExt, Tcp, IpExt, Ip,
 * IcmpMsg, Icmp, UdpLite, Udp, Synack); a name without one keeps no group.
 * Characters Prometheus does not allow in names become '_'.
 */
#ifndef SYNACK_CTL_PROM_H
#define SYNACK_CTL_PROM_H

#include <stddef.h>
#include <stdio.h>

#include "model.h"

/* The metric name of a counter (without _total for gauges). Returns the length or -ENOBUFS. */
int prom_metric_name(const struct ctl_counter *c, char *buf, size_t len);
/* # HELP, # TYPE and the sample of each counter. Returns 0 or -EIO. */
int prom_write(FILE *f, const struct ctl_counter *c, size_t n);

#endif
