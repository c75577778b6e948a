/* The key tables against docs/manifest.md: every key qrun knows is documented
 * in its section's table, every documented key exists, and the documented type
 * agrees with the declared one. Also the tables' own consistency. */
#define _GNU_SOURCE
#include "tap.h"
#include "config.h"
#include "manifest.h"

#define MAX_DOC_KEYS 128

/* One row of a section's key table in the docs. */
struct doc_key {
        char section[32];
        char key[32];
        char type[160];
        int matched;
};

static struct doc_key doc[MAX_DOC_KEYS];
static size_t ndoc;

/* Reads "## [section]" headings and the rows of the key table below each
 * (the table whose header is "| key | type | default | example |"). */
static void read_docs(const char *path)
{
        FILE *f = fopen(path, "r");
        char line[1024], section[32] = "";
        bool in_key_table = false;
        tap_ok(f != NULL, "docs/manifest.md opens");
        if (!f)
                return;
        while (fgets(line, sizeof(line), f)) {
                if (!strncmp(line, "## ", 3)) {
                        section[0] = '\0';
                        sscanf(line, "## [%31[a-z]]", section);
                        continue;
                }
                if (line[0] != '|') {
                        in_key_table = false;
                        continue;
                }
                if (!strncmp(line, "| key | type |", 14)) {
                        in_key_table = true;
                        continue;
                }
                char key[32], type[160];
                if (!*section || !in_key_table ||
                    sscanf(line, "| `%31[a-z_]` | %159[^|]|", key, type) != 2)
                        continue;
                if (ndoc < MAX_DOC_KEYS) {
                        struct doc_key *k = &doc[ndoc++];
                        snprintf(k->section, sizeof(k->section), "%s", section);
                        snprintf(k->key, sizeof(k->key), "%s", key);
                        snprintf(k->type, sizeof(k->type), "%s", type);
                }
        }
        fclose(f);
}

static struct doc_key *find_doc(const char *section, const char *key)
{
        for (size_t i = 0; i < ndoc; i++)
                if (!strcmp(doc[i].section, section) && !strcmp(doc[i].key, key))
                        return &doc[i];
        return NULL;
}

/* What the documented type must say for the declared one. */
static const char *expected_word(const struct key_def *key)
{
        static const char *const limit_words[] = {"number", "size", "duration"};
        switch (key->type) {
        case KEY_BOOL:
                return "boolean";
        case KEY_SIZE:
                return "size";
        case KEY_DURATION:
                return "duration";
        case KEY_LIMIT:
                return limit_words[key->unit];
        case KEY_UMASK:
                return "octal";
        case KEY_HOST_PATH:
                return "directory";
        case KEY_INSIDE_PATH:
                return "absolute path";
        default:
                return NULL;
        }
}

static void check_type(const char *where, const struct key_def *key, const char *type)
{
        char name[256];
        const char *word = expected_word(key);
        if (word) {
                snprintf(name, sizeof(name), "%s: documented as a %s", where, word);
                tap_ok(strstr(type, word) != NULL, name);
        }
        if (key->type == KEY_LIMIT) {
                snprintf(name, sizeof(name), "%s: documented with `unlimited`", where);
                tap_ok(strstr(type, "`unlimited`") != NULL, name);
        }
        for (size_t i = 0; key->type == KEY_ENUM && key->names[i]; i++) {
                char quoted[48];
                snprintf(quoted, sizeof(quoted), "`%s`", key->names[i]);
                snprintf(name, sizeof(name), "%s: documents the value %s", where, quoted);
                tap_ok(strstr(type, quoted) != NULL, name);
        }
        snprintf(name, sizeof(name), "%s: repeatable exactly when documented so", where);
        tap_ok(!(key->flags & KEY_REPEATABLE) == !strstr(type, "repeatable"), name);
}

/* The table's own rules: what the manifest code relies on. */
static void check_declaration(const char *where, const struct key_def *key)
{
        char name[256];
        snprintf(name, sizeof(name), "%s: a key with an unset note records where it was set",
                 where);
        tap_ok(!key->unset || key->loc, name);
        snprintf(name, sizeof(name), "%s: custom keys have a parser and a printer", where);
        tap_ok(key->type != KEY_CUSTOM || (key->parse && key->print), name);
        snprintf(name, sizeof(name), "%s: enums and checked strings have what they need", where);
        tap_ok((key->type != KEY_ENUM || key->names) && (key->type != KEY_STRING || key->check) &&
                   (key->type != KEY_LIST || key->check),
               name);
}

int main(void)
{
        read_docs("docs/manifest.md");
        size_t nsections;
        const struct section_def *const *sections = manifest_sections(&nsections);
        for (size_t s = 0; s < nsections; s++) {
                for (size_t k = 0; k < sections[s]->nkeys; k++) {
                        const struct key_def *key = &sections[s]->keys[k];
                        char where[96];
                        snprintf(where, sizeof(where), "[%s] %s", sections[s]->name, key->name);
                        struct doc_key *row = find_doc(sections[s]->name, key->name);
                        char name[256];
                        snprintf(name, sizeof(name), "%s: documented in docs/manifest.md", where);
                        tap_ok(row != NULL, name);
                        check_declaration(where, key);
                        if (!row)
                                continue;
                        row->matched = 1;
                        check_type(where, key, row->type);
                }
        }
        for (size_t i = 0; i < ndoc; i++) {
                char name[256];
                snprintf(name, sizeof(name), "[%s] %s: documented, and qrun knows it",
                         doc[i].section, doc[i].key);
                tap_ok(doc[i].matched, name);
        }
        tap_ok(ndoc > 20, "the docs' key tables were found");
        return tap_done();
}
