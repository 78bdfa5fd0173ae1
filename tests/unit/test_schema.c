/*
 * test_schema.c -- lib/schema.c: compile errors, messages a model reads,
 * the error cap, numbers, draft-07, recursion bounds, and validation of
 * hand-written MCP messages (and the published examples) against MCP's
 * official schema.json files through schema_validate_ref.  The official
 * JSON Schema Test Suite runs in test_schema_suite.c.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "schema.h"
#include "t.h"

static json_t *
js(const char *text)
{
	json_error_t	 e;
	json_t		*v;

	v = json_loads(text, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &e);
	if (v == NULL) {
		printf("# bad test JSON: %s: %s\n", text, e.text);
		abort();
	}
	return v;
}

/* Compiles schema text; on failure returns NULL with err filled. */
static struct schema *
compile(const char *text, char *err, size_t errlen)
{
	json_t		*doc = js(text);
	struct schema	*s;

	s = schema_compile(doc, err, errlen);
	json_decref(doc);		/* the schema keeps its own reference */
	return s;
}

/* Validates inst text against schema text; returns the verdict. */
static int
check(const char *schema, const char *inst, struct schema_report *rep)
{
	struct schema	*s;
	json_t		*v;
	char		 err[256];
	int		 r;

	if ((s = compile(schema, err, sizeof(err))) == NULL) {
		printf("# compile failed: %s\n", err);
		return -2;
	}
	v = js(inst);
	r = schema_validate(s, v, rep);
	json_decref(v);
	schema_free(s);
	return r;
}

static void
test_compile_errors(void)
{
	static const struct {
		const char	*schema;
		const char	*err;
	} cases[] = {
		{ "{\"properties\":{\"amount\":{\"minimum\":\"5\"}}}",
		    "/properties/amount/minimum: must be a number" },
		{ "{\"$ref\":\"#/$defs/nope\"}",
		    "/$ref: cannot resolve \"#/$defs/nope\": no such location "
		    "in the document" },
		{ "{\"$ref\":\"https://example.com/x.json\"}",
		    "/$ref: cannot resolve \"https://example.com/x.json\": "
		    "only references within this document are supported" },
		{ "{\"$schema\":\"http://json-schema.org/draft-04/schema#\"}",
		    "/$schema: unsupported dialect "
		    "\"http://json-schema.org/draft-04/schema#\"; use "
		    "\"https://json-schema.org/draft/2020-12/schema\" (or "
		    "draft-07)" },
		{ "{\"type\":\"strng\"}", "/type: must be one of \"null\", "
		    "\"boolean\", \"object\", \"array\", \"number\", "
		    "\"string\", \"integer\", or an array of distinct ones" },
		{ "{\"minLength\":-1}", "/minLength: must be a non-negative "
		    "integer" },
		{ "{\"multipleOf\":0}", "/multipleOf: must be greater than 0" },
		{ "{\"required\":\"a\"}", "/required: must be an array of "
		    "strings" },
		{ "{\"allOf\":[]}", "/allOf: must be a non-empty array of "
		    "schemas" },
		{ "{\"properties\":{\"a\":3}}", "/properties/a: must be a "
		    "schema (an object or a boolean)" },
		{ "{\"pattern\":\"(?=a)\"}", "/pattern: lookahead and "
		    "lookbehind are not supported" },
		{ "{\"pattern\":\"(a\"}", NULL },
		{ "{\"pattern\":\"a{1000}b{1000}\"}", "/pattern: counted "
		    "repetitions multiply beyond 100000" },
		{ "{\"items\":[{}]}", "/items: must be a schema (for a tuple, "
		    "use \"prefixItems\" in draft 2020-12)" },
		{ "{\"$ref\":\"#\"}", "(root): references loop back to this "
		    "schema without consuming any input" },
		{ "{\"$defs\":{\"a\":{\"allOf\":[{\"$ref\":\"#/$defs/b\"}]},"
		    "\"b\":{\"anyOf\":[{\"$ref\":\"#/$defs/a\"}]}},"
		    "\"$ref\":\"#/$defs/a\"}", NULL },
		{ "3", "(root): must be a schema (an object or a boolean)" },
		{ "{\"$defs\":{\"x\":{\"type\":7}}}", "/$defs/x/type: must be "
		    "one of \"null\", \"boolean\", \"object\", \"array\", "
		    "\"number\", \"string\", \"integer\", or an array of "
		    "distinct ones" },
	};
	struct schema	*s;
	char		 err[256];
	size_t		 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		s = compile(cases[i].schema, err, sizeof(err));
		T_OK(s == NULL, "compile rejects %s", cases[i].schema);
		if (cases[i].err != NULL)
			T_EQ_STR(err, cases[i].err, "error for %s",
			    cases[i].schema);
		else
			T_OK(err[0] != '\0', "some error for %s: %s",
			    cases[i].schema, err);
		schema_free(s);
	}
	s = schema_compile(NULL, err, sizeof(err));
	T_OK(s == NULL, "NULL document is rejected");
	schema_free(NULL);
	T_OK(1, "schema_free(NULL) is a no-op");
}

static void
test_messages(void)
{
	struct schema_report	 rep;
	const char		*sch;
	int			 r;

	sch = "{\"type\":\"object\",\"properties\":{"
	    "\"amount\":{\"type\":\"number\",\"maximum\":500},"
	    "\"name\":{\"type\":\"string\",\"minLength\":2},"
	    "\"code\":{\"type\":\"string\",\"pattern\":\"^\\\\d{3}$\"},"
	    "\"kind\":{\"enum\":[\"a\",\"b\"]},\"who\":{}},"
	    "\"required\":[\"who\"],"
	    "\"additionalProperties\":false}";
	r = check(sch, "{\"amount\":750}", &rep);
	T_EQ_INT(r, 1, "750 > 500 is invalid");
	T_EQ_INT(rep.nerrors, 2, "two violations: required and maximum");
	T_EQ_STR(rep.err[0].path, "", "required is at the object");
	T_EQ_STR(rep.err[0].keyword, "required", "keyword of required");
	T_EQ_STR(rep.err[0].message, "the value is missing the required "
	    "property \"who\"", "message of required");
	T_EQ_STR(rep.err[1].path, "/amount", "path of maximum");
	T_EQ_STR(rep.err[1].keyword, "maximum", "keyword of maximum");
	T_EQ_STR(rep.err[1].message, "/amount must be at most 500; you "
	    "passed 750", "message of maximum");

	r = check(sch, "{\"amount\":1,\"who\":1,\"name\":\"x\",\"code\":"
	    "\"12a\",\"kind\":\"c\",\"extra\":true}", &rep);
	T_EQ_INT(r, 1, "several violations");
	T_EQ_INT(rep.nerrors, 4, "all of them are reported");
	T_EQ_STR(rep.err[0].message, "/name must be at least 2 characters "
	    "long; you passed \"x\" (1)", "minLength message");
	T_EQ_STR(rep.err[1].message, "/code must match the pattern "
	    "\"^\\\\d{3}$\"; you passed \"12a\"", "pattern message");
	T_EQ_STR(rep.err[2].message, "/kind must be one of \"a\", \"b\"; "
	    "you passed \"c\"", "enum message");
	T_EQ_STR(rep.err[3].path, "/extra", "additionalProperties path");
	T_EQ_STR(rep.err[3].message, "/extra is not an allowed property "
	    "(expected one of \"amount\", \"name\", \"code\", \"kind\", "
	    "\"who\")",
	    "additionalProperties message");

	r = check("{\"type\":\"integer\"}", "\"abc\"", &rep);
	T_EQ_STR(rep.err[0].message, "the value must be an integer; you "
	    "passed \"abc\"", "type message quotes a string");
	r = check("{\"type\":[\"string\",\"null\"]}", "{\"a\":1}", &rep);
	T_EQ_STR(rep.err[0].message, "the value must be a string or null; "
	    "you passed an object with 1 member", "type list message");
	r = check("{\"const\":\"x\"}", "\"0123456789012345678901234567890"
	    "123456789012345678901234567890\"", &rep);
	T_EQ_STR(rep.err[0].message, "the value must be \"x\"; you passed "
	    "\"0123456789012345678901234567890123456789...\"",
	    "long strings are cut");
	r = check("{\"properties\":{\"a/b\":{\"properties\":{\"c~d\":"
	    "{\"type\":\"string\"}}}}}", "{\"a/b\":{\"c~d\":1}}", &rep);
	T_EQ_STR(rep.err[0].path, "/a~1b/c~0d", "paths are JSON Pointers");
	r = check("{\"properties\":{\"k\":{\"type\":\"string\"}},"
	    "\"patternProperties\":{\"^k\":{\"minimum\":5}}}", "{\"k\":1}",
	    &rep);
	T_EQ_INT(rep.nerrors, 2, "properties and patternProperties both");
	T_EQ_STR(rep.err[1].path, "/k", "second violation keeps its path");
	r = check("{\"items\":{\"type\":\"string\"}}", "[\"a\",2]", &rep);
	T_EQ_STR(rep.err[0].path, "/1", "array index in path");
	r = check("{\"type\":\"string\",\"format\":\"date\"}", "\"2025-02-30\"",
	    &rep);
	T_EQ_INT(r, 1, "format date is asserted");
	T_EQ_STR(rep.err[0].message, "the value must be an RFC 3339 date such "
	    "as \"2025-01-31\"; you passed \"2025-02-30\"", "format message");
	r = check("{\"format\":\"made-up\"}", "\"x\"", &rep);
	T_EQ_INT(r, 0, "unknown formats are ignored");
	r = check("{\"uniqueItems\":true}", "[1,2,1.0]", &rep);
	T_EQ_STR(rep.err[0].message, "the value must not contain duplicate "
	    "items; items 0 and 2 are equal", "uniqueItems message");
	r = check("{\"not\":{\"type\":\"string\"}}", "\"a\"", &rep);
	T_EQ_STR(rep.err[0].keyword, "not", "not keyword");
	r = check("{\"minimum\":0.5,\"exclusiveMaximum\":2}", "2", &rep);
	T_EQ_STR(rep.err[0].message, "the value must be less than 2; you "
	    "passed 2", "exclusiveMaximum message");
	r = check("{\"minimum\":0.5}", "0.1", &rep);
	T_EQ_STR(rep.err[0].message, "the value must be at least 0.5; you "
	    "passed 0.1", "real numbers print short");
	r = check("{\"dependentRequired\":{\"a\":[\"b\"]}}", "{\"a\":1}", &rep);
	T_EQ_STR(rep.err[0].message, "the value has \"a\", so it must also "
	    "have \"b\"", "dependentRequired message");
	r = check("{\"prefixItems\":[{}],\"items\":false}", "[1,2,3]", &rep);
	T_EQ_STR(rep.err[0].message, "the value must have at most 1 item; "
	    "you passed 3", "items:false message");
	r = check("{\"contains\":{\"type\":\"string\"}}", "[1]", &rep);
	T_EQ_STR(rep.err[0].keyword, "contains", "contains keyword");
	r = check("{\"propertyNames\":{\"maxLength\":2}}", "{\"abc\":1}", &rep);
	T_EQ_STR(rep.err[0].message, "the value has a property name that the "
	    "schema does not allow: \"abc\"", "propertyNames message");
	r = check("{\"unevaluatedProperties\":false,\"properties\":{\"a\":{}}}",
	    "{\"a\":1,\"b\":2}", &rep);
	T_EQ_STR(rep.err[0].path, "/b", "unevaluatedProperties path");
	T_EQ_STR(rep.err[0].message, "/b is not an allowed property",
	    "unevaluatedProperties message");
	r = check("{\"type\":\"integer\"}", "\"tab\\there \\\"q\\\"\"", &rep);
	T_EQ_STR(rep.err[0].message, "the value must be an integer; you passed "
	    "\"tab\\u0009here \\\"q\\\"\"", "control characters are escaped");
	(void)r;
}

static void
test_anyof(void)
{
	struct schema_report	 rep;
	const char		*sch;
	int			 r;

	sch = "{\"anyOf\":[{\"type\":\"string\",\"maxLength\":3},"
	    "{\"type\":\"integer\",\"minimum\":10}]}";
	r = check(sch, "5", &rep);
	T_EQ_INT(r, 1, "anyOf: no branch");
	T_EQ_INT(rep.nerrors, 1, "anyOf: one error for the fitting branch");
	T_EQ_STR(rep.err[0].message, "the value must be at least 10; you "
	    "passed 5", "anyOf: the branch of the right type speaks");
	r = check(sch, "null", &rep);
	T_EQ_STR(rep.err[0].message, "the value must match at least one of "
	    "the 2 alternatives in anyOf, but matches none",
	    "anyOf: summary when no branch fits");
	r = check(sch, "\"ab\"", &rep);
	T_EQ_INT(r, 0, "anyOf: a valid branch");

	/* A discriminated union, as MCP content blocks are. */
	sch = "{\"oneOf\":[{\"type\":\"object\",\"properties\":{\"type\":"
	    "{\"const\":\"text\"},\"text\":{\"type\":\"string\"}},"
	    "\"required\":[\"type\",\"text\"]},{\"type\":\"object\","
	    "\"properties\":{\"type\":{\"const\":\"image\"},\"data\":"
	    "{\"type\":\"string\"}},\"required\":[\"type\",\"data\"]}]}";
	r = check(sch, "{\"type\":\"image\"}", &rep);
	T_EQ_INT(r, 1, "oneOf: image without data");
	T_EQ_STR(rep.err[0].message, "the value is missing the required "
	    "property \"data\"", "oneOf: the discriminated branch speaks");
	r = check("{\"oneOf\":[{\"type\":\"integer\"},{\"minimum\":0}]}", "1",
	    &rep);
	T_EQ_INT(r, 1, "oneOf: two branches match");
	T_EQ_STR(rep.err[0].message, "the value must match exactly one of "
	    "the 2 alternatives in oneOf, but matches 2 (#0 and #1 at "
	    "least)", "oneOf: too many");
}

static void
test_cap(void)
{
	struct schema_report	 rep;
	char			 inst[1024];
	size_t			 o = 0;
	int			 i, r;

	o += (size_t)snprintf(inst + o, sizeof(inst) - o, "[");
	for (i = 0; i < 40; i++)
		o += (size_t)snprintf(inst + o, sizeof(inst) - o, "%s\"x\"",
		    i ? "," : "");
	snprintf(inst + o, sizeof(inst) - o, "]");
	r = check("{\"items\":{\"type\":\"integer\"}}", inst, &rep);
	T_EQ_INT(r, 1, "40 bad items");
	T_EQ_INT(rep.nerrors, SCHEMA_MAX_ERRORS, "kept up to the cap");
	T_EQ_INT(rep.ntotal, 40, "all counted");
	T_EQ_STR(rep.err[15].path, "/15", "the first ones are kept");
}

static void
test_numbers(void)
{
	struct schema_report	 rep;

	T_EQ_INT(check("{\"multipleOf\":0.0001}", "0.0075", &rep), 0,
	    "0.0075 is a multiple of 0.0001");
	T_EQ_INT(check("{\"multipleOf\":0.01}", "19.99", &rep), 0,
	    "19.99 is a multiple of 0.01");
	T_EQ_INT(check("{\"multipleOf\":0.01}", "19.991", &rep), 1,
	    "19.991 is not a multiple of 0.01");
	T_EQ_INT(check("{\"multipleOf\":2}", "9007199254740993", &rep), 1,
	    "2^53+1 is not a multiple of 2 (exact)");
	T_EQ_INT(check("{\"multipleOf\":7}", "9223372036854775807", &rep), 0,
	    "INT64_MAX is a multiple of 7");
	T_EQ_INT(check("{\"maximum\":9007199254740992}", "9007199254740993",
	    &rep), 1, "big integers compare exactly");
	T_EQ_INT(check("{\"maximum\":9007199254740992.0}", "9007199254740993",
	    &rep), 1, "integer against real compares exactly");
	T_EQ_INT(check("{\"type\":\"integer\"}", "1.0", &rep), 0,
	    "1.0 is an integer");
	T_EQ_INT(check("{\"type\":\"integer\"}", "1.5", &rep), 1,
	    "1.5 is not an integer");
	T_EQ_INT(check("{\"const\":1}", "1.0", &rep), 0, "1 == 1.0");
	T_EQ_INT(check("{\"enum\":[[1,{\"a\":2}]]}", "[1.0,{\"a\":2.0}]",
	    &rep), 0, "deep numeric equality");
	T_EQ_INT(check("{\"const\":false}", "0", &rep), 1, "false != 0");
	T_EQ_INT(check("{\"maxLength\":1}", "\"\\u00e9\"", &rep), 0,
	    "maxLength counts code points");
	T_EQ_INT(check("{\"minLength\":2}", "\"\\ud83d\\ude00\"", &rep), 1,
	    "an astral character is one code point");
}

static void
test_misc(void)
{
	struct schema_report	 rep;
	struct schema		*s;
	json_t			*doc, *inst, *arr, *a;
	char			 err[256];
	int			 i, r;

	/* draft-07: tuple items, additionalItems, $ref overrides siblings. */
	T_EQ_INT(check("{\"$schema\":\"http://json-schema.org/draft-07/schema#\","
	    "\"items\":[{\"type\":\"string\"}],\"additionalItems\":false}",
	    "[\"a\",1]", &rep), 1, "draft-07 additionalItems");
	T_EQ_INT(check("{\"$schema\":\"http://json-schema.org/draft-07/schema#\","
	    "\"definitions\":{\"s\":{\"type\":\"string\"}},\"properties\":"
	    "{\"a\":{\"$ref\":\"#/definitions/s\",\"maxLength\":1}}}",
	    "{\"a\":\"long\"}", &rep), 0, "draft-07 $ref siblings ignored");
	T_EQ_INT(check("{\"$defs\":{\"s\":{\"type\":\"string\"}},\"properties\":"
	    "{\"a\":{\"$ref\":\"#/$defs/s\",\"maxLength\":1}}}",
	    "{\"a\":\"long\"}", &rep), 1, "2020-12 $ref siblings apply");
	T_EQ_INT(check("{\"$defs\":{\"a%b\":{\"type\":\"string\"},\"c/d\":"
	    "{\"type\":\"string\"}},\"properties\":{\"x\":{\"$ref\":"
	    "\"#/$defs/a%25b\"},\"y\":{\"$ref\":\"#/$defs/c~1d\"}}}",
	    "{\"x\":1,\"y\":2}", &rep), 1, "escaped pointers resolve");
	T_EQ_INT(rep.nerrors, 2, "both escaped refs checked");
	T_EQ_INT(check("true", "{}", &rep), 0, "true schema");
	T_EQ_INT(check("false", "{}", &rep), 1, "false schema");
	T_EQ_STR(rep.err[0].message, "the value is not allowed here",
	    "false schema message");

	/* A recursive schema on a deep instance hits the depth bound. */
	doc = js("{\"$defs\":{\"n\":{\"type\":\"array\",\"items\":"
	    "{\"$ref\":\"#/$defs/n\"}}},\"$ref\":\"#/$defs/n\"}");
	s = schema_compile(doc, err, sizeof(err));
	T_OK(s != NULL, "recursive schema compiles");
	inst = arr = json_array();
	for (i = 0; i < SCHEMA_MAX_DEPTH; i++) {
		a = json_array();
		json_array_append_new(arr, a);
		arr = a;
	}
	r = schema_validate(s, inst, &rep);
	T_EQ_INT(r, -1, "too deep is an internal error, not a crash");
	T_EQ_STR(rep.err[0].keyword, "internal", "internal keyword");
	json_decref(inst);
	inst = js("[[[[]]]]");
	T_EQ_INT(schema_validate(s, inst, &rep), 0, "shallow is fine");
	json_decref(inst);
	inst = js("[[[[1]]]]");
	T_EQ_INT(schema_validate(s, inst, &rep), 1, "recursion validates");
	T_EQ_STR(rep.err[0].path, "/0/0/0/0", "deep path");
	json_decref(inst);

	/* validate_ref against a subschema, and a missing one. */
	inst = js("\"x\"");
	T_EQ_INT(schema_validate_ref(s, "#/$defs/n", inst, &rep), 1,
	    "validate_ref to a definition");
	T_EQ_INT(schema_validate_ref(s, "#/$defs/none", inst, &rep), -1,
	    "validate_ref to nothing");
	T_EQ_STR(rep.err[0].keyword, "internal", "validate_ref error keyword");
	T_EQ_INT(schema_validate(NULL, inst, &rep), -1, "NULL schema");
	json_decref(inst);
	schema_free(s);
	json_decref(doc);

	/* schema_report_json */
	r = check("{\"required\":[\"a\",\"b\"]}", "{}", &rep);
	a = schema_report_json(&rep);
	T_OK(json_is_array(a) && json_array_size(a) == 2, "report as JSON");
	T_EQ_STR(json_string_value(json_object_get(json_array_get(a, 1),
	    "message")), "the value is missing the required property \"b\"",
	    "report JSON message");
	T_EQ_STR(json_string_value(json_object_get(json_array_get(a, 1),
	    "keyword")), "required", "report JSON keyword");
	T_EQ_STR(json_string_value(json_object_get(json_array_get(a, 1),
	    "path")), "", "report JSON path");
	json_decref(a);
	r = check("{}", "{}", &rep);
	T_EQ_INT(r, 0, "valid");
	T_EQ_INT(rep.nerrors, 0, "no errors when valid");
	T_EQ_STR(rep.err[0].message, "", "err[0] is empty when valid");
	a = schema_report_json(&rep);
	T_OK(json_is_array(a) && json_array_size(a) == 0, "empty report");
	json_decref(a);

	/* ECMA-262 patterns */
	T_EQ_INT(check("{\"pattern\":\"^\\\\w+\\\\s\\\\S+$\"}", "\"ab_1 c\"",
	    &rep), 0, "\\w \\s \\S");
	T_EQ_INT(check("{\"pattern\":\"^[\\\\d.-]+$\"}", "\"1.2-3\"", &rep),
	    0, "\\d and - inside a class");
	T_EQ_INT(check("{\"pattern\":\"^.$\"}", "\"\\u00e9\"", &rep), 0,
	    ". matches one code point");
	T_EQ_INT(check("{\"pattern\":\"^(?:ab)+?$\"}", "\"abab\"", &rep), 0,
	    "non-capturing group, lazy quantifier");
	T_EQ_INT(check("{\"pattern\":\"^(a)(?:b)\\\\1$\"}", "\"aba\"", &rep),
	    0, "back-reference renumbered");
	T_EQ_INT(check("{\"pattern\":\"a{\"}", "\"a{\"", &rep), 0,
	    "a brace that is no quantifier is literal");
	T_EQ_INT(check("{\"pattern\":\"^[^\\\\]]$\"}", "\"]\"", &rep), 1,
	    "escaped ] in a negated class");
	T_EQ_INT(check("{\"pattern\":\"^\\\\p{Lu}\"}", "\"\\u00c9t\\u00e9\"",
	    &rep), 0, "\\p{Lu} on a non-ASCII capital");
}

/* MCP's official schema.json, through schema_validate_ref. */
static void
test_mcp(const char *shared)
{
	static const char *const revs[] = { "2025-03-26", "2025-06-18",
	    "2025-11-25", "2026-07-28" };
	struct schema_report	 rep;
	struct schema		*s;
	json_error_t		 je;
	json_t			*doc, *v;
	char			 path[1024], err[256], ref[128];
	const char		*defs;
	size_t			 i;
	int			 isnew;

	for (i = 0; i < sizeof(revs) / sizeof(revs[0]); i++) {
		snprintf(path, sizeof(path),
		    "%s/testdata/mcp-schema/%s/schema.json", shared, revs[i]);
		doc = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
		T_OK(doc != NULL, "%s: schema.json loads", revs[i]);
		if (doc == NULL)
			continue;
		s = schema_compile(doc, err, sizeof(err));
		T_OK(s != NULL, "%s: schema.json compiles%s%s", revs[i],
		    s ? "" : ": ", s ? "" : err);
		json_decref(doc);
		if (s == NULL)
			continue;
		defs = i < 2 ? "definitions" : "$defs";
		isnew = strcmp(revs[i], "2026-07-28") == 0;

		snprintf(ref, sizeof(ref), "#/%s/CallToolResult", defs);
		v = js(isnew ? "{\"resultType\":\"complete\",\"content\":"
		    "[{\"type\":\"text\",\"text\":\"42 rows\"}]}" :
		    "{\"content\":[{\"type\":\"text\",\"text\":\"42 rows\"}],"
		    "\"isError\":false}");
		T_EQ_INT(schema_validate_ref(s, ref, v, &rep), 0,
		    "%s: a CallToolResult is valid", revs[i]);
		json_decref(v);
		v = js("{\"content\":[{\"type\":\"text\"}],\"isError\":\"no\"}");
		T_EQ_INT(schema_validate_ref(s, ref, v, &rep), 1,
		    "%s: a broken CallToolResult is invalid", revs[i]);
		T_OK(rep.nerrors >= 2, "%s: its violations: %s | %s", revs[i],
		    rep.err[0].message, rep.err[1].message);
		json_decref(v);

		if (!isnew) {
			snprintf(ref, sizeof(ref), "#/%s/InitializeResult",
			    defs);
			v = js("{\"protocolVersion\":\"2025-06-18\","
			    "\"capabilities\":{\"tools\":{\"listChanged\":"
			    "false}},\"serverInfo\":{\"name\":\"mcpgate\","
			    "\"version\":\"0.1.0\"}}");
			T_EQ_INT(schema_validate_ref(s, ref, v, &rep), 0,
			    "%s: an InitializeResult is valid", revs[i]);
			json_decref(v);
			v = js("{\"protocolVersion\":20250618,"
			    "\"capabilities\":{}}");
			T_EQ_INT(schema_validate_ref(s, ref, v, &rep), 1,
			    "%s: a broken InitializeResult is invalid",
			    revs[i]);
			T_EQ_INT(rep.nerrors, 2, "%s: type and required",
			    revs[i]);
			json_decref(v);
		}
		snprintf(ref, sizeof(ref), "#/%s/JSONRPCResponse", defs);
		v = js(isnew ? "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":"
		    "{\"resultType\":\"complete\"}}" :
		    "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}");
		T_EQ_INT(schema_validate_ref(s, ref, v, &rep), 0,
		    "%s: a JSONRPCResponse is valid", revs[i]);
		json_decref(v);
		v = js("{\"jsonrpc\":\"1.0\",\"id\":1,\"result\":{}}");
		T_EQ_INT(schema_validate_ref(s, ref, v, &rep), 1,
		    "%s: jsonrpc 1.0 is invalid", revs[i]);
		json_decref(v);
		schema_free(s);
	}
}

/* Every published 2026-07-28 example validates against its definition. */
static void
test_mcp_examples(const char *shared)
{
	struct schema_report	 rep;
	struct schema		*s;
	struct dirent		*de, *fe;
	json_error_t		 je;
	json_t			*doc, *v;
	DIR			*d, *fd;
	char			 base[1024], path[2048], err[256], ref[300];
	int			 n = 0, bad = 0, r;

	snprintf(path, sizeof(path),
	    "%s/testdata/mcp-schema/2026-07-28/schema.json", shared);
	if ((doc = json_load_file(path, 0, &je)) == NULL)
		return;
	s = schema_compile(doc, err, sizeof(err));
	json_decref(doc);
	snprintf(base, sizeof(base), "%s/testdata/mcp-schema/2026-07-28/"
	    "examples", shared);
	if (s == NULL || (d = opendir(base)) == NULL) {
		schema_free(s);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", base, de->d_name);
		if ((fd = opendir(path)) == NULL)
			continue;
		snprintf(ref, sizeof(ref), "#/$defs/%s", de->d_name);
		while ((fe = readdir(fd)) != NULL) {
			if (strstr(fe->d_name, ".json") == NULL)
				continue;
			snprintf(path, sizeof(path), "%s/%s/%s", base,
			    de->d_name, fe->d_name);
			if ((v = json_load_file(path, 0, &je)) == NULL)
				continue;
			r = schema_validate_ref(s, ref, v, &rep);
			n++;
			if (r != 0) {
				bad++;
				printf("# %s/%s: %s\n", de->d_name,
				    fe->d_name, rep.err[0].message);
			}
			json_decref(v);
		}
		closedir(fd);
	}
	closedir(d);
	schema_free(s);
	T_OK(n > 0 && bad == 0, "2026-07-28: all %d examples validate "
	    "against their definition (%d fail)", n, bad);
}

int
main(void)
{
	const char	*shared = getenv("MCPGATE_SHARED");

	if (shared == NULL || *shared == '\0')
		shared = "../shared";
	test_compile_errors();
	test_messages();
	test_anyof();
	test_cap();
	test_numbers();
	test_misc();
	test_mcp(shared);
	test_mcp_examples(shared);
	return t_done();
}
