/*
 * fuzz_config.c: the configuration file parser on any bytes: a clean
 * error with where, or a configuration; never a crash or a leak.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/feegate-fuzz-config-XXXXXX";
	struct config cfg;
	struct fg_err err;
	int fd = mkstemp(path);
	FILE *fp;

	if (fd < 0)
		return 0;
	fp = fdopen(fd, "w");
	if (fp == NULL) {
		close(fd);
		unlink(path);
		return 0;
	}
	fwrite(data, 1, size, fp);
	fclose(fp);
	/* Whatever it says, the caller frees what it set up. */
	config_load(&cfg, path, &err);
	config_free(&cfg);
	unlink(path);
	return 0;
}
