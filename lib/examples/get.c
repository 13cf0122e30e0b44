/* get.c - the README's example: an HTTP GET through synack, blocking API. */
#include <stdio.h>
#include <synack.h>

int main(int argc, char **argv)
{
	struct synack *s;
	synack_conn c;
	char buf[4096];
	ssize_t n;
	int r = synack_open(NULL, "get", &s); /* $SYNACK_SOCKET or the default */

	if (r == 0)
		r = synack_connect(s, argc > 1 ? argv[1] : "10.77.0.1", 80, 5000, &c);
	if (r < 0) {
		fprintf(stderr, "get: %s\n", synack_strerror(r));
		return 1;
	}
	synack_send(s, c, "GET / HTTP/1.0\r\n\r\n", 18);
	while ((n = synack_recv(s, c, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	synack_close(s, c);
	synack_free(s);
	return n < 0;
}
