/*
 * replay.c -- runs a fuzz target over every file of its corpus (and past
 * crashes) without libFuzzer, so `make check` replays them under ASan and
 * UBSan with gcc.  Prints one TAP line per input.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
main(int argc, char *argv[])
{
	int	 i, n = 0;

	for (i = 1; i < argc; i++) {
		DIR		*d = opendir(argv[i]);
		struct dirent	*e;

		if (d == NULL)
			continue;
		while ((e = readdir(d)) != NULL) {
			char	 path[4096];
			FILE	*f;
			uint8_t	*buf;
			long	 len;

			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", argv[i],
			    e->d_name);
			if ((f = fopen(path, "rb")) == NULL)
				continue;
			fseek(f, 0, SEEK_END);
			len = ftell(f);
			rewind(f);
			buf = malloc(len > 0 ? (size_t)len : 1);
			if (buf == NULL || fread(buf, 1, (size_t)len, f) !=
			    (size_t)len) {
				fclose(f);
				free(buf);
				printf("not ok %d - read %s\n", ++n, path);
				continue;
			}
			fclose(f);
			LLVMFuzzerTestOneInput(buf, (size_t)len);
			free(buf);
			/* Reaching here means no sanitizer report. */
			printf("ok %d - replay %s\n", ++n, path);
		}
		closedir(d);
	}
	printf("1..%d\n", n);
	return 0;
}
