/*
 * fuzz_mcphdr.c -- libFuzzer target: arbitrary bytes as an MCP 2026-07-28
 * header value (plain and Base64 sentinel decoding), then, after the first
 * newline, as the arguments an Mcp-Param header is compared with.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "mcphdr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *hval;

static const char *
get(void *arg, const char *name)
{
	(void)arg;
	(void)name;
	return hval;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		 in[BOUNDS_HEADER_LEN + 1], out[BOUNDS_HEADER_LEN + 1];
	char		 msg[256];
	const uint8_t	*nl = memchr(data, '\n', size);
	size_t		 n = nl != NULL ? (size_t)(nl - data) : size, olen;
	json_t		*schema, *args = NULL;
	json_error_t	 je;

	if (n > BOUNDS_HEADER_LEN)
		n = BOUNDS_HEADER_LEN;
	memcpy(in, data, n);
	in[n] = '\0';
	(void)!mcphdr_plain(in, out, sizeof(out), &olen);
	(void)!mcphdr_decode(in, out, sizeof(out), &olen);
	if (nl == NULL)
		return 0;
	schema = json_pack("{s:s,s:{s:{s:s,s:s},s:{s:s,s:s},s:{s:s,s:s},"
	    "s:{s:{s:{s:s,s:s}}}}}", "type", "object", "properties",
	    "s", "type", "string", "x-mcp-header", "S",
	    "i", "type", "integer", "x-mcp-header", "I",
	    "b", "type", "boolean", "x-mcp-header", "B",
	    "o", "properties", "z", "type", "string", "x-mcp-header", "Z");
	args = json_loadb((const char *)nl + 1, size - n - 1,
	    JSON_REJECT_DUPLICATES, &je);
	hval = in;
	(void)!mcphdr_params_check(schema, args, get, NULL, msg, sizeof(msg));
	hval = NULL;
	(void)!mcphdr_params_check(schema, args, get, NULL, msg, sizeof(msg));
	json_decref(args);
	json_decref(schema);
	return 0;
}
