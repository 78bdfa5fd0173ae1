/*
 * fuzz_apikey.c -- libFuzzer target: arbitrary bytes as a presented API
 * key (the structure and checksum checks that run before any database
 * look-up) and as an Authorization-style header value.
 */
#include <stddef.h>
#include <stdint.h>

#include "apikey.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	 id[APIKEY_ID_LEN + 1];

	if (apikey_is_apikey((const char *)data, size))
		(void)!apikey_parse((const char *)data, size, id);
	(void)apikey_checksum(data, size);
	return 0;
}
