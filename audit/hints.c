/*
 * hints.c -- tool annotations from mcpgate.json, parsed with jansson
 * (duplicate members rejected, size bounded), and the documented guess
 * used when no config is given.  Never links lib/config.c: the analyzer
 * must run where only the audit log and a copy of the config are.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "digest.h"
#include "hints.h"
#include "intern.h"

static const char *const hints_class_names[HINTS__MAX] = {
	"read", "write", "destructive",
};

const char *
hints_class_name(enum hints_class c)
{
	return (unsigned int)c < HINTS__MAX ? hints_class_names[c] :
	    "unknown";
}

void
hints_free(struct hints *h)
{
	size_t	 i;

	if (h == NULL)
		return;
	for (i = 0; i < h->ntools; i++) {
		free(h->tools[i].name);
		free(h->tools[i].scope);
	}
	free(h->tools);
	free(h);
}

/* A boolean annotation, or def when it is absent. */
static int
hints_bool(const json_t *ann, const char *key, int def)
{
	const json_t *v = json_object_get(ann, key);

	return json_is_boolean(v) ? json_is_true(v) : def;
}

/* Reads at most HINTS_CONFIG_MAX bytes of path.  Returns them or NULL. */
static char *
hints_slurp(const char *path, size_t *len, char *err, size_t errlen)
{
	struct stat	 sb;
	char		*buf = NULL;
	size_t		 got = 0;
	ssize_t		 r;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "cannot open config %s: %s", path,
		    strerror(errno));
		return NULL;
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode) ||
	    sb.st_size > (off_t)HINTS_CONFIG_MAX) {
		snprintf(err, errlen, "config %s is not a regular file of at "
		    "most %u bytes", path, HINTS_CONFIG_MAX);
		close(fd);
		return NULL;
	}
	buf = intern_xcalloc((size_t)sb.st_size + 1, 1);
	while (got < (size_t)sb.st_size) {
		r = read(fd, buf + got, (size_t)sb.st_size - got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	*len = got;
	return buf;
}

int
hints_load(const char *path, struct hints **out, char *err, size_t errlen)
{
	struct hints	*h = NULL;
	struct hints_tool *t;
	json_error_t	 je;
	json_t		*root = NULL, *tools, *spec, *ann, *name, *scope;
	char		*buf;
	size_t		 len = 0, i;
	int		 rc = -1;

	*out = NULL;
	if ((buf = hints_slurp(path, &len, err, errlen)) == NULL)
		return -1;
	h = intern_xcalloc(1, sizeof(*h));
	digest_sha256_hex(buf, len, h->sha256);
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	free(buf);
	if (root == NULL) {
		snprintf(err, errlen, "config %s: line %d: %s", path, je.line,
		    je.text);
		goto out;
	}
	tools = json_object_get(root, "tools");
	if (!json_is_object(root) || (tools != NULL && !json_is_array(tools))) {
		snprintf(err, errlen, "config %s: \"tools\" must be an array "
		    "of tool objects", path);
		goto out;
	}
	h->tools = intern_xcalloc(json_array_size(tools) + 1, sizeof(*t));
	json_array_foreach(tools, i, spec) {
		name = json_object_get(spec, "name");
		if (!json_is_string(name)) {
			snprintf(err, errlen, "config %s: /tools/%zu has no "
			    "\"name\"", path, i);
			goto out;
		}
		t = &h->tools[h->ntools++];
		t->name = intern_xstrdup(json_string_value(name));
		scope = json_object_get(spec, "scope");
		if (json_is_string(scope))
			t->scope = intern_xstrdup(json_string_value(scope));
		ann = json_object_get(spec, "annotations");
		/* MCP 2025-11-25 ToolAnnotations defaults. */
		t->read_only = hints_bool(ann, "readOnlyHint", 0);
		t->destructive = hints_bool(ann, "destructiveHint", 1);
		t->idempotent = hints_bool(ann, "idempotentHint", 0);
		t->class = t->read_only ? HINTS_READ : t->destructive ?
		    HINTS_DESTRUCTIVE : HINTS_WRITE;
	}
	*out = h;
	h = NULL;
	rc = 0;
out:
	json_decref(root);
	hints_free(h);
	return rc;
}

const struct hints_tool *
hints_find(const struct hints *h, const char *name)
{
	size_t	 i;

	for (i = 0; h != NULL && name != NULL && i < h->ntools; i++)
		if (strcmp(h->tools[i].name, name) == 0)
			return &h->tools[i];
	return NULL;
}

static int
hints_prefixed(const char *name, const char *const *verbs)
{
	size_t	 n;

	for (; *verbs != NULL; verbs++) {
		n = strlen(*verbs);
		if (strncasecmp(name, *verbs, n) == 0 && (name[n] == '\0' ||
		    name[n] == '_' || name[n] == '-' || name[n] == '.'))
			return 1;
	}
	return 0;
}

enum hints_class
hints_guess(const char *name, const char *scope, int keyed)
{
	static const char *const destroy[] = { "delete", "remove", "drop",
	    "destroy", "purge", "cancel", "refund", "issue_refund", "revoke",
	    "pay", "transfer", "truncate", "wipe", "kill", NULL };
	static const char *const change[] = { "create", "update", "set",
	    "put", "post", "patch", "add", "insert", "write", "send",
	    "issue", "grant", "upload", "move", "rename", "exec", "execute",
	    "run", "approve", "reject", "submit", "publish", "deploy",
	    "modify", "edit", "save", "store", "charge", "book", "order",
	    NULL };
	const char	*p;
	int		 writes = keyed;

	if (name == NULL)
		return HINTS_READ;
	if (hints_prefixed(name, destroy))
		return HINTS_DESTRUCTIVE;
	if (hints_prefixed(name, change))
		writes = 1;
	if (scope != NULL && ((p = strrchr(scope, ':')) != NULL ?
	    strcmp(p, ":write") == 0 || strcmp(p, ":admin") == 0 ||
	    strcmp(p, ":delete") == 0 : 0))
		writes = 1;
	if (scope != NULL && strstr(scope, "write") != NULL)
		writes = 1;
	return writes ? HINTS_WRITE : HINTS_READ;
}
