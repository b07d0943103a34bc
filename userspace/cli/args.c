// SPDX-License-Identifier: GPL-2.0-only
/* Shared option parsing of updatectl's bundle commands (see args.h). */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>

#include "userspace/cli/args.h"
#include "userspace/lib/config.h"
#include "userspace/cli/updatectl.h"

int uc_parse_args(int argc, char **argv, bool allow_output, void (*usage)(FILE *),
		  struct uc_args *out)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "output", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct uc_args a = { .config = UC_CONFIG_DEFAULT };
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, allow_output ? "c:o:jqh" : "c:jqh", opts,
				  NULL)) != -1) {
		if (opt == 'c') {
			a.config = optarg;
		} else if (opt == 'o' && allow_output) {
			a.output = optarg;
		} else if (opt == 'j') {
			a.json = true;
		} else if (opt == 'q') {
			a.quiet = true;
		} else if (opt == 'h') {
			usage(stdout);
			exit(UC_EXIT_OK);
		} else {
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return -EINVAL;
	}
	a.source = argv[optind];
	*out = a;
	return 0;
}
