/*
 * fuzz_jrpc.c -- libFuzzer target: arbitrary bytes through the JSON-RPC
 * framing, and back out as a response.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "jrpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jrpc_msg		 m;
	struct jrpc_error	 e = { 0 };
	json_t			*id = NULL, *r;

	if (jrpc_parse((const char *)data, size, &m, &id, &e) == 0) {
		r = jrpc_result(m.id, json_object());
		json_decref(r);
		jrpc_msg_clear(&m);
	} else {
		r = jrpc_error_response(id, &e);
		json_decref(r);
	}
	json_decref(id);
	jrpc_error_clear(&e);
	return 0;
}
