/*
 * fuzz_schema.c -- libFuzzer target for lib/schema.c.  The input is JSON
 * (parsed as the server parses requests, JSON_REJECT_DUPLICATES): an
 * array [schema, instance, ...] compiles the first element and validates
 * every later one; anything else is used as both schema and instance.
 * Also exercises schema_validate_ref and schema_report_json.
 */
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "schema.h"

/* Inputs beyond this are not interesting and only slow the fuzzer. */
#define FUZZ_SCHEMA_MAX_INPUT	(64 * 1024)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct schema_report	 rep;
	struct schema		*s;
	json_t			*doc, *sch, *rj;
	char			 err[256];
	size_t			 i;

	if (size > FUZZ_SCHEMA_MAX_INPUT)
		return 0;
	doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES |
	    JSON_DECODE_ANY, NULL);
	if (doc == NULL)
		return 0;
	sch = json_is_array(doc) && json_array_size(doc) >= 2 ?
	    json_array_get(doc, 0) : doc;
	s = schema_compile(sch, err, sizeof(err));
	if (s != NULL) {
		if (sch == doc) {
			if (schema_validate(s, doc, &rep) != -1) {
				rj = schema_report_json(&rep);
				json_decref(rj);
			}
		} else
			for (i = 1; i < json_array_size(doc); i++)
				if (schema_validate(s, json_array_get(doc, i),
				    &rep) == 1) {
					rj = schema_report_json(&rep);
					json_decref(rj);
				}
		if (schema_validate_ref(s, "#/$defs/a", doc, &rep) == 0)
			(void)rep.nerrors;
		schema_free(s);
	}
	json_decref(doc);
	return 0;
}
