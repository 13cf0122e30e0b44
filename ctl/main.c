/* SPDX-License-Identifier: MIT */
/*
 * main.c - synackctl: global options, the command table and its help.
 *
 *   synackctl [-s SOCKET] [-o table|json] COMMAND [ARGS...]
 *
 * Each command's handler lives in a cmd_*.c file; the table below is the
 * single list that dispatch, `help` and the usage text are made from.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "synack-build.h"

#define FILTER_HELP                                                                           \
	"Filters (as in ss):\n"                                                               \
	"  state STATE        established, syn-sent, syn-recv, fin-wait-1, fin-wait-2,\n"     \
	"                     time-wait, closed, close-wait, last-ack, listening, closing;\n" \
	"                     groups: all, connected (all but listening and closed),\n"       \
	"                     synchronized (connected but syn-sent), bucket, big\n"           \
	"  exclude STATE      leave a state or group out\n"                                   \
	"  sport OP [:]PORT   local port; OP is = == eq != ne < lt <= le > gt >= ge\n"        \
	"  dport OP [:]PORT   peer port\n"                                                    \
	"  src ADDR[/LEN][:PORT], dst ADDR[/LEN][:PORT]   local or peer address\n"            \
	"  TERM TERM          both must match (also TERM and TERM, TERM && TERM)\n"           \
	"  TERM or TERM       either may match (also TERM || TERM)\n"                         \
	"  not TERM, ! TERM   the opposite; also before ( EXPR )\n"                           \
	"  ( EXPR )           grouping; not binds tightest, then and, then or\n"              \
	"  Parentheses and ! are words of their own; state words apply to the whole\n"        \
	"  filter, outside parentheses. The filter may be one quoted argument, as with\n"     \
	"  ss: '( sport = :22 or dport = :22 )'. Errors name the word and its position.\n"

static const char conns_help[] =
	"Options:\n"
	"  -o                 show the timer column: timer:(NAME,REMAINING,RETRANSMITS)\n"
	"                     with NAME on, keepalive, timewait, persist or delack\n"
	"  -o json            print a JSON array instead (also: -j, --json)\n"
	"  -i                 TCP internals: rtt/rttvar, rto, mss, cwnd, ssthresh,\n"
	"                     wscale, bytes acked/received, retransmits\n"
	"  -p                 the client owning the connection (pid, uid, name)\n"
	"  -e                 the connection id (for trace and kill)\n"
	"  -l                 listeners only (state listening)\n"
	"  -H                 no header line, columns one space apart (for scripts)\n"
	"  -s, --summary      counts instead of rows, as ss -s's TCP line: the total,\n"
	"                     estab, closed, orphaned (without a filter), synrecv and\n"
	"                     timewait, then the other states; with -o json an object\n"
	"  -t -a -n           accepted for ss habits; synack is TCP-only and numeric\n"
	"  -4, --ipv4         accepted for ss habits; synack is IPv4-only, every\n"
	"                     connection matches\n"
	"  --closed           also the connections closed lately whose history synackd\n"
	"                     still keeps (history.conns, history.keep): state CLOSED,\n"
	"                     with -o closed:(HOW LONG ago); trace draws them\n"
	"\n" FILTER_HELP "\n"
	"Examples:\n"
	"  synackctl conns -o\n"
	"  synackctl conns --closed -o -e dport = :8080\n"
	"  synackctl ss -tanoi state established dport = :443\n"
	"  synackctl conns -e state time-wait src 10.77.0.2\n"
	"  synackctl ss -tan '( sport = :80 or sport = :443 ) and not dst 10.77.0.0/24'\n"
	"  synackctl ss -s\n"
	"  synackctl conns -o json | jq '.[] | select(.state == \"ESTABLISHED\")'\n";

static const char watch_help[] =
	"Options:\n"
	"  -n INTERVAL        refresh every INTERVAL seconds, or with a unit (500ms);\n"
	"                     default 1\n"
	"  -o -i -p -e -l -H  as for conns\n"
	"On a terminal, q quits (as does ^C).\n"
	"\n" FILTER_HELP "\n"
	"Examples:\n"
	"  synackctl watch\n"
	"  synackctl watch -n 0.5 -o state connected\n";

static const char kill_help[] =
	"Aborts every matching connection with RST, printing each one and the outcome.\n"
	"A filter is required; `state connected` matches every connection.\n"
	"\n"
	"Options:\n"
	"  --dry-run          list what would be killed, kill nothing\n"
	"  -o json, -j        a JSON array: each connection (id, state, local, remote)\n"
	"                     and its result: killed, dry-run, or failed with the error\n"
	"\n" FILTER_HELP "\n"
	"Examples:\n"
	"  synackctl kill dport = :80 --dry-run\n"
	"  synackctl kill state close-wait\n";

static const char events_help[] =
	"Prints each state transition as it happens: time, connection id, endpoints,\n"
	"old -> new state, and the cause (a segment's flags/seq/ack, a timer, a call).\n"
	"\n"
	"Options:\n"
	"  -o json            one JSON object per line\n"
	"\n" FILTER_HELP "\n"
	"Examples:\n"
	"  synackctl events\n"
	"  synackctl events -o json dport = :80\n";

static const char trace_help[] =
	"Draws a connection's history as a ladder diagram: synack on the left, the peer\n"
	"on the right, one arrow per segment, our state changes beside them, and right\n"
	"of the peer the state its segments show it in (or, in parentheses, the state\n"
	"ours put it in when they arrive: implied, not seen). CONN is a\n"
	"connection id (conns -e) or a filter that matches exactly one open connection;\n"
	"when no open one matches, the latest closed one that matches and whose\n"
	"history synackd still keeps (conns --closed lists them).\n"
	"\n"
	"Options:\n"
	"  --absolute         raw sequence numbers instead of relative to each ISN\n"
	"  -f, --follow       keep drawing as segments arrive\n"
	"  -o json            the history as a JSON array\n"
	"\n"
	"Examples:\n"
	"  synackctl trace 12\n"
	"  synackctl trace --absolute dport = :80 dst 10.77.0.1\n"
	"  synackctl trace -f 12\n";

static const char stats_help[] =
	"Counters with Linux nstat names (TcpActiveOpens, TcpRetransSegs, ...).\n"
	"PATTERNs are shell wildcards matched without case, as with nstat.\n"
	"\n"
	"Options:\n"
	"  -z, --zeros        show counters that are zero\n"
	"  -d, --delta        increments since the last --delta (history in\n"
	"                     $SYNACKCTL_HISTORY, $XDG_RUNTIME_DIR/synackctl.stats or\n"
	"                     /tmp/.synackctl.uUID)\n"
	"  -o json            one JSON object {\"Name\": value, ...}\n"
	"  --prometheus       Prometheus text format: synack_netstat_Tcp_ActiveOpens_total\n"
	"\n"
	"Examples:\n"
	"  synackctl stats\n"
	"  synackctl stats -z 'Tcp*'\n"
	"  synackctl stats --prometheus > /var/lib/node_exporter/synack.prom.tmp\n";

static const char get_help[] =
	"Shows every tunable, or one, with its value, default, range and whether a\n"
	"change reaches existing connections.\n"
	"\n"
	"Options:\n"
	"  -o json            a JSON array\n"
	"  --keys             list the keys this synackctl knows (no daemon needed)\n"
	"\n"
	"Examples:\n"
	"  synackctl get\n"
	"  synackctl get msl\n";

static const char set_help[] =
	"Changes a tunable at once. Durations take a unit (us, ms, s, min, h), sizes\n"
	"may (B, KiB, MiB, GiB), booleans are true/false, on/off, yes/no or 1/0.\n"
	"An unknown key, a bad unit or a value out of range is refused (exit 1).\n"
	"With -o json (-j): {\"key\", \"value\" as written, \"base\": in the base unit}.\n"
	"\n"
	"Examples:\n"
	"  synackctl set msl 1s            # TIME-WAIT lasts 2 s\n"
	"  synackctl set rto.min 50ms\n"
	"  synackctl set send_buffer 1MiB\n"
	"  synackctl set sack off\n";

static const char capture_help[] =
	"Writes the TAP's traffic to a pcapng file (tshark -r FILE, Wireshark) with\n"
	"each frame's direction. Stops after COUNT frames, after DURATION, or on ^C,\n"
	"then says on stderr how many frames it wrote and how many synackd dropped\n"
	"because synackctl read too slowly (counted before filtering; synackd's final\n"
	"count, asked for when the capture stops). Drops do not change the exit status.\n"
	"\n"
	"Options:\n"
	"  -w FILE            the file to write; - for stdout (required)\n"
	"  -c COUNT           stop after COUNT frames written\n"
	"  -d DURATION        stop after DURATION (30s, 2min)\n"
#if SYNACKCTL_HAVE_PCAP
	"  --bpf EXPR         only frames EXPR matches, a tcpdump expression compiled\n"
	"                     by libpcap (pcap-filter(7)); with a FILTER both must match;\n"
	"                     the summary counts the frames it left out\n"
#endif
	"  -o json, -j        the summary also as one JSON object on stdout (on stderr\n"
	"                     with -w -)\n"
	"\n" FILTER_HELP "\n"
	"Examples:\n"
	"  synackctl capture -w /tmp/synack.pcapng -c 100\n"
#if SYNACKCTL_HAVE_PCAP
	"  synackctl capture -w /tmp/echo.pcapng --bpf 'tcp dst port 7 and not arp'\n"
#endif
	"  synackctl capture -w - dport = :80 | tshark -r -\n";

static const char impair_help[] =
	"Without options, shows the impairment in force; `off` (or --clear) removes it.\n"
	"Options not given keep their value. Frames are impaired at the TAP, wire-sized\n"
	"(offloaded super-frames are cut into segments while an impairment is on);\n"
	"synackctl stats shows the SynackImpair* counters.\n"
	"\n"
	"Options:\n"
	"  --loss P%             drop frames with probability P\n"
	"  --ge-p P%             burst loss (Gilbert-Elliott): enter the bad state with P per "
	"frame\n"
	"  --ge-r P%             ... leave it with P per frame (bursts last 1/P frames)\n"
	"  --ge-bad-loss P%      ... frames lost in the bad state (default 100%)\n"
	"  --ge-good-loss P%     ... frames lost in the good state (default 0%)\n"
	"  --dup, --duplicate P% send frames twice\n"
	"  --dup-delay D         the copy follows D later (3s)\n"
	"  --reorder P%          hold frames back behind later ones\n"
	"  --reorder-frames N    ... until N later frames passed (default 1)\n"
	"  --reorder-time D      ... or at most D (default 10ms)\n"
	"  --corrupt P%          flip one bit of the IPv4 payload (the checksum then fails)\n"
	"  --delay D             delay frames by D (10ms)\n"
	"  --jitter D            ... plus or minus up to D\n"
	"  --rate R              token bucket in bits per second (10Mbit, 500kbit; 0 = none)\n"
	"  --match KINDS         only these segments: all, or syn,synack,fin,rst,ack,data,other\n"
	"  --direction in|out|both  in: from the kernel to synackd; out: the other way\n"
	"  --seed N              random seed, for runs that repeat exactly\n"
	"  -o json, -j           the impairment in force as JSON (every parameter, base units)\n"
	"\n"
	"Examples:\n"
	"  synackctl impair --loss 1% --direction out --seed 7\n"
	"  synackctl impair --dup 100% --match syn --dup-delay 3s --direction in\n"
	"  synackctl impair --loss 5% --reorder 2% --dup 1% --corrupt 0.5%\n"
	"  synackctl impair off\n";

#define CMD(n, fn, sum, use, hlp)                                               \
	{                                                                       \
		.name = n, .run = fn, .summary = sum, .usage = use, .help = hlp \
	}

const struct cli_command cli_commands[] = {
	CMD("status", cmd_status, "Show version, uptime, the TAP, connections, clients, impairment",
	    "[-o json]", "Examples:\n  synackctl status\n"),
	CMD("ping", cmd_ping, "Exit 0 when synackd is ready (for probes)", "[-o json]",
	    "Examples:\n  synackctl ping && echo ready\n"),
	{ .name = "conns",
	  .alias = "ss",
	  .run = cmd_conns,
	  .summary = "List connections and listeners like ss -tan",
	  .usage = "[-o] [-i] [-p] [-e] [-l] [-H] [-s] [-4] [--closed] [-o json] [FILTER]",
	  .help = conns_help },
	CMD("watch", cmd_watch, "Show the connection table, refreshed like top",
	    "[-n INTERVAL] [-o] [-i] [-p] [-e] [-l] [-H] [FILTER]", watch_help),
	CMD("events", cmd_events, "Stream state transitions as they happen", "[-o json] [FILTER]",
	    events_help),
	CMD("trace", cmd_trace, "Draw a connection's segments and states as a ladder diagram",
	    "CONN [--absolute] [--follow] [-o json]", trace_help),
	CMD("stats", cmd_stats, "Show counters with nstat names",
	    "[-z] [--delta] [-o json | --prometheus] [PATTERN...]", stats_help),
	CMD("get", cmd_get, "Show tunables: value, unit, default, range",
	    "[KEY] [--keys] [-o json]", get_help),
	{ .name = "set",
	  .run = cmd_set,
	  .summary = "Change a tunable while synackd runs",
	  .usage = "KEY VALUE [-o json]",
	  .help = set_help,
	  .needs_admin = true },
	{ .name = "kill",
	  .run = cmd_kill,
	  .summary = "Abort matching connections with RST",
	  .usage = "FILTER [--dry-run] [-o json]",
	  .help = kill_help,
	  .needs_admin = true },
	{ .name = "capture",
	  .run = cmd_capture,
	  .summary = "Write the TAP's traffic to a pcapng file",
#if SYNACKCTL_HAVE_PCAP
	  .usage = "-w FILE [-c COUNT | -d DURATION] [--bpf EXPR] [-o json] [FILTER]",
#else
	  .usage = "-w FILE [-c COUNT | -d DURATION] [-o json] [FILTER]",
#endif
	  .help = capture_help,
	  .needs_admin = true },
	{ .name = "impair",
	  .run = cmd_impair,
	  .summary = "Show or set loss, bursts, duplication, reordering, corruption, delay, rate",
	  .usage = "[--loss P%] [--dup P%] [--reorder P%] [--corrupt P%] [--delay D] "
		   "[--match KINDS] [--direction in|out|both] [--seed N] [...] [-o json] | off",
	  .help = impair_help,
	  .needs_admin = true },
	{ .name = "reload",
	  .run = cmd_reload,
	  .summary = "Re-read the configuration file (as SIGHUP does)",
	  .usage = "[-o json]",
	  .help = "Prints each value the reload changed (key: old -> new). A value changed with "
		  "`set` is kept unless the file names its key (listed as kept); keys that need "
		  "a restart are listed as not applied. A refused file is reported line by line "
		  "and the running configuration stays.\n\nOptions:\n"
		  "  -o json            the same as one JSON object (also: -j)\n"
		  "\nExamples:\n  synackctl reload\n  synackctl reload -o json\n",
	  .needs_admin = true },
	CMD("help", cmd_help, "Show help for synackctl or a command", "[COMMAND]",
	    "Examples:\n  synackctl help conns\n"),
};

#undef CMD
const size_t cli_command_count = sizeof(cli_commands) / sizeof(cli_commands[0]);

const struct cli_command *cli_command_find(const char *name)
{
	for (size_t i = 0; i < cli_command_count; i++) {
		const struct cli_command *c = &cli_commands[i];

		if (strcmp(name, c->name) == 0 || (c->alias && strcmp(name, c->alias) == 0))
			return c;
	}
	return NULL;
}

static void main_usage(FILE *f)
{
	fputs("Usage: synackctl [-s SOCKET] [-o table|json] COMMAND [ARGS...]\n"
	      "\n"
	      "Look inside synackd and change its TCP timers while it runs.\n"
	      "\n"
	      "Commands:\n",
	      f);
	for (size_t i = 0; i < cli_command_count; i++) {
		const struct cli_command *c = &cli_commands[i];
		char name[24];

		snprintf(name, sizeof(name), "%s%s%s", c->name, c->alias ? ", " : "",
			 c->alias ? c->alias : "");
		fprintf(f, "  %-12s %s%s\n", name, c->summary, c->needs_admin ? " (admin)" : "");
	}
	fputs("\n"
	      "Options:\n"
	      "  -s, --socket PATH  the control socket (default: $SYNACK_CONTROL, else\n"
	      "                     control.socket in " SYNACK_DEFAULT_CONFIG ",\n"
	      "                     else /run/synack/control.sock)\n"
	      "  -o, --output FMT   table (default) or json\n"
	      "  -j, --json         same as -o json\n"
	      "  -h, --help         this help; synackctl COMMAND --help for a command's\n"
	      "  -V, --version      print the version\n"
	      "\n"
	      "Exit status: 0 ok, 1 refused by synackd, 2 usage error, 3 synackd unreachable.\n"
	      "(admin) commands need root or the admin group; the others the clients' group.\n",
	      f);
}

int cmd_help(struct cli_ctx *ctx, int argc, char **argv)
{
	const struct cli_command *c;

	if (argc < 2) {
		main_usage(stdout);
		return CLI_EXIT_OK;
	}
	if (argc > 2)
		return cli_usage_error(ctx, "expected one command, got '%s %s'", argv[1], argv[2]);
	/* help --help: help's own */
	c = cli_command_find(
		strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ? "help" : argv[1]);
	if (!c)
		return cli_usage_error(ctx, "unknown command '%s'", argv[1]);
	cli_command_help(c, stdout);
	return CLI_EXIT_OK;
}

/* $SYNACK_CONTROL, else control.socket from synackd's configuration file, else its default. */
static const char *main_default_socket(void)
{
	static struct synack_config conf;
	const char *env = getenv("SYNACK_CONTROL");

	if (env && *env)
		return env;
	if (config_load_file(SYNACK_DEFAULT_CONFIG, &conf, NULL) < 0)
		config_defaults(&conf);
	return conf.control.socket;
}

/* The value of an option given as "--opt VALUE", "--opt=VALUE", "-o VALUE" or "-oVALUE". */
static const char *main_option_value(int argc, char **argv, int *i, const char *arg, size_t len)
{
	if (arg[len] == '=' && arg[1] == '-')
		return arg + len + 1;
	if (arg[len] != '\0' && arg[1] != '-')
		return arg + len;
	if (*i + 1 < argc)
		return argv[++*i];
	return NULL;
}

static bool main_is_option(const char *arg, const char *s, const char *l)
{
	size_t sl = strlen(s), ll = strlen(l);

	return strncmp(arg, s, sl) == 0 ||
	       (strncmp(arg, l, ll) == 0 && (arg[ll] == '\0' || arg[ll] == '='));
}

/* Global options up to the command word; returns its index, or -exit code. */
static int main_parse_globals(struct cli_ctx *ctx, int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
		const char *a = argv[i], *v;

		if (strcmp(a, "--") == 0)
			return i + 1;
		if (cli_is_help(a)) {
			main_usage(stdout);
			return -CLI_EXIT_OK;
		}
		if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) {
			printf("synackctl %s\n", SYNACK_VERSION);
			return -CLI_EXIT_OK;
		}
		if (strcmp(a, "-j") == 0 || strcmp(a, "--json") == 0) {
			ctx->output = CLI_OUTPUT_JSON;
		} else if (main_is_option(a, "-s", "--socket")) {
			v = main_option_value(argc, argv, &i, a, a[1] == '-' ? 8 : 2);
			if (!v || !*v)
				return -cli_usage_error(ctx, "option '%s' needs a socket path", a);
			ctx->socket = v;
		} else if (main_is_option(a, "-o", "--output")) {
			v = main_option_value(argc, argv, &i, a, a[1] == '-' ? 8 : 2);
			if (!v)
				return -cli_usage_error(ctx, "option '%s' needs table or json", a);
			if (cli_parse_output(v, &ctx->output) < 0)
				return -cli_usage_error(
					ctx, "unknown output format '%s' (table or json)", v);
		} else {
			return -cli_usage_error(ctx, "unknown option '%s'", a);
		}
	}
	return i;
}

int main(int argc, char **argv)
{
	struct cli_ctx ctx = { .output = CLI_OUTPUT_TABLE };
	int first = main_parse_globals(&ctx, argc, argv);

	if (first <= 0)
		return -first;
	if (first >= argc) {
		main_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	ctx.cmd = cli_command_find(argv[first]);
	if (!ctx.cmd)
		return cli_usage_error(NULL, "unknown command '%s'", argv[first]);
	if (!ctx.socket)
		ctx.socket = main_default_socket();
	if (ctx.cmd->run != cmd_help && argc - first >= 2 && cli_is_help(argv[first + 1])) {
		cli_command_help(ctx.cmd, stdout);
		return CLI_EXIT_OK;
	}
	return ctx.cmd->run(&ctx, argc - first, argv + first);
}
