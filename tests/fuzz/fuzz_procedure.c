/* fuzz_procedure.c - libFuzzer target for the procedure parser: any bytes
 * either parse or give "fname:line: ..." and leave the output empty; what
 * parses expands without crashing. Build:
 *   clang -std=c11 -D_POSIX_C_SOURCE=200809L -D_XOPEN_SOURCE=700 -Isrc -g \
 *     -fsanitize=fuzzer,address,undefined tests/fuzz/fuzz_procedure.c \
 *     src/procedure.c src/util.c src/site.c -o fuzz_procedure -lnettle
 *   ./fuzz_procedure -dict=... data/   (the data/ files make a good seed) */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "procedure.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Expands every template of every item for one site. */
static void expand_all(const procedure *p, const proc_values *v)
{
    for (size_t i = 0; i < p->nitems; i++) {
        const proc_item *it = &p->items[i];
        free(procedure_expand(it->title, v));
        free(procedure_expand(it->text, v));
        free(procedure_expand(it->where, v));
        for (size_t k = 0; k < it->ncautions; k++)
            free(procedure_expand(it->cautions[k], v));
        size_t n;
        char **c = proc_item_commands(it, v, &n);
        if (c[n] != NULL)
            abort();
        procedure_strv_free(c);
        (void)proc_item_applies(it, v->site);
        if (procedure_find(p, it->id) < 0)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    procedure p;
    ss_err e;
    if (procedure_parse((const char *)data, size, "fuzz", &p, &e) < 0) {
        if (strncmp(e.msg, "fuzz:", 5) != 0 || p.items || p.text)
            abort();
        return 0;
    }
    site s;
    site_init(&s);
    memcpy(s.code, "K7Q", 4);
    memcpy(s.servers, "A;B;;C", 7);
    proc_values full = {&s, "SRV"}, none = {NULL, NULL};
    expand_all(&p, &full);
    expand_all(&p, &none);
    procedure_free(&p);
    procedure_free(&p);
    return 0;
}
