/* Placeholder: replaced by the YAML loader. */
#include <errno.h>
#include <string.h>
#include "config.h"
void config_defaults(struct synack_config *c)
{
	memset(c, 0, sizeof(*c));
	stack_tunables_defaults(&c->tcp);
}
int config_load_file(const char *path, struct synack_config *ret, struct config_errors *errs)
{
	return -ENOSYS;
}
void config_errors_print(const struct config_errors *errs, FILE *f)
{
}
void config_errors_free(struct config_errors *errs)
{
}
