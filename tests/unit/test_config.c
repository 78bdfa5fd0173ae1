/*
 * test_config.c -- a bad config is refused with the file, the JSON path
 * and what is wrong; a good one loads with its defaults.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sqlite3.h>

#include "bounds.h"
#include "config.h"
#include "tool.h"
#include "t.h"

static char	 dir[] = "/tmp/mcpgate-test-config.XXXXXX";
static char	 path[512];

static struct config *
load(const char *json, char *err, size_t errlen)
{
	FILE	*f = fopen(path, "w");

	fputs(json, f);
	fclose(f);
	return config_load(path, CONFIG_VERIFY, err, errlen);
}

static void
bad(const char *name, const char *json, const char *want)
{
	char		 err[BOUNDS_ERRMSG_LEN];
	struct config	*cfg = load(json, err, sizeof(err));

	T_OK(cfg == NULL && strstr(err, want) != NULL &&
	    strncmp(err, path, strlen(path)) == 0,
	    "%s: error names file and \"%s\" (got: %s)", name, want,
	    cfg ? "loaded" : err);
	config_free(cfg);
}

#define DB "\"databases\":{\"d\":{\"path\":\"d.db\"}},"
#define RO "\"annotations\":{\"readOnlyHint\":true}"

int
main(void)
{
	char		 err[BOUNDS_ERRMSG_LEN], db[600], name[200], json[1024];
	struct config	*cfg;
	sqlite3		*h;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/mcpgate.json", dir);
	snprintf(db, sizeof(db), "%s/d.db", dir);
	sqlite3_open(db, &h);
	sqlite3_exec(h, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)",
	    NULL, NULL, NULL);
	sqlite3_close(h);

	cfg = load("{\"tools\":[]}", err, sizeof(err));
	T_OK(cfg != NULL, "minimal config loads");
	if (cfg != NULL) {
		T_EQ_STR(cfg->endpoint, "/mcp", "default endpoint /mcp");
		T_EQ_INT(cfg->max_body, BOUNDS_BODY_DEFAULT, "default body cap");
		T_EQ_INT(cfg->sessions, 1, "sessions on by default");
		T_OK(strstr(cfg->state_db, dir) == cfg->state_db,
		    "state_db resolved against the config's directory");
	}
	config_free(cfg);

	bad("not JSON", "{", "mcpgate.json:1:");
	bad("duplicate key", "{\"tools\":[],\"tools\":[]}", "duplicate");
	bad("no tools", "{}", "/tools: must be an array");
	bad("unknown top member", "{\"tool\":[]}", "/: unknown member \"tool\"");
	bad("unknown server member", "{\"server\":{\"max_body\":5},\"tools\":[]}",
	    "/server: unknown member \"max_body\"");
	bad("body cap too small", "{\"server\":{\"max_body_bytes\":5},\"tools\":[]}",
	    "\"max_body_bytes\" must be an integer from 64");
	bad("body cap over ceiling", "{\"server\":{\"max_body_bytes\":16777217},"
	    "\"tools\":[]}", "to 16777216");
	bad("page size 0", "{\"server\":{\"page_size\":0},\"tools\":[]}",
	    "\"page_size\"");
	bad("endpoint without slash", "{\"server\":{\"endpoint\":\"mcp\"},"
	    "\"tools\":[]}", "/server/endpoint");
	bad("tool without name", "{\"tools\":[{\"kind\":\"static\"}]}",
	    "/tools/0: \"name\" is required");
	bad("bad tool name", "{\"tools\":[{\"name\":\"a b\",\"kind\":\"static\","
	    "\"content\":[{\"type\":\"text\",\"text\":\"x\"}]}]}",
	    "/tools/0: \"name\" must be 1 to 128");
	memset(name, 'a', BOUNDS_TOOL_NAME_LEN);
	name[BOUNDS_TOOL_NAME_LEN] = '\0';
	snprintf(json, sizeof(json), "{\"tools\":[{\"name\":\"%s\",\"kind\":"
	    "\"static\",\"content\":[{\"type\":\"text\",\"text\":\"x\"}]}]}",
	    name);
	cfg = load(json, err, sizeof(err));
	T_OK(cfg != NULL, "tool name of BOUNDS_TOOL_NAME_LEN accepted");
	config_free(cfg);
	name[BOUNDS_TOOL_NAME_LEN] = 'a';
	name[BOUNDS_TOOL_NAME_LEN + 1] = '\0';
	snprintf(json, sizeof(json), "{\"tools\":[{\"name\":\"%s\",\"kind\":"
	    "\"static\",\"content\":[{\"type\":\"text\",\"text\":\"x\"}]}]}",
	    name);
	bad("tool name of BOUNDS_TOOL_NAME_LEN+1", json, "must be 1 to 128");
	bad("duplicate tool name", "{\"tools\":["
	    "{\"name\":\"a\",\"kind\":\"static\",\"content\":[{\"type\":\"text\",\"text\":\"x\"}]},"
	    "{\"name\":\"a\",\"kind\":\"static\",\"content\":[{\"type\":\"text\",\"text\":\"x\"}]}]}",
	    "/tools/1: tool name \"a\" is already used by /tools/0");
	bad("unknown kind", "{\"tools\":[{\"name\":\"a\",\"kind\":\"shell\"}]}",
	    "\"kind\" must be");
	bad("unknown tool member", "{\"tools\":[{\"name\":\"a\",\"kind\":\"static\","
	    "\"content\":[{\"type\":\"text\",\"text\":\"x\"}],\"readonly\":true}]}",
	    "/tools/0: unknown member \"readonly\"");
	bad("static without content", "{\"tools\":[{\"name\":\"a\",\"kind\":\"static\"}]}",
	    "/tools/0/content:");
	bad("input schema not object type", "{\"tools\":[{\"name\":\"a\","
	    "\"kind\":\"static\",\"content\":[{\"type\":\"text\",\"text\":\"x\"}],"
	    "\"input_schema\":{\"type\":\"array\"}}]}", "\"input_schema\" must be");
	bad("sql: undefined database", "{\"tools\":[{\"name\":\"a\",\"kind\":\"sql\","
	    "\"database\":\"nope\",\"sql\":\"SELECT 1\"}]}",
	    "/tools/0/database: \"nope\" is not defined");
	bad("sql: syntax error", "{" DB "\"tools\":[{\"name\":\"a\",\"kind\":\"sql\","
	    "\"database\":\"d\",\"sql\":\"SELEC 1\"}]}", "/tools/0/sql: near");
	bad("sql: two statements", "{" DB "\"tools\":[{\"name\":\"a\",\"kind\":\"sql\","
	    "\"database\":\"d\",\"sql\":\"SELECT 1; SELECT 2\"}]}",
	    "/tools/0/sql: must be exactly one statement");
	bad("sql: read-only tool that writes", "{" DB "\"tools\":[{\"name\":\"a\","
	    "\"kind\":\"sql\",\"database\":\"d\",\"sql\":\"DELETE FROM t\","
	    "\"result\":\"exec\"," RO "}]}", "SQLite reports that the statement writes");
	bad("sql: parameter not in schema", "{" DB "\"tools\":[{\"name\":\"a\","
	    "\"kind\":\"sql\",\"database\":\"d\",\"sql\":\"SELECT * FROM t WHERE id = :id\","
	    RO "}]}", "parameter :id is not a property of input_schema");
	bad("sql: positional parameter", "{" DB "\"tools\":[{\"name\":\"a\","
	    "\"kind\":\"sql\",\"database\":\"d\",\"sql\":\"SELECT * FROM t WHERE id = ?\","
	    RO "}]}", "must be named");
	bad("sql: unknown caller parameter", "{" DB "\"tools\":[{\"name\":\"a\","
	    "\"kind\":\"sql\",\"database\":\"d\",\"sql\":\"SELECT * FROM t WHERE v = @user\","
	    RO "}]}", "unknown caller parameter @user");
	bad("sql: exec with columns", "{" DB "\"tools\":[{\"name\":\"a\","
	    "\"kind\":\"sql\",\"database\":\"d\",\"sql\":\"SELECT 1\",\"result\":\"exec\"}]}",
	    "/tools/0/result:");
	bad("sql: max_rows over ceiling", "{" DB "\"tools\":[{\"name\":\"a\","
	    "\"kind\":\"sql\",\"database\":\"d\",\"sql\":\"SELECT 1\",\"max_rows\":10001}]}",
	    "/tools/0/max_rows: must be an integer from 1 to 10000");
	bad("sql: missing database file", "{\"databases\":{\"d\":{\"path\":\"nope.db\"}},"
	    "\"tools\":[{\"name\":\"a\",\"kind\":\"sql\",\"database\":\"d\",\"sql\":\"SELECT 1\","
	    RO "}]}", "/tools/0/database: cannot open");

	cfg = load("{" DB "\"tools\":[{\"name\":\"a\",\"kind\":\"sql\",\"database\":\"d\","
	    "\"sql\":\"SELECT id, v FROM t WHERE id = :id AND v = @principal\","
	    "\"input_schema\":{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"integer\"}}},"
	    RO "}]}", err, sizeof(err));
	T_OK(cfg != NULL && cfg->tools[0]->read_only, "good sql tool loads (%s)",
	    cfg ? "ok" : err);
	if (cfg != NULL)
		T_OK(json_is_false(json_object_get(cfg->tools[0]->input_schema,
		    "additionalProperties")),
		    "input schema rejects unknown fields by default");
	config_free(cfg);
	snprintf(json, sizeof(json), "rm -rf '%s'", dir);
	if (system(json) != 0)
		return 1;
	return t_done();
}
